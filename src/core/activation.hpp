#pragma once
// Keras activations by name: parsing, and the scalar definitions the reference executor uses.

#include <limits>
#include <string>
#include <vector>

namespace strata::detail {

enum class ActivationKind {
  kLinear,
  kRelu,
  kRelu6,
  kSigmoid,
  kHardSigmoid,
  kHardSigmoidKeras2,  ///< Keras 2's hard_sigmoid: clip(0.2 x + 0.5, 0, 1), what Keras 2 files mean
  kTanh,
  kSoftmax,
  kLogSoftmax,
  kElu,
  kSelu,
  kGelu,
  kSwish,
  kSoftplus,
  kLeakyRelu,
  kHardSwish,  ///< Keras 3's hard_silu (alias hard_swish): x * relu6(x + 3) / 6
  kMish,       ///< x * tanh(softplus(x))
  kExp,        ///< Keras's "exponential"; ops.exp
  // The rest are the element-wise ops of keras.ops (and strata's own rewrites), not Keras activation names.
  kAffine,    ///< x * alpha + beta: a scalar operand of add, subtract, multiply, divide; Average's division
  kPower,     ///< alpha * x ** beta: ops.power with a number exponent, a number divided by a tensor
  kAbs,       ///< ops.abs
  kSquare,    ///< ops.square
  kSqrt,      ///< ops.sqrt
  kLog,       ///< ops.log
  kClip,      ///< min(max(x, alpha), beta): ops.clip, ops.maximum and ops.minimum with a number
  kGeluTanh,  ///< ops.gelu's default: the tanh approximation of gelu
  // No oneDNN 2.6 eltwise computes these: one pass in plain C++ on the plan's threads (never a post-op).
  kErf,   ///< ops.erf
  kRpow,  ///< alpha ** x: ops.power with a number base and a tensor exponent
};

/// An element-wise activation. Softmax is not element-wise; it is listed so that Keras's activation
/// strings parse in one place, and lowers to its own op.
struct Activation {
  ActivationKind kind = ActivationKind::kLinear;
  /// The negative slope of relu and leaky_relu; kAffine's and kPower's factor; kClip's lower bound.
  float alpha = 0.0f;
  /// kAffine's offset, kPower's exponent, kClip's upper bound.
  float beta = 0.0f;
  /// relu only: the upper bound (infinity for none) and the threshold, as Keras's ReLU layer.
  float max_value = std::numeric_limits<float>::infinity();
  float threshold = 0.0f;

  /// `x * scale + offset`.
  static Activation affine(float scale, float offset) { return {ActivationKind::kAffine, scale, offset}; }

  friend bool operator==(const Activation&, const Activation&) = default;
};

/// Softmax and log_softmax: normalizations over an axis, not element-wise; they lower to a SoftmaxOp.
inline bool is_softmax(ActivationKind kind) {
  return kind == ActivationKind::kSoftmax || kind == ActivationKind::kLogSoftmax;
}

/// True when the activation is a chain of standard element-wise functions (every one but softmax and a
/// relu with a non-zero threshold), so a backend can fuse it as post-ops.
bool is_standard_eltwise(const Activation& activation);

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
