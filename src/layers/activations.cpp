#include "strata/layers/activations.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/activation.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct ActivationArgs {
  std::string activation;
  LayerOptions options;
};
using ReLUArgs = detail::OptionsArgs<ReLUOptions>;
using LeakyReLUArgs = detail::OptionsArgs<LeakyReLUOptions>;
using SoftmaxArgs = detail::OptionsArgs<SoftmaxOptions>;
using ELUArgs = detail::OptionsArgs<ELUOptions>;
using ThresholdedReLUArgs = detail::OptionsArgs<ThresholdedReLUOptions>;

const detail::LayerSchema<ActivationArgs>& activation_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<ActivationArgs>("Activation")
                    .required<detail::ActivationCodec>("activation", STRATA_ARG(activation)));
  return schema;
}

const detail::LayerSchema<ReLUArgs>& relu_schema() {
  static const auto schema = std::move(detail::LayerSchema<ReLUArgs>("ReLU")
                                           .option("max_value", STRATA_ARG(options.max_value))
                                           .option("negative_slope", STRATA_ARG(options.negative_slope))
                                           .option("threshold", STRATA_ARG(options.threshold)));
  return schema;
}

const detail::LayerSchema<LeakyReLUArgs>& leaky_relu_schema() {
  static const auto schema = std::move(detail::LayerSchema<LeakyReLUArgs>("LeakyReLU")
                                           .option("negative_slope", STRATA_ARG(options.negative_slope))
                                           .alias("alpha"));  // Keras 2
  return schema;
}

const detail::LayerSchema<ELUArgs>& elu_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<ELUArgs>("ELU").option("alpha", STRATA_ARG(options.alpha)));
  return schema;
}

const detail::LayerSchema<ThresholdedReLUArgs>& thresholded_relu_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<ThresholdedReLUArgs>("ThresholdedReLU").option("theta", STRATA_ARG(options.theta)));
  return schema;
}

const detail::LayerSchema<SoftmaxArgs>& softmax_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<SoftmaxArgs>("Softmax").option("axis", STRATA_ARG(options.axis)));
  return schema;
}

void expect_non_negative(const std::string& where, const char* what, float value) {
  if (!(value >= 0.0f)) {
    throw ValueError(
        fmt::format("{} {} of a ReLU layer cannot be a negative value, received {}", where, what, value));
  }
}

// The activation each layer class computes, from its arguments; throws ValueError with `where`.
detail::Activation activation_of(const ActivationArgs& a, const std::string& where) {
  return detail::parse_activation(a.activation, where);
}

detail::Activation activation_of(const ReLUArgs& a, const std::string& where) {
  const ReLUOptions& o = a.options;
  if (o.max_value) expect_non_negative(where, "max_value", *o.max_value);
  expect_non_negative(where, "negative_slope", o.negative_slope);
  expect_non_negative(where, "threshold", o.threshold);
  detail::Activation activation;
  activation.kind = detail::ActivationKind::kRelu;
  activation.alpha = o.negative_slope;
  if (o.max_value) activation.max_value = *o.max_value;
  activation.threshold = o.threshold;
  return activation;
}

detail::Activation activation_of(const LeakyReLUArgs& a, const std::string& where) {
  if (!(a.options.negative_slope >= 0.0f)) {
    throw ValueError(fmt::format("{} Expected a non-negative negative_slope, received {}", where,
                                 a.options.negative_slope));
  }
  detail::Activation activation;
  activation.kind = detail::ActivationKind::kLeakyRelu;
  activation.alpha = a.options.negative_slope;
  return activation;
}

detail::Activation activation_of(const ELUArgs& a, const std::string& where) {
  if (std::isnan(a.options.alpha))
    throw ValueError(fmt::format("{} Expected a number for alpha, received nan", where));
  return detail::Activation{detail::ActivationKind::kElu, a.options.alpha};
}

// Keras 2's ThresholdedReLU, x * (x > theta), is ReLU's threshold with no slope.
detail::Activation activation_of(const ThresholdedReLUArgs& a, const std::string& where) {
  expect_non_negative(where, "theta", a.options.theta);
  detail::Activation activation;
  activation.kind = detail::ActivationKind::kRelu;
  activation.threshold = a.options.theta;
  return activation;
}

detail::Activation activation_of(const SoftmaxArgs&, const std::string&) {
  detail::Activation activation;
  activation.kind = detail::ActivationKind::kSoftmax;
  return activation;
}

// The axis a softmax normalizes: the Softmax layer's own, else Keras's activation default, the last.
template <class Args>
int softmax_axis(const Args&) {
  return -1;
}
int softmax_axis(const SoftmaxArgs& a) {
  return a.options.axis;
}

