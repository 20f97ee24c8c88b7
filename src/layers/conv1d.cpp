#include "strata/layers/conv1d.hpp"

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

struct Conv1DArgs {
  int filters = 0;
  int kernel_size = 0;
  Conv1DOptions options;
};

const detail::LayerSchema<Conv1DArgs>& conv1d_schema() {
  static const auto schema = [] {
    detail::LayerSchema<Conv1DArgs> s("Conv1D");
    s.required("filters", STRATA_ARG(filters))
        .required<detail::Tuple1Codec>("kernel_size", STRATA_ARG(kernel_size))
        .option<detail::Tuple1Codec>("strides", STRATA_ARG(options.strides))
        .option("padding", STRATA_ARG(options.padding))
        .option<detail::Tuple1Codec>("dilation_rate", STRATA_ARG(options.dilation_rate))
        .option("groups", STRATA_ARG(options.groups));
    detail::kernel_and_bias_keys(s).only_default("lora_rank").only_default("lora_alpha");
    return s;
  }();
  return schema;
}

class Conv1DImpl : public detail::ConfiguredLayer<Conv1DArgs> {
 public:
  explicit Conv1DImpl(Conv1DArgs args) : ConfiguredLayer(conv1d_schema(), std::move(args)) {
    const Conv1DOptions& o = args_.options;
    const std::string where = prefix();
    detail::check_filters(where, args_.filters, o.groups);
    axes_ = detail::make_conv_axes(where, {args_.kernel_size}, {o.strides}, {o.dilation_rate}, o.padding,
                                   /*causal_allowed=*/true);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    const int64_t channels = detail::expect_channels(*this, in, in_channels_);
    detail::check_grouped_channels(prefix(), in, channels, args_.options.groups);
    const detail::SpatialOutput out = detail::conv_output(prefix(), in, axes_);
    return {Shape{in[0], out.sizes[0], args_.filters}};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    return detail::conv_output(prefix(), inputs[0], axes_).padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][2];
    const int64_t in_per_group = in_channels_ / args_.options.groups;
    const double receptive = args_.kernel_size;
    add_variable("kernel", detail::initialize(args_.options.kernel_initializer,
                                              {args_.kernel_size, in_per_group, args_.filters},
                                              receptive * in_per_group, receptive * args_.filters));
    if (args_.options.use_bias) {
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {args_.filters}, args_.filters,
                                              args_.filters));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId value =
        detail::emit_conv(graph, node, inputs[0], axes_, args_.options.groups, variables()[0].tensor(),
                          args_.options.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, value, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1]) return 0;
    return *out[1] * args_.filters * args_.kernel_size * (in_channels_ / args_.options.groups);
  }

 private:
  detail::ConvAxes axes_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

Conv1D::Conv1D(int filters, int kernel_size, Conv1DOptions options) {
  impl_ = std::make_shared<Conv1DImpl>(Conv1DArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor Conv1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_conv1d_layers() {
  register_layer(layers::conv1d_schema(),
                 [](layers::Conv1DArgs a) { return std::make_shared<layers::Conv1DImpl>(std::move(a)); });
}
}  // namespace strata::detail
