#include "strata/layers/conv_transpose.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/conv_common.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct Conv2DTransposeArgs {
  int filters = 0;
  Size2 kernel_size;
  Conv2DTransposeOptions options;
};

struct Conv1DTransposeArgs {
  int filters = 0;
  int kernel_size = 0;
  Conv1DTransposeOptions options;
};

const detail::LayerSchema<Conv2DTransposeArgs>& conv2d_transpose_schema() {
  static const auto schema = [] {
    detail::LayerSchema<Conv2DTransposeArgs> s("Conv2DTranspose");
    s.required("filters", STRATA_ARG(filters))
        .required("kernel_size", STRATA_ARG(kernel_size))
        .option("strides", STRATA_ARG(options.strides))
        .option("padding", STRATA_ARG(options.padding))
        .option("output_padding", STRATA_ARG(options.output_padding))
        .option("dilation_rate", STRATA_ARG(options.dilation_rate));
    detail::kernel_and_bias_keys(s);
    return s;
  }();
  return schema;
}

const detail::LayerSchema<Conv1DTransposeArgs>& conv1d_transpose_schema() {
  static const auto schema = [] {
    detail::LayerSchema<Conv1DTransposeArgs> s("Conv1DTranspose");
    s.required("filters", STRATA_ARG(filters))
        .required<detail::Tuple1Codec>("kernel_size", STRATA_ARG(kernel_size))
        .option<detail::Tuple1Codec>("strides", STRATA_ARG(options.strides))
        .option("padding", STRATA_ARG(options.padding))
        .option<detail::OptionalTuple1Codec>("output_padding", STRATA_ARG(options.output_padding))
        .option<detail::Tuple1Codec>("dilation_rate", STRATA_ARG(options.dilation_rate));
    detail::kernel_and_bias_keys(s);
    return s;
  }();
  return schema;
}

// The per-axis view of either class's arguments.
struct TransposedArgs {
  int filters;
  std::vector<int> kernel, strides, dilation;
  std::optional<std::vector<int>> output_padding;
};

TransposedArgs per_axis(const Conv2DTransposeArgs& a) {
  const auto& o = a.options;
  std::optional<std::vector<int>> extra;
  if (o.output_padding) extra = std::vector<int>{o.output_padding->h(), o.output_padding->w()};
  return {a.filters,
          {a.kernel_size.h(), a.kernel_size.w()},
          {o.strides.h(), o.strides.w()},
          {o.dilation_rate.h(), o.dilation_rate.w()},
          extra};
}

TransposedArgs per_axis(const Conv1DTransposeArgs& a) {
  const auto& o = a.options;
  std::optional<std::vector<int>> extra;
  if (o.output_padding) extra = std::vector<int>{*o.output_padding};
  return {a.filters, {a.kernel_size}, {o.strides}, {o.dilation_rate}, extra};
}

// Both classes: Keras's BaseConvTranspose over 1 or 2 spatial axes.
template <class Args>
class TransposedConvImpl : public detail::ConfiguredLayer<Args> {
  using Base = detail::ConfiguredLayer<Args>;

