#include "backend/onednn/eltwise_mapping.hpp"

#include <algorithm>
#include <set>

#include "backend/onednn/post_op_rules.hpp"

#include <cmath>
#include <limits>

#include "strata/error.hpp"

namespace strata::onednn {

using dnnl::algorithm;
using detail::ActivationKind;

std::vector<EltwiseStep> eltwise_steps(const detail::Activation& a) {
  switch (a.kind) {
    case ActivationKind::kLinear:
      return {};
    case ActivationKind::kRelu: {
      if (a.threshold != 0.0f) break;  // not a standard eltwise chain; callers check is_standard_eltwise
      if (a.alpha == 0.0f && a.max_value == 6.0f) return {{algorithm::eltwise_clip, 0.0f, 6.0f}};
      std::vector<EltwiseStep> steps = {{algorithm::eltwise_relu, a.alpha, 0.0f}};
      // The slope part is never above zero, so only the upper bound needs a clip.
      if (std::isfinite(a.max_value)) steps.push_back({algorithm::eltwise_clip, -std::numeric_limits<float>::max(), a.max_value});
      return steps;
    }
    case ActivationKind::kRelu6:
      return {{algorithm::eltwise_clip, 0.0f, 6.0f}};
    case ActivationKind::kSigmoid:
      return {{algorithm::eltwise_logistic}};
    case ActivationKind::kHardSigmoid:
      // relu6(x + 3) / 6 == clip(x / 6 + 0.5, 0, 1)
      return {{algorithm::eltwise_linear, 1.0f / 6.0f, 0.5f}, {algorithm::eltwise_clip, 0.0f, 1.0f}};
    case ActivationKind::kHardSigmoidKeras2:
      return {{algorithm::eltwise_linear, 0.2f, 0.5f}, {algorithm::eltwise_clip, 0.0f, 1.0f}};
    case ActivationKind::kTanh:
      return {{algorithm::eltwise_tanh}};
    case ActivationKind::kElu:
      return {{algorithm::eltwise_elu, a.alpha}};
    case ActivationKind::kSelu:
      return {{algorithm::eltwise_elu, 1.6732632423543772f}, {algorithm::eltwise_linear, 1.0507009873554805f, 0.0f}};
    case ActivationKind::kGelu:
      return {{algorithm::eltwise_gelu_erf}};
    case ActivationKind::kSwish:
      return {{algorithm::eltwise_swish, 1.0f}};
    case ActivationKind::kSoftplus:
      return {{algorithm::eltwise_soft_relu}};
    case ActivationKind::kLeakyRelu:
      return {{algorithm::eltwise_relu, a.alpha}};
    case ActivationKind::kHardSwish:
      return {{algorithm::eltwise_hardswish}};
    case ActivationKind::kMish:
      return {{algorithm::eltwise_mish}};
    case ActivationKind::kExp:
      return {{algorithm::eltwise_exp}};
    case ActivationKind::kAffine:
      return {{algorithm::eltwise_linear, a.alpha, a.beta}};
    case ActivationKind::kPower:
      return {{algorithm::eltwise_pow, a.alpha, a.beta}};
    case ActivationKind::kAbs:
      return {{algorithm::eltwise_abs}};
    case ActivationKind::kSquare:
      return {{algorithm::eltwise_square}};
    case ActivationKind::kSqrt:
      return {{algorithm::eltwise_sqrt}};
    case ActivationKind::kLog:
      return {{algorithm::eltwise_log}};
    case ActivationKind::kClip:
      return {{algorithm::eltwise_clip_v2, a.alpha, a.beta}};
    case ActivationKind::kGeluTanh:
      return {{algorithm::eltwise_gelu_tanh}};
    case ActivationKind::kSoftmax:
    case ActivationKind::kLogSoftmax:
    case ActivationKind::kErf:
    case ActivationKind::kRpow:
      break;
  }
  throw InternalError("eltwise_steps: " + detail::activation_name(a) + " is not a standard eltwise chain");
}

}  // namespace strata::onednn

namespace strata::detail {

bool onednn_accepts_post_ops(const std::vector<ir::PostOp>& chain) {
  std::set<dnnl::algorithm> seen;
  const bool has_depthwise = std::any_of(
      chain.begin(), chain.end(), [](const ir::PostOp& p) { return p.kind == ir::PostOp::Kind::kDepthwise; });
  const auto count = [&](ir::PostOp::Kind kind) {
    return std::count_if(chain.begin(), chain.end(), [&](const ir::PostOp& p) { return p.kind == kind; });
  };
  // A binary post-op: one per chain, and alone beside a sum or a depthwise convolution; the combinations
  // were never checked against oneDNN 2.6's kernels.
  const auto binaries = count(ir::PostOp::Kind::kBinary);
  if (binaries > 1 || (binaries == 1 && (has_depthwise || count(ir::PostOp::Kind::kSum) > 0))) return false;
  int depthwise = 0;
  for (const ir::PostOp& p : chain) {
    // A fused depthwise convolution runs its own post-ops in a kernel of its own, so the rule restarts there;
    // one per chain, and no sum beside it (oneDNN 2.6 offers no kernel for that).
    if (p.kind == ir::PostOp::Kind::kDepthwise) {
      if (++depthwise > 1) return false;
      seen.clear();
      continue;
    }
    if (p.kind == ir::PostOp::Kind::kSum && has_depthwise) return false;
    if (p.kind != ir::PostOp::Kind::kActivation) continue;
    if (!is_standard_eltwise(p.activation)) return false;
    for (const onednn::EltwiseStep& step : onednn::eltwise_steps(p.activation)) {
      if (!seen.insert(step.algorithm).second) return false;
    }
  }
  return true;
}

}  // namespace strata::detail
