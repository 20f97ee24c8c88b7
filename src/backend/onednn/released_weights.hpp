#pragma once
// Weights a plan holds in oneDNN memory, and the records that rebuild a layer's Keras-layout tensor from
// them once it was released (CompileOptions::release_weights).

#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

#include "core/derived_cache.hpp"
#include "core/released_weight.hpp"
#include "strata/tensor.hpp"

namespace strata::onednn {

using detail::DerivedCache;
using detail::ReleasedWeight;

/// The process-wide cache of reordered weights, keyed on (source tensor, per-channel scale or null) and the
/// layout the primitive chose: plans for other shapes and other models with the same weights share a copy.
DerivedCache<dnnl::memory, dnnl::memory::desc>& reordered_weights();

/// A record rebuilding `weight` bit for bit from `copy`, the plan's reorder of it from `keras_desc` (its
/// bytes viewed with oneDNN's dims), times `scale` along the last Keras axis when set; null when that cannot
/// be done exactly and cheaply: the copy is not float32 in a blocked layout (bfloat16, Winograd-transformed),
/// or more than 1/16 of the elements need their value stored.
std::shared_ptr<const ReleasedWeight> release_weight(const std::shared_ptr<const Tensor>& weight,
                                                     const std::shared_ptr<const Tensor>& scale,
                                                     const dnnl::memory::desc& keras_desc,
                                                     const std::shared_ptr<dnnl::memory>& copy);

}  // namespace strata::onednn
