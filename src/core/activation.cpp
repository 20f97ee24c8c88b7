#include "core/activation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "strata/error.hpp"

namespace strata::detail {
namespace {

// swish and silu are one activation under two names; the first name is the canonical one.
const std::vector<std::pair<std::string, ActivationKind>>& table() {
  static const std::vector<std::pair<std::string, ActivationKind>> t = {
      {"linear", ActivationKind::kLinear},
      {"relu", ActivationKind::kRelu},
      {"relu6", ActivationKind::kRelu6},
      {"sigmoid", ActivationKind::kSigmoid},
      {"hard_sigmoid", ActivationKind::kHardSigmoid},
      {"keras2_hard_sigmoid", ActivationKind::kHardSigmoidKeras2},
      {"tanh", ActivationKind::kTanh},
      {"softmax", ActivationKind::kSoftmax},
      {"log_softmax", ActivationKind::kLogSoftmax},
      {"elu", ActivationKind::kElu},
      {"selu", ActivationKind::kSelu},
      {"gelu", ActivationKind::kGelu},
      {"swish", ActivationKind::kSwish},
      {"silu", ActivationKind::kSwish},
      {"softplus", ActivationKind::kSoftplus},
      {"leaky_relu", ActivationKind::kLeakyRelu},
      {"hard_silu", ActivationKind::kHardSwish},
      {"hard_swish", ActivationKind::kHardSwish},
      {"mish", ActivationKind::kMish},
      {"exponential", ActivationKind::kExp},
  };
  return t;
}

constexpr float kKerasLeakySlope = 0.2f;  // keras.activations.leaky_relu's default negative_slope

}  // namespace

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, kind] : table()) n.push_back(name);
    return n;
  }();
  return names;
}

Activation parse_activation(const std::string& name, const std::string& where) {
  for (const auto& [known, kind] : table()) {
    if (known == name) {
      Activation a{kind};
      if (kind == ActivationKind::kLeakyRelu) a.alpha = kKerasLeakySlope;
      if (kind == ActivationKind::kElu) a.alpha = 1.0f;
      return a;
    }
  }
  throw ValueError(fmt::format("{} Unknown activation '{}'. Expected one of: {}", where, name,
                               fmt::join(activation_names(), ", ")));
}

bool is_standard_eltwise(const Activation& activation) {
  if (is_softmax(activation.kind)) return false;
  if (activation.kind == ActivationKind::kErf || activation.kind == ActivationKind::kRpow) return false;
  return !(activation.kind == ActivationKind::kRelu && activation.threshold != 0.0f);
}

std::string activation_name(const Activation& activation) {
  for (const auto& [name, kind] : table()) {
    if (kind == activation.kind) return name;
  }
  // The element-wise ops that are no Keras activation: named for plan reports and IR dumps.
  switch (activation.kind) {
    case ActivationKind::kAffine:
      return "affine";
    case ActivationKind::kPower:
      return "power";
    case ActivationKind::kAbs:
      return "abs";
    case ActivationKind::kSquare:
      return "square";
    case ActivationKind::kSqrt:
      return "sqrt";
    case ActivationKind::kLog:
      return "log";
    case ActivationKind::kClip:
      return "clip";
    case ActivationKind::kGeluTanh:
      return "gelu_tanh";
    case ActivationKind::kErf:
      return "erf";
    case ActivationKind::kRpow:
      return "rpow";
    default:
      return "unknown";
  }
}

float apply_activation(const Activation& a, float x) {
  switch (a.kind) {
    case ActivationKind::kLinear:
      return x;
    case ActivationKind::kRelu: {
      // NaN stays NaN, as in Keras (its comparisons below would turn it into 0).
      if (std::isnan(x)) return x;
      // Keras's activations.relu with negative_slope, max_value and threshold, term by term.
      float positive = x > a.threshold ? x : 0.0f;
      positive = std::min(positive, a.max_value);
      if (a.alpha == 0.0f) return positive;  // 0 * inf would make relu(-inf) NaN; Keras gives 0
      const float negative = a.threshold - x > 0.0f ? a.threshold - x : 0.0f;
      return positive - a.alpha * negative;
    }
    case ActivationKind::kRelu6:
      return std::isnan(x) ? x : std::min(std::max(x, 0.0f), 6.0f);
    case ActivationKind::kSigmoid:
      return 1.0f / (1.0f + std::exp(-x));
    case ActivationKind::kHardSigmoid:
      if (std::isnan(x)) return x;
      return std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    case ActivationKind::kHardSigmoidKeras2:
      if (std::isnan(x)) return x;
      return std::min(std::max(0.2f * x + 0.5f, 0.0f), 1.0f);
    case ActivationKind::kTanh:
      return std::tanh(x);
    case ActivationKind::kElu:
      return x > 0.0f ? x : a.alpha * std::expm1(x);
    case ActivationKind::kSelu: {
      constexpr float kAlpha = 1.6732632423543772f;
      constexpr float kScale = 1.0507009873554805f;
      return kScale * (x > 0.0f ? x : kAlpha * std::expm1(x));
    }
    case ActivationKind::kGelu:
      return 0.5f * x * (1.0f + std::erf(x / std::sqrt(2.0f)));
    case ActivationKind::kSwish:
      return x / (1.0f + std::exp(-x));
    case ActivationKind::kSoftplus:
      // log1p(exp(x)) overflows for large x, where the answer is x itself.
      return x > 20.0f ? x : std::log1p(std::exp(x));
    case ActivationKind::kLeakyRelu:
      return x >= 0.0f ? x : a.alpha * x;
    case ActivationKind::kHardSwish:
      if (std::isnan(x)) return x;
      return x * (std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f);
    case ActivationKind::kMish: {
      const float softplus = x > 20.0f ? x : std::log1p(std::exp(x));
      return x * std::tanh(softplus);
    }
    case ActivationKind::kExp:
      return std::exp(x);
    case ActivationKind::kAffine:
      return x * a.alpha + a.beta;
    case ActivationKind::kPower:
      return a.alpha * std::pow(x, a.beta);
    case ActivationKind::kAbs:
      return std::fabs(x);
    case ActivationKind::kSquare:
      return x * x;
    case ActivationKind::kSqrt:
      return std::sqrt(x);
    case ActivationKind::kLog:
      return std::log(x);
    case ActivationKind::kClip:
      // numpy's clip, minimum(maximum(x, low), high): NaN stays NaN.
      if (std::isnan(x)) return x;
      return std::min(std::max(x, a.alpha), a.beta);
    case ActivationKind::kGeluTanh: {
      // Keras's gelu(approximate=True): 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
      constexpr float kSqrt2OverPi = 0.7978845608028654f;
      return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
    }
    case ActivationKind::kErf:
      return std::erf(x);
    case ActivationKind::kRpow:
      return std::pow(a.alpha, x);
    case ActivationKind::kSoftmax:
    case ActivationKind::kLogSoftmax:
      break;
  }
  throw InternalError("apply_activation: softmax is not element-wise");
}

}  // namespace strata::detail
