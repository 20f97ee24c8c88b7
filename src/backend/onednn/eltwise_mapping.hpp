#pragma once
// Keras activations as oneDNN 2.6 eltwise steps. 2.6 has no hard_sigmoid or selu, so those are two steps.

#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/activation.hpp"

namespace strata::onednn {

struct EltwiseStep {
  dnnl::algorithm algorithm;
  float alpha = 0.0f;
  float beta = 0.0f;
};

/// The eltwise steps that compute `activation`, in order. Empty for linear. Throws InternalError for softmax.
std::vector<EltwiseStep> eltwise_steps(const detail::Activation& activation);

}  // namespace strata::onednn