 public:
  TransposedConvImpl(const detail::LayerSchema<Args>& schema, Args args) : Base(schema, std::move(args)) {
    const auto& o = this->args_.options;
    const std::string where = this->prefix();
    const TransposedArgs a = per_axis(this->args_);
    filters_ = a.filters;
    if (filters_ <= 0)
      throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters_));
    // Keras's transposed convolutions have no causal padding.
    axes_ = detail::make_conv_axes(where, a.kernel, a.strides, a.dilation, o.padding, false);
    output_padding_ = a.output_padding;
    if (output_padding_) {
      for (size_t i = 0; i < output_padding_->size(); ++i) {
        const int extra = (*output_padding_)[i];
        if (extra < 0 || extra >= a.strides[i]) {
          throw ValueError(
              fmt::format("{} output_padding must be at least 0 and less than strides on every "
                          "axis; received output_padding ({}) and strides ({})",
                          where, fmt::join(*output_padding_, ", "), fmt::join(a.strides, ", ")));
        }
      }
    }
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, axes_.rank() + 2);
    detail::expect_channels(*this, in, in_channels_);
    const detail::SpatialOutput out =
        detail::transposed_conv_output(this->prefix(), in, axes_, output_padding_);
    std::vector<Dim> dims{in[0]};
    dims.insert(dims.end(), out.sizes.begin(), out.sizes.end());
    dims.emplace_back(filters_);
    return {Shape(std::move(dims))};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    return detail::transposed_conv_output(this->prefix(), inputs[0], axes_, output_padding_).padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][static_cast<size_t>(axes_.rank()) + 1];
    std::vector<int64_t> dims(axes_.kernel.begin(), axes_.kernel.end());
    double receptive = 1.0;
    for (int k : axes_.kernel) receptive *= k;
    dims.push_back(filters_);
    dims.push_back(in_channels_);
    const auto& o = this->args_.options;
    // Keras's fans come from the kernel's shape, whose last two axes are (filters, channels) here.
    this->add_variable("kernel", detail::initialize(o.kernel_initializer, dims, receptive * filters_,
                                                    receptive * in_channels_));
    if (o.use_bias) {
      this->add_variable("bias", detail::initialize(o.bias_initializer, {filters_}, filters_, filters_));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;
    const detail::SpatialOutput out =
        detail::transposed_conv_output(this->prefix(), to_shape(in), axes_, output_padding_);
    if (node.padding && *node.padding != *out.padding) {
      throw InternalError(
          fmt::format("{} padding computed at build time differs from the compiler's", this->prefix()));
    }
    ir::TransposedConvOp op;
    op.window = detail::ir_window(axes_, *out.padding);
    op.kernel = this->variables()[0].tensor();
    if (this->args_.options.use_bias) op.bias = this->variables()[1].tensor();
    const ir::ValueId value =
        graph.add_value(detail::concrete_dims(this->prefix(), in[0], out, filters_), this->name());
    graph.ops.push_back(ir::Op{std::move(op), {inputs[0]}, {value}, {}, {this->name()}});
    return {detail::emit_activation(graph, value, activation_, this->name())};
  }

  int64_t macs(const detail::Node& node) const override {
    // Every input cell meets every tap, filter and channel once.
    const Shape in = node.inputs[0].shape();
    int64_t cells = 1;
    for (int a = 1; a <= axes_.rank(); ++a) {
      if (!in[static_cast<size_t>(a)]) return 0;
      cells *= *in[static_cast<size_t>(a)];
    }
    int64_t taps = 1;
    for (int k : axes_.kernel) taps *= k;
    return cells * taps * filters_ * in_channels_;
  }

 private:
  int64_t filters_ = 0;
  detail::ConvAxes axes_;
  std::optional<std::vector<int>> output_padding_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

Conv2DTranspose::Conv2DTranspose(int filters, Size2 kernel_size, Conv2DTransposeOptions options) {
  impl_ = std::make_shared<TransposedConvImpl<Conv2DTransposeArgs>>(
      conv2d_transpose_schema(), Conv2DTransposeArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor Conv2DTranspose::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

Conv1DTranspose::Conv1DTranspose(int filters, int kernel_size, Conv1DTransposeOptions options) {
  impl_ = std::make_shared<TransposedConvImpl<Conv1DTransposeArgs>>(
      conv1d_transpose_schema(), Conv1DTransposeArgs{filters, kernel_size, std::move(options)});
}

SymbolicTensor Conv1DTranspose::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_conv_transpose_layers() {
  register_layer(layers::conv2d_transpose_schema(), [](layers::Conv2DTransposeArgs a) {
    return std::make_shared<layers::TransposedConvImpl<layers::Conv2DTransposeArgs>>(
        layers::conv2d_transpose_schema(), std::move(a));
  });
  register_layer(layers::conv1d_transpose_schema(), [](layers::Conv1DTransposeArgs a) {
    return std::make_shared<layers::TransposedConvImpl<layers::Conv1DTransposeArgs>>(
        layers::conv1d_transpose_schema(), std::move(a));
  });
}
}  // namespace strata::detail
