#include "strata/layers/activations.hpp"

#include <fmt/format.h>

#include <limits>

#include "core/activation.hpp"
#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// Every activation layer: one input, same shape out, one element-wise (or softmax) op.
class ActivationImpl : public detail::LayerImpl {
 public:
  ActivationImpl(const char* class_name, const std::string& name) : LayerImpl(class_name, name) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (activation.kind == detail::ActivationKind::kSoftmax && inputs[0].rank() < 2) {
      throw ShapeError(fmt::format("{} Softmax needs an input of rank 2 or more, received shape {}", prefix(),
                                   inputs[0].to_string()));
    }
    return {inputs[0]};
  }

  nlohmann::json config() const override {
    if (class_name() == "ReLU") {
      const bool bounded = activation.max_value != std::numeric_limits<float>::infinity();
      return {{"max_value", bounded ? nlohmann::json(activation.max_value) : nlohmann::json(nullptr)},
              {"negative_slope", activation.alpha},
              {"threshold", activation.threshold}};
    }
    if (class_name() == "LeakyReLU") return {{"negative_slope", activation.alpha}};
    if (class_name() == "Softmax") return {{"axis", -1}};
    return {{"activation", detail::activation_json(activation)}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    return {detail::emit_activation(graph, inputs[0], activation, name())};
  }

  detail::Activation activation;
};

std::shared_ptr<ActivationImpl> make(const char* class_name, const std::string& name) {
  return std::make_shared<ActivationImpl>(class_name, name);
}

void expect_non_negative(const std::string& where, const char* what, float value) {
  if (!(value >= 0.0f)) {
    throw ValueError(fmt::format("{} {} of a ReLU layer cannot be a negative value, received {}", where, what, value));
  }
}

}  // namespace

Activation::Activation(const std::string& activation, LayerOptions options) {
  auto impl = make("Activation", options.name);
  impl->activation = detail::parse_activation(activation, impl->prefix());
  impl_ = impl;
}

SymbolicTensor Activation::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

ReLU::ReLU(ReLUOptions options) {
  auto impl = make("ReLU", options.name);
  const std::string where = impl->prefix();
  if (options.max_value) expect_non_negative(where, "max_value", *options.max_value);
  expect_non_negative(where, "negative_slope", options.negative_slope);
  expect_non_negative(where, "threshold", options.threshold);
  impl->activation.kind = detail::ActivationKind::kRelu;
  impl->activation.alpha = options.negative_slope;
  if (options.max_value) impl->activation.max_value = *options.max_value;
  impl->activation.threshold = options.threshold;
  impl_ = impl;
}

SymbolicTensor ReLU::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

LeakyReLU::LeakyReLU(LeakyReLUOptions options) {
  auto impl = make("LeakyReLU", options.name);
  if (!(options.negative_slope >= 0.0f)) {
    throw ValueError(fmt::format("{} Expected a non-negative negative_slope, received {}", impl->prefix(),
                                 options.negative_slope));
  }
  impl->activation.kind = detail::ActivationKind::kLeakyRelu;
  impl->activation.alpha = options.negative_slope;
  impl_ = impl;
}

SymbolicTensor LeakyReLU::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Softmax::Softmax(SoftmaxOptions options) {
  auto impl = make("Softmax", options.name);
  if (options.axis != -1) {
    throw ValueError(fmt::format("{} Only the last axis (-1) is supported, received axis {}", impl->prefix(),
                                 options.axis));
  }
  impl->activation.kind = detail::ActivationKind::kSoftmax;
  impl_ = impl;
}

SymbolicTensor Softmax::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