// Every activation layer: one input, same shape out, one element-wise (or softmax) op.
template <class Args>
class ActivationImpl : public detail::ConfiguredLayer<Args> {
 public:
  ActivationImpl(const detail::LayerSchema<Args>& schema, Args args)
      : detail::ConfiguredLayer<Args>(schema, std::move(args)),
        activation_(activation_of(this->args_, this->prefix())) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (detail::is_softmax(activation_.kind)) {
      if (inputs[0].rank() < 2) {
        throw ShapeError(fmt::format("{} Softmax needs an input of rank 2 or more, received shape {}",
                                     this->prefix(), inputs[0].to_string()));
      }
      detail::normalize_axis(this->prefix(), softmax_axis(this->args_), inputs[0].rank());
    }
    return {inputs[0]};
  }

  // The Softmax layer takes Keras's mask and would set masked elements to -1e9 before normalizing; a mask
  // made by Embedding or Masking covers the steps, which Keras broadcasts against the features (an error in
  // Keras unless the sizes happen to agree). Refused rather than ignored.
  void check_mask(const SymbolicTensor& mask) const override {
    throw ValueError(fmt::format(
        "{} The input carries a mask (from {}); Keras's Softmax applies it broadcast against the input, "
        "which strata does not compute. Softmax the tensor before masking, or use ops::softmax, which "
        "ignores masks",
        this->prefix(), mask.name()));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const int axis = softmax_axis(this->args_);
    if (!detail::is_softmax(activation_.kind) || axis == -1) {
      return {detail::emit_activation(graph, inputs[0], activation_, this->name())};
    }
    const ir::ValueId out = graph.add_value(graph.values[inputs[0]].dims, this->name());
    const int rank = static_cast<int>(graph.values[inputs[0]].dims.size());
    const ir::SoftmaxOp softmax{detail::normalize_axis(this->prefix(), axis, rank), false};
    graph.ops.push_back(ir::Op{softmax, {inputs[0]}, {out}, {}, {this->name()}});
    return {out};
  }

 private:
  detail::Activation activation_;
};

template <class Args>
std::shared_ptr<detail::LayerImpl> make(const detail::LayerSchema<Args>& schema, Args args) {
  return std::make_shared<ActivationImpl<Args>>(schema, std::move(args));
}

}  // namespace

Activation::Activation(const std::string& activation, LayerOptions options) {
  impl_ = make(activation_schema(), ActivationArgs{activation, std::move(options)});
}

SymbolicTensor Activation::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

ReLU::ReLU(ReLUOptions options) {
  impl_ = make(relu_schema(), ReLUArgs{std::move(options)});
}

SymbolicTensor ReLU::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

LeakyReLU::LeakyReLU(LeakyReLUOptions options) {
  impl_ = make(leaky_relu_schema(), LeakyReLUArgs{std::move(options)});
}

SymbolicTensor LeakyReLU::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

ELU::ELU(ELUOptions options) {
  impl_ = make(elu_schema(), ELUArgs{std::move(options)});
}

SymbolicTensor ELU::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

ThresholdedReLU::ThresholdedReLU(ThresholdedReLUOptions options) {
  impl_ = make(thresholded_relu_schema(), ThresholdedReLUArgs{std::move(options)});
}

SymbolicTensor ThresholdedReLU::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

Softmax::Softmax(SoftmaxOptions options) {
  impl_ = make(softmax_schema(), SoftmaxArgs{std::move(options)});
}

SymbolicTensor Softmax::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_activations_layers() {
  register_layer(layers::activation_schema(), [](layers::ActivationArgs a) {
    return layers::make(layers::activation_schema(), std::move(a));
  });
  register_layer(layers::relu_schema(),
                 [](layers::ReLUArgs a) { return layers::make(layers::relu_schema(), std::move(a)); });
  register_layer(layers::leaky_relu_schema(), [](layers::LeakyReLUArgs a) {
    return layers::make(layers::leaky_relu_schema(), std::move(a));
  });
  register_layer(layers::elu_schema(),
                 [](layers::ELUArgs a) { return layers::make(layers::elu_schema(), std::move(a)); });
  register_layer(layers::thresholded_relu_schema(), [](layers::ThresholdedReLUArgs a) {
    return layers::make(layers::thresholded_relu_schema(), std::move(a));
  });
  register_layer(layers::softmax_schema(),
                 [](layers::SoftmaxArgs a) { return layers::make(layers::softmax_schema(), std::move(a)); });
}
}  // namespace strata::detail
