#include "strata/layers/depthwise_conv2d.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/conv_common.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct DepthwiseConv2DArgs {
  Size2 kernel_size;
  DepthwiseConv2DOptions options;
};

struct SeparableConv2DArgs {
  int filters = 0;
  Size2 kernel_size;
  SeparableConv2DOptions options;
};

const detail::LayerSchema<DepthwiseConv2DArgs>& depthwise_conv2d_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<DepthwiseConv2DArgs>("DepthwiseConv2D")
          .required("kernel_size", STRATA_ARG(kernel_size))
          .option("strides", STRATA_ARG(options.strides))
          .option("padding", STRATA_ARG(options.padding))
          .option("depth_multiplier", STRATA_ARG(options.depth_multiplier))
          .option("dilation_rate", STRATA_ARG(options.dilation_rate))
          .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
          .option("use_bias", STRATA_ARG(options.use_bias))
          .option<detail::InitializerCodec>("depthwise_initializer",
                                            STRATA_ARG(options.depthwise_initializer))
          .option<detail::InitializerCodec>("bias_initializer", STRATA_ARG(options.bias_initializer))
          .fixed("data_format", "channels_last")
          .kept("depthwise_regularizer")
          .kept("bias_regularizer")
          .kept("activity_regularizer")
          .kept("depthwise_constraint")
          .kept("bias_constraint")
          // Keras 2's DepthwiseConv2D derived from Conv2D and wrote groups (always 1) too.
          .only_default("groups", 1));
  return schema;
}

const detail::LayerSchema<SeparableConv2DArgs>& separable_conv2d_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<SeparableConv2DArgs>("SeparableConv2D")
          .required("filters", STRATA_ARG(filters))
          .required("kernel_size", STRATA_ARG(kernel_size))
          .option("strides", STRATA_ARG(options.strides))
          .option("padding", STRATA_ARG(options.padding))
          .option("dilation_rate", STRATA_ARG(options.dilation_rate))
          .option("depth_multiplier", STRATA_ARG(options.depth_multiplier))
          .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
          .option("use_bias", STRATA_ARG(options.use_bias))
          .option<detail::InitializerCodec>("depthwise_initializer",
                                            STRATA_ARG(options.depthwise_initializer))
          .option<detail::InitializerCodec>("pointwise_initializer",
                                            STRATA_ARG(options.pointwise_initializer))
          .option<detail::InitializerCodec>("bias_initializer", STRATA_ARG(options.bias_initializer))
          .fixed("data_format", "channels_last")
          .kept("depthwise_regularizer")
          .kept("pointwise_regularizer")
          .kept("bias_regularizer")
          .kept("activity_regularizer")
          .kept("depthwise_constraint")
          .kept("pointwise_constraint")
          .kept("bias_constraint")
          // tf.keras 2.3+ built SeparableConv2D's config on Conv2D's, with these too.
          .only_default("groups", 1)
          .accepted("kernel_initializer")
          .accepted("kernel_regularizer")
          .accepted("kernel_constraint"));
  return schema;
}

// A depthwise kernel (kh, kw, in, dm) is the grouped HWIO kernel (kh, kw, 1, in * dm) with one group per
// input channel: the same bytes under other dims.
std::shared_ptr<const Tensor> as_grouped_kernel(const Tensor& depthwise) {
  const auto& d = depthwise.dims();
  return std::make_shared<const Tensor>(std::vector<int64_t>{d[0], d[1], 1, d[2] * d[3]}, depthwise.values());
}

class DepthwiseConv2DImpl : public detail::ConfiguredLayer<DepthwiseConv2DArgs> {
 public:
  explicit DepthwiseConv2DImpl(DepthwiseConv2DArgs args)
      : ConfiguredLayer(depthwise_conv2d_schema(), std::move(args)) {
    const DepthwiseConv2DOptions& o = args_.options;
    const Size2 kernel_size = args_.kernel_size;
    const std::string where = prefix();
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    detail::expect_depth_multiplier(where, o.depth_multiplier);
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
    return {Shape{in[0], w.out_h, w.out_w, channels * args_.options.depth_multiplier}};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::apply_window(prefix(), in, window_)
        .padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][3];
    const int64_t dm = args_.options.depth_multiplier;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("kernel", detail::initialize(args_.options.depthwise_initializer,
                                              {window_.kernel.h(), window_.kernel.w(), in_channels_, dm},
                                              receptive * in_channels_, receptive * dm));
    if (args_.options.use_bias) {
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {in_channels_ * dm}, 1, 1));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        detail::emit_conv(graph, node, inputs[0], window_, static_cast<int>(in_channels_),
                          as_grouped_kernel(*variables()[0].tensor()),
                          args_.options.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    return *out[1] * *out[2] * *out[3] * window_.kernel.h() * window_.kernel.w();
  }

 private:
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

class SeparableConv2DImpl : public detail::ConfiguredLayer<SeparableConv2DArgs> {
 public:
  explicit SeparableConv2DImpl(SeparableConv2DArgs args)
      : ConfiguredLayer(separable_conv2d_schema(), std::move(args)), filters_(args_.filters) {
    const SeparableConv2DOptions& o = args_.options;
    const int filters = args_.filters;
    const Size2 kernel_size = args_.kernel_size;
    const std::string where = prefix();
    if (filters <= 0) throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters));
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    detail::expect_depth_multiplier(where, o.depth_multiplier);
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

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::apply_window(prefix(), in, window_)
        .padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][3];
    const int64_t dm = args_.options.depth_multiplier;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("depthwise_kernel",
                 detail::initialize(args_.options.depthwise_initializer,
                                    {window_.kernel.h(), window_.kernel.w(), in_channels_, dm},
                                    receptive * in_channels_, receptive * dm));
    add_variable("pointwise_kernel",
                 detail::initialize(args_.options.pointwise_initializer, {1, 1, in_channels_ * dm, filters_},
                                    static_cast<double>(in_channels_ * dm), filters_));
    if (args_.options.use_bias)
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {filters_}, 1, 1));
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
                          args_.options.use_bias ? variables()[2].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    const int64_t mid = in_channels_ * args_.options.depth_multiplier;
    return *out[1] * *out[2] * (mid * window_.kernel.h() * window_.kernel.w() + mid * filters_);
  }

 private:
  int64_t filters_;
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

DepthwiseConv2D::DepthwiseConv2D(Size2 kernel_size, DepthwiseConv2DOptions options) {
  impl_ = std::make_shared<DepthwiseConv2DImpl>(DepthwiseConv2DArgs{kernel_size, std::move(options)});
}

SymbolicTensor DepthwiseConv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

SeparableConv2D::SeparableConv2D(int filters, Size2 kernel_size, SeparableConv2DOptions options) {
  impl_ =
      std::make_shared<SeparableConv2DImpl>(SeparableConv2DArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor SeparableConv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_depthwise_conv2d_layers() {
  register_layer(layers::depthwise_conv2d_schema(), [](layers::DepthwiseConv2DArgs a) {
    return std::make_shared<layers::DepthwiseConv2DImpl>(std::move(a));
  });
  register_layer(layers::separable_conv2d_schema(), [](layers::SeparableConv2DArgs a) {
    return std::make_shared<layers::SeparableConv2DImpl>(std::move(a));
  });
}
}  // namespace strata::detail
