#pragma once
// The layers that scale their input per channel (CustomScaleLayer, LayerScale) lower to a batch
// normalization with zero mean and unit variance, which fold_batch_norm folds into the op computing its
// input.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "compiler/ir.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

/// A batch normalization computing exactly `x * gamma` over `gamma`'s channels: mean 0, variance 1, epsilon
/// 0. The mean and variance tensors are made once per channel count and shared by every layer and plan:
/// fold_batch_norm caches the folded scale, and the oneDNN backend the reordered kernel, by the identity of
/// the batch norm's tensors (gamma's included), so new ones per plan would give each plan its own copy of
/// every kernel it folds into.
inline ir::BatchNormOp scale_as_batch_norm(std::shared_ptr<const Tensor> gamma) {
  static std::mutex mutex;
  static std::map<int64_t, std::pair<std::shared_ptr<const Tensor>, std::shared_ptr<const Tensor>>>
      statistics;
  const int64_t channels = gamma->dims().back();
  ir::BatchNormOp bn;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    auto it = statistics.find(channels);
    if (it == statistics.end()) {
      const auto filled = [channels](float v) {
        return std::make_shared<const Tensor>(std::vector<int64_t>{channels},
                                              std::vector<float>(static_cast<size_t>(channels), v));
      };
      it = statistics.emplace(channels, std::make_pair(filled(0.0f), filled(1.0f))).first;
    }
    bn.mean = it->second.first;
    bn.variance = it->second.second;
  }
  bn.gamma = std::move(gamma);
  bn.epsilon = 0.0f;
  return bn;
}

}  // namespace strata::detail
