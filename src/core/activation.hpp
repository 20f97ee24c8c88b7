#pragma once
// Keras activations by name: parsing, and the scalar definitions the reference executor uses.

#include <string>
#include <vector>

namespace strata::detail {

enum class ActivationKind {
  kLinear,
  kRelu,
  kRelu6,
  kSigmoid,
  kHardSigmoid,
  kTanh,
  kSoftmax,
  kElu,
  kSelu,
  kGelu,
  kSwish,
  kSoftplus,
  kLeakyRelu,
};

/// An element-wise activation. Softmax is not element-wise; it is listed so that Keras's activation
/// strings parse in one place, and lowers to its own op.
struct Activation {
  ActivationKind kind = ActivationKind::kLinear;
  /// The negative slope of leaky_relu.
  float alpha = 0.0f;

  friend bool operator==(const Activation&, const Activation&) = default;
};

/// Parses a Keras activation name ("relu", "swish", ...). Throws ValueError, prefixed with `where`,
/// listing the valid names.
Activation parse_activation(const std::string& name, const std::string& where);

/// The Keras name of an activation ("relu").
std::string activation_name(const Activation& activation);

/// Every activation name strata accepts, in the order the docs list them.
const std::vector<std::string>& activation_names();

/// Applies an element-wise activation to one value, straight from Keras's definition. Not for softmax.
float apply_activation(const Activation& activation, float x);

}  // namespace strata::detail
