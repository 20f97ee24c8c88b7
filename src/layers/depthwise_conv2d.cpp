#include "strata/layers/depthwise_conv2d.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "layers/conv_common.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// A depthwise kernel (kh, kw, in, dm) is the grouped HWIO kernel (kh, kw, 1, in * dm) with one group per
// input channel: the same bytes under other dims.
std::shared_ptr<const Tensor> as_grouped_kernel(const Tensor& depthwise) {
  const auto& d = depthwise.dims();
  return std::make_shared<const Tensor>(std::vector<int64_t>{d[0], d[1], 1, d[2] * d[3]}, depthwise.values());
}

void expect_depth_multiplier(const std::string& where, int depth_multiplier) {
  if (depth_multiplier <= 0) {
    throw ValueError(fmt::format("{} Expected a positive depth_multiplier, received {}", where, depth_multiplier));
  }
}

class DepthwiseConv2DImpl : public detail::LayerImpl {
 public:
  DepthwiseConv2DImpl(Size2 kernel_size, const DepthwiseConv2DOptions& o) : LayerImpl("DepthwiseConv2D", o.name), options_(o) {
    const std::string where = prefix();
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    expect_depth_multiplier(where, o.depth_multiplier);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.depthwise_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const int64_t channels = detail::expect_channels(*this, in, in_channels_);
    const detail::Window2D w =
        detail::apply_window(prefix(), in, window_);
    return {Shape{in[0], w.out_h, w.out_w, channels * options_.depth_multiplier}};
  }

  std::optional<ir::Padding2D> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::apply_window(prefix(), in, window_)
        .padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][3];
    const int64_t dm = options_.depth_multiplier;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("kernel", detail::initialize(options_.depthwise_initializer,
                                              {window_.kernel.h(), window_.kernel.w(), in_channels_, dm},
                                              receptive * in_channels_, receptive * dm));
    if (options_.use_bias) {
      add_variable("bias", detail::initialize(options_.bias_initializer, {in_channels_ * dm}, 1, 1));
    }
  }

  nlohmann::json config() const override {
    return detail::conv_config(window_, {{"depth_multiplier", options_.depth_multiplier},
                                         {"activation", detail::activation_json(activation_)},
                                         {"use_bias", options_.use_bias}});
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        detail::emit_conv(graph, node, inputs[0], window_, static_cast<int>(in_channels_),
                          as_grouped_kernel(*variables()[0].tensor()),
                          options_.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    return *out[1] * *out[2] * *out[3] * window_.kernel.h() * window_.kernel.w();
  }

 private:
  DepthwiseConv2DOptions options_;
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

class SeparableConv2DImpl : public detail::LayerImpl {
 public:
  SeparableConv2DImpl(int filters, Size2 kernel_size, const SeparableConv2DOptions& o)
      : LayerImpl("SeparableConv2D", o.name), filters_(filters), options_(o) {
    const std::string where = prefix();
    if (filters <= 0) throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters));
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    expect_depth_multiplier(where, o.depth_multiplier);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.depthwise_initializer, where);
    detail::check_initializer(o.pointwise_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    detail::expect_channels(*this, in, in_channels_);
    const detail::Window2D w =
        detail::apply_window(prefix(), in, window_);
    return {Shape{in[0], w.out_h, w.out_w, filters_}};
  }

  std::optional<ir::Padding2D> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::apply_window(prefix(), in, window_)
        .padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][3];
    const int64_t dm = options_.depth_multiplier;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("depthwise_kernel", detail::initialize(options_.depthwise_initializer,
                                                        {window_.kernel.h(), window_.kernel.w(), in_channels_, dm},
                                                        receptive * in_channels_, receptive * dm));
    add_variable("pointwise_kernel", detail::initialize(options_.pointwise_initializer, {1, 1, in_channels_ * dm, filters_},
                                                        static_cast<double>(in_channels_ * dm), filters_));
    if (options_.use_bias) add_variable("bias", detail::initialize(options_.bias_initializer, {filters_}, 1, 1));
  }

  nlohmann::json config() const override {
    return detail::conv_config(window_, {{"filters", filters_},
                                         {"depth_multiplier", options_.depth_multiplier},
                                         {"activation", detail::activation_json(activation_)},
                                         {"use_bias", options_.use_bias}});
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId depthwise =
        detail::emit_conv(graph, node, inputs[0], window_, static_cast<int>(in_channels_),
                          as_grouped_kernel(*variables()[0].tensor()), nullptr, name(), prefix());
    // The pointwise step is a plain 1x1 convolution; the node's padding describes the depthwise step only.
    detail::Node pointwise_node;
    const detail::ConvWindow pointwise{1, 1, 1, detail::Padding::kValid};
    const ir::ValueId out =
        detail::emit_conv(graph, pointwise_node, depthwise, pointwise, 1, variables()[1].tensor(),
                          options_.use_bias ? variables()[2].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    const int64_t mid = in_channels_ * options_.depth_multiplier;
    return *out[1] * *out[2] * (mid * window_.kernel.h() * window_.kernel.w() + mid * filters_);
  }

 private:
  int64_t filters_;
  SeparableConv2DOptions options_;
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

DepthwiseConv2D::DepthwiseConv2D(Size2 kernel_size, DepthwiseConv2DOptions options) {
  impl_ = std::make_shared<DepthwiseConv2DImpl>(kernel_size, options);
}

SymbolicTensor DepthwiseConv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

SeparableConv2D::SeparableConv2D(int filters, Size2 kernel_size, SeparableConv2DOptions options) {
  impl_ = std::make_shared<SeparableConv2DImpl>(filters, kernel_size, options);
}

SymbolicTensor SeparableConv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
