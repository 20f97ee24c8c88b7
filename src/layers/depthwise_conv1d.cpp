#include "strata/layers/depthwise_conv1d.hpp"

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

struct DepthwiseConv1DArgs {
  int kernel_size = 0;
  DepthwiseConv1DOptions options;
};

struct SeparableConv1DArgs {
  int filters = 0;
  int kernel_size = 0;
  SeparableConv1DOptions options;
};

const detail::LayerSchema<DepthwiseConv1DArgs>& depthwise_conv1d_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<DepthwiseConv1DArgs>("DepthwiseConv1D")
          .required<detail::Tuple1Codec>("kernel_size", STRATA_ARG(kernel_size))
          .option<detail::Tuple1Codec>("strides", STRATA_ARG(options.strides))
          .option("padding", STRATA_ARG(options.padding))
          .option("depth_multiplier", STRATA_ARG(options.depth_multiplier))
          .option<detail::Tuple1Codec>("dilation_rate", STRATA_ARG(options.dilation_rate))
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
          .kept("bias_constraint"));
  return schema;
}

const detail::LayerSchema<SeparableConv1DArgs>& separable_conv1d_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<SeparableConv1DArgs>("SeparableConv1D")
          .required("filters", STRATA_ARG(filters))
          .required<detail::Tuple1Codec>("kernel_size", STRATA_ARG(kernel_size))
          .option<detail::Tuple1Codec>("strides", STRATA_ARG(options.strides))
          .option("padding", STRATA_ARG(options.padding))
          .option<detail::Tuple1Codec>("dilation_rate", STRATA_ARG(options.dilation_rate))
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
          .kept("bias_constraint"));
  return schema;
}

// The depthwise step of both layers: a 1-axis convolution with one group per input channel. Keras's
// (k, channels, dm) kernel is the grouped (k, 1, channels * dm) one: the same bytes under other dims.
ir::ValueId emit_depthwise(ir::Graph& graph, const detail::Node& node, ir::ValueId input,
                           const detail::ConvAxes& axes, const Tensor& kernel,
                           std::shared_ptr<const Tensor> bias, const std::string& layer,
                           const std::string& where) {
  const auto& k = kernel.dims();
  auto grouped = std::make_shared<const Tensor>(std::vector<int64_t>{k[0], 1, k[1] * k[2]}, kernel.values());
  return detail::emit_conv(graph, node, input, axes, static_cast<int>(k[1]), std::move(grouped),
                           std::move(bias), layer, where);
}

class DepthwiseConv1DImpl : public detail::ConfiguredLayer<DepthwiseConv1DArgs> {
 public:
  explicit DepthwiseConv1DImpl(DepthwiseConv1DArgs args)
      : ConfiguredLayer(depthwise_conv1d_schema(), std::move(args)) {
    const DepthwiseConv1DOptions& o = args_.options;
    const std::string where = prefix();
    axes_ =
        detail::make_conv_axes(where, {args_.kernel_size}, {o.strides}, {o.dilation_rate}, o.padding, false);
    detail::expect_depth_multiplier(where, o.depth_multiplier);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.depthwise_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    const int64_t channels = detail::expect_channels(*this, in, in_channels_);
    const detail::SpatialOutput out = detail::conv_output(prefix(), in, axes_);
    return {Shape{in[0], out.sizes[0], channels * args_.options.depth_multiplier}};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    return detail::conv_output(prefix(), inputs[0], axes_).padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][2];
    const int64_t dm = args_.options.depth_multiplier;
    const double k = args_.kernel_size;
    add_variable("kernel",
                 detail::initialize(args_.options.depthwise_initializer,
                                    {args_.kernel_size, in_channels_, dm}, k * in_channels_, k * dm));
    if (args_.options.use_bias) {
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {in_channels_ * dm}, 1, 1));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        emit_depthwise(graph, node, inputs[0], axes_, *variables()[0].tensor(),
                       args_.options.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1]) return 0;
    return *out[1] * *out[2] * args_.kernel_size;
  }

 private:
  detail::ConvAxes axes_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

class SeparableConv1DImpl : public detail::ConfiguredLayer<SeparableConv1DArgs> {
 public:
  explicit SeparableConv1DImpl(SeparableConv1DArgs args)
      : ConfiguredLayer(separable_conv1d_schema(), std::move(args)) {
    const SeparableConv1DOptions& o = args_.options;
    const std::string where = prefix();
    detail::check_filters(where, args_.filters, 1);
    axes_ =
        detail::make_conv_axes(where, {args_.kernel_size}, {o.strides}, {o.dilation_rate}, o.padding, false);
    detail::expect_depth_multiplier(where, o.depth_multiplier);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.depthwise_initializer, where);
    detail::check_initializer(o.pointwise_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    detail::expect_channels(*this, in, in_channels_);
    const detail::SpatialOutput out = detail::conv_output(prefix(), in, axes_);
    return {Shape{in[0], out.sizes[0], args_.filters}};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    return detail::conv_output(prefix(), inputs[0], axes_).padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][2];
    const int64_t dm = args_.options.depth_multiplier;
    const double k = args_.kernel_size;
    add_variable("depthwise_kernel",
                 detail::initialize(args_.options.depthwise_initializer,
                                    {args_.kernel_size, in_channels_, dm}, k * in_channels_, k * dm));
    add_variable(
        "pointwise_kernel",
        detail::initialize(args_.options.pointwise_initializer, {1, in_channels_ * dm, args_.filters},
                           static_cast<double>(in_channels_ * dm), args_.filters));
    if (args_.options.use_bias) {
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {args_.filters}, 1, 1));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId depthwise =
        emit_depthwise(graph, node, inputs[0], axes_, *variables()[0].tensor(), nullptr, name(), prefix());
    // The pointwise step: a 1-tap convolution; the node's padding describes the depthwise step only.
    const detail::ConvAxes pointwise{{1}, {1}, {1}, detail::Padding::kValid};
    const ir::ValueId out =
        detail::emit_conv(graph, detail::Node{}, depthwise, pointwise, 1, variables()[1].tensor(),
                          args_.options.use_bias ? variables()[2].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1]) return 0;
    const int64_t mid = in_channels_ * args_.options.depth_multiplier;
    return *out[1] * (mid * args_.kernel_size + mid * args_.filters);
  }

 private:
  detail::ConvAxes axes_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

DepthwiseConv1D::DepthwiseConv1D(int kernel_size, DepthwiseConv1DOptions options) {
  impl_ = std::make_shared<DepthwiseConv1DImpl>(DepthwiseConv1DArgs{kernel_size, std::move(options)});
}

SymbolicTensor DepthwiseConv1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

SeparableConv1D::SeparableConv1D(int filters, int kernel_size, SeparableConv1DOptions options) {
  impl_ =
      std::make_shared<SeparableConv1DImpl>(SeparableConv1DArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor SeparableConv1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_depthwise_conv1d_layers() {
  register_layer(layers::depthwise_conv1d_schema(), [](layers::DepthwiseConv1DArgs a) {
    return std::make_shared<layers::DepthwiseConv1DImpl>(std::move(a));
  });
  register_layer(layers::separable_conv1d_schema(), [](layers::SeparableConv1DArgs a) {
    return std::make_shared<layers::SeparableConv1DImpl>(std::move(a));
  });
}
}  // namespace strata::detail
