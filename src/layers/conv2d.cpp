#include "strata/layers/conv2d.hpp"

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

struct Conv2DArgs {
  int filters = 0;
  Size2 kernel_size;
  Conv2DOptions options;
};

const detail::LayerSchema<Conv2DArgs>& conv2d_schema() {
  static const auto schema = [] {
    detail::LayerSchema<Conv2DArgs> s("Conv2D");
    s.required("filters", STRATA_ARG(filters))
        .required("kernel_size", STRATA_ARG(kernel_size))
        .option("strides", STRATA_ARG(options.strides))
        .option("padding", STRATA_ARG(options.padding))
        .option("dilation_rate", STRATA_ARG(options.dilation_rate))
        .option("groups", STRATA_ARG(options.groups));
    detail::kernel_and_bias_keys(s).only_default("lora_rank").only_default("lora_alpha");
    return s;
  }();
  return schema;
}

class Conv2DImpl : public detail::ConfiguredLayer<Conv2DArgs> {
 public:
  explicit Conv2DImpl(Conv2DArgs args)
      : ConfiguredLayer(conv2d_schema(), std::move(args)), filters_(args_.filters) {
    const Conv2DOptions& o = args_.options;
    const int filters = args_.filters;
    const Size2 kernel_size = args_.kernel_size;
    const std::string where = prefix();
    detail::check_filters(where, filters, o.groups);
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const int64_t channels = detail::expect_channels(*this, in, in_channels_);
    detail::check_grouped_channels(prefix(), in, channels, args_.options.groups);
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
    const int64_t in_per_group = in_channels_ / args_.options.groups;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("kernel",
                 detail::initialize(args_.options.kernel_initializer,
                                    {window_.kernel.h(), window_.kernel.w(), in_per_group, filters_},
                                    receptive * in_per_group, receptive * filters_));
    if (args_.options.use_bias) {
      add_variable("bias",
                   detail::initialize(args_.options.bias_initializer, {filters_}, filters_, filters_));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        detail::emit_conv(graph, node, inputs[0], window_, args_.options.groups, variables()[0].tensor(),
                          args_.options.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    return *out[1] * *out[2] * filters_ * window_.kernel.h() * window_.kernel.w() *
           (in_channels_ / args_.options.groups);
  }

 private:
  int64_t filters_;
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

Conv2D::Conv2D(int filters, Size2 kernel_size, Conv2DOptions options) {
  impl_ = std::make_shared<Conv2DImpl>(Conv2DArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor Conv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_conv2d_layers() {
  register_layer(layers::conv2d_schema(),
                 [](layers::Conv2DArgs a) { return std::make_shared<layers::Conv2DImpl>(std::move(a)); });
}
}  // namespace strata::detail
