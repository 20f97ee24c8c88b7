#include "strata/layers/conv2d.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "layers/conv_common.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class Conv2DImpl : public detail::LayerImpl {
 public:
  Conv2DImpl(int filters, Size2 kernel_size, const Conv2DOptions& o)
      : LayerImpl("Conv2D", o.name), filters_(filters), options_(o) {
    const std::string where = prefix();
    if (filters <= 0) throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters));
    window_ = detail::make_conv_window(where, kernel_size, o.strides, o.dilation_rate, o.padding);
    if (o.groups <= 0) throw ValueError(fmt::format("{} Expected a positive groups, received {}", where, o.groups));
    if (filters % o.groups != 0) {
      throw ValueError(fmt::format("{} The number of filters must be divisible by groups; received filters {} and "
                                   "groups {}",
                                   where, filters, o.groups));
    }
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const int64_t channels = detail::expect_channels(*this, in, in_channels_);
    if (channels % options_.groups != 0) {
      throw ShapeError(fmt::format("{} The input channels must be divisible by groups ({}); received input shape {}",
                                   prefix(), options_.groups, in.to_string()));
    }
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
    const int64_t in_per_group = in_channels_ / options_.groups;
    const double receptive = static_cast<double>(window_.kernel.h()) * window_.kernel.w();
    add_variable("kernel", detail::initialize(options_.kernel_initializer, {window_.kernel.h(), window_.kernel.w(), in_per_group, filters_},
                                              receptive * in_per_group, receptive * filters_));
    if (options_.use_bias) {
      add_variable("bias", detail::initialize(options_.bias_initializer, {filters_}, filters_, filters_));
    }
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        detail::emit_conv(graph, node, inputs[0], window_, options_.groups, variables()[0].tensor(),
                          options_.use_bias ? variables()[1].tensor() : nullptr, name(), prefix());
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  nlohmann::json config() const override {
    return detail::conv_config(window_, {{"filters", filters_},
                                         {"groups", options_.groups},
                                         {"activation", detail::activation_json(activation_)},
                                         {"use_bias", options_.use_bias}});
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& out = node.output_shapes[0];
    if (!out[1] || !out[2]) return 0;
    return *out[1] * *out[2] * filters_ * window_.kernel.h() * window_.kernel.w() * (in_channels_ / options_.groups);
  }

 private:
  int64_t filters_;
  Conv2DOptions options_;
  detail::ConvWindow window_;
  detail::Activation activation_;
  int64_t in_channels_ = 0;
};

}  // namespace

Conv2D::Conv2D(int filters, Size2 kernel_size, Conv2DOptions options) {
  impl_ = std::make_shared<Conv2DImpl>(filters, kernel_size, options);
}

SymbolicTensor Conv2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
