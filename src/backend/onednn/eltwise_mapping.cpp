#include "backend/onednn/eltwise_mapping.hpp"

#include "strata/error.hpp"

namespace strata::onednn {

using dnnl::algorithm;
using detail::ActivationKind;

std::vector<EltwiseStep> eltwise_steps(const detail::Activation& a) {
  switch (a.kind) {
    case ActivationKind::kLinear:
      return {};
    case ActivationKind::kRelu:
      return {{algorithm::eltwise_relu, 0.0f, 0.0f}};
    case ActivationKind::kRelu6:
      return {{algorithm::eltwise_clip, 0.0f, 6.0f}};
    case ActivationKind::kSigmoid:
      return {{algorithm::eltwise_logistic}};
    case ActivationKind::kHardSigmoid:
      // relu6(x + 3) / 6 == clip(x / 6 + 0.5, 0, 1)
      return {{algorithm::eltwise_linear, 1.0f / 6.0f, 0.5f}, {algorithm::eltwise_clip, 0.0f, 1.0f}};
    case ActivationKind::kTanh:
      return {{algorithm::eltwise_tanh}};
    case ActivationKind::kElu:
      return {{algorithm::eltwise_elu, 1.0f}};
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
    case ActivationKind::kSoftmax:
      break;
  }
  throw InternalError("eltwise_steps: softmax is not an eltwise operation");
}

}  // namespace strata::onednn
