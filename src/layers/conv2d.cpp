#include "strata/layers/conv2d.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class Conv2DImpl : public detail::LayerImpl {
 public:
  Conv2DImpl(int filters, Size2 kernel_size, const Conv2DOptions& o)
      : LayerImpl("Conv2D", o.name), filters_(filters), kernel_(kernel_size), options_(o) {
    const std::string where = prefix();
    if (filters <= 0) throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters));
    detail::expect_positive(where, "kernel_size", kernel_size);
    detail::expect_positive(where, "strides", o.strides);
    detail::expect_positive(where, "dilation_rate", o.dilation_rate);
    if ((o.strides.h() > 1 || o.strides.w() > 1) && (o.dilation_rate.h() > 1 || o.dilation_rate.w() > 1)) {
      throw ValueError(fmt::format("{} strides > 1 is not compatible with dilation_rate > 1; received strides {} "
                                   "and dilation_rate {}",
                                   where, o.strides.to_string(), o.dilation_rate.to_string()));
    }
    if (o.groups <= 0) throw ValueError(fmt::format("{} Expected a positive groups, received {}", where, o.groups));
    if (filters % o.groups != 0) {
      throw ValueError(fmt::format("{} The number of filters must be divisible by groups; received filters {} and "
                                   "groups {}",
                                   where, filters, o.groups));
    }
    padding_ = detail::parse_padding(o.padding, where);
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const Dim& channels = in[3];
    if (!channels) {
      throw ShapeError(fmt::format("{} The channel dimension of the input must be known, received shape {}",
                                   prefix(), in.to_string()));
    }
    if (*channels % options_.groups != 0) {
      throw ShapeError(fmt::format("{} The input channels must be divisible by groups ({}); received input shape {}",
                                   prefix(), options_.groups, in.to_string()));
    }
    if (built() && *channels != in_channels_) {
      throw ShapeError(fmt::format("{} Expected axis -1 of the input to have value {} (the layer was built for it), "
                                   "received input shape {}",
                                   prefix(), in_channels_, in.to_string()));
    }
    const detail::Window2D w =
        detail::window_2d(prefix(), in[1], in[2], kernel_, options_.strides, options_.dilation_rate, padding_);
    return {Shape{in[0], w.out_h, w.out_w, filters_}};
  }

  std::optional<ir::Padding2D> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::window_2d(prefix(), in[1], in[2], kernel_, options_.strides, options_.dilation_rate, padding_)
        .padding;
  }

  void build(const std::vector<Shape>& inputs) override {
    in_channels_ = *inputs[0][3];
    const int64_t in_per_group = in_channels_ / options_.groups;
    const double receptive = static_cast<double>(kernel_.h()) * kernel_.w();
    add_variable("kernel", detail::initialize(options_.kernel_initializer, {kernel_.h(), kernel_.w(), in_per_group, filters_},
                                              receptive * in_per_group, receptive * filters_));
    if (options_.use_bias) {
      add_variable("bias", detail::initialize(options_.bias_initializer, {filters_}, filters_, filters_));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;  // a copy: add_value may reallocate
    const detail::WindowAxis h =
        detail::window_axis(in[1], kernel_.h(), options_.strides.h(), options_.dilation_rate.h(), padding_);
    const detail::WindowAxis w =
        detail::window_axis(in[2], kernel_.w(), options_.strides.w(), options_.dilation_rate.w(), padding_);
    if (h.out <= 0 || w.out <= 0) {
      throw ShapeError(fmt::format("{} Output size would be {}x{} for an input of {}x{}", prefix(), h.out, w.out,
                                   in[1], in[2]));
    }
    ir::Conv2DOp conv;
    conv.stride_h = options_.strides.h();
    conv.stride_w = options_.strides.w();
    conv.dilation_h = options_.dilation_rate.h();
    conv.dilation_w = options_.dilation_rate.w();
    conv.padding = ir::Padding2D{h.before, h.after, w.before, w.after};
    if (node.padding && *node.padding != conv.padding) {
      throw InternalError(fmt::format("{} padding computed at build time differs from the compiler's", prefix()));
    }
    conv.groups = options_.groups;
    conv.kernel = variables()[0].value;
    if (options_.use_bias) conv.bias = variables()[1].value;
    ir::ValueId out = graph.add_value({in[0], h.out, w.out, filters_}, name());
    graph.ops.push_back(ir::Op{conv, {inputs[0]}, out, {}, {name()}});
    if (activation_.kind == detail::ActivationKind::kSoftmax) {
      ir::ValueId act = graph.add_value({in[0], h.out, w.out, filters_}, name() + ".softmax");
      graph.ops.push_back(ir::Op{ir::SoftmaxOp{}, {out}, act, {}, {name()}});
      return {act};
    }
    if (activation_.kind != detail::ActivationKind::kLinear) {
      ir::ValueId act = graph.add_value({in[0], h.out, w.out, filters_}, name() + "." + detail::activation_name(activation_));
      graph.ops.push_back(ir::Op{ir::ActivationOp{activation_}, {out}, act, {}, {name()}});
      return {act};
    }
    return {out};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    return *out[1] * *out[2] * filters_ * kernel_.h() * kernel_.w() * (in_channels_ / options_.groups);
  }

 private:
  int64_t filters_;
  Size2 kernel_;
  Conv2DOptions options_;
  detail::Padding padding_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

Conv2D::Conv2D(int filters, Size2 kernel_size, Conv2DOptions options) {
  impl_ = std::make_shared<Conv2DImpl>(filters, kernel_size, options);
}

SymbolicTensor Conv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
