#pragma once
// Helpers for the numerical and runtime tests: random weights, random inputs, and a oneDNN-vs-reference
// check that reports which plan disagreed.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace strata_test {

/// Replaces every weight of every layer of `model` with values uniform in [-1, 1), so that biases are not
/// zero and kernels are not the initializer's. Each tensor gets its own seed, starting at `seed`.
inline void randomize_weights(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    if (weights.empty()) continue;
    for (strata::Tensor& w : weights) w = strata::Tensor::random_uniform(w.dims(), seed++, -1.0f, 1.0f);
    layer.set_weights(weights);
  }
}

/// Like `randomize_weights`, but for models several layers deep: kernels (rank 2 and up) uniform in
/// +-sqrt(3 / fan_in), variance 1 / fan_in as with Keras's own initializers, so activations keep a scale of
/// about 1 from layer to layer; biases and other vectors uniform in [-1, 1). Kernels in [-1, 1) would grow
/// the activations about sqrt(fan_in / 3) times per layer, and the float32 rounding of one layer, amplified
/// by the cancellations of the next, would then compound far past a one-layer tolerance.
inline void randomize_weights_keeping_scale(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    if (weights.empty()) continue;
    for (strata::Tensor& w : weights) {
      float limit = 1.0f;
      if (w.rank() >= 2) limit = static_cast<float>(std::sqrt(3.0 * static_cast<double>(w.dims().back()) / w.size()));
      w = strata::Tensor::random_uniform(w.dims(), seed++, -limit, limit);
    }
    layer.set_weights(weights);
  }
}

/// A tensor of values uniform in [-1, 1).
inline strata::Tensor random_input(std::vector<int64_t> dims, uint64_t seed) {
  return strata::Tensor::random_uniform(std::move(dims), seed, -1.0f, 1.0f);
}

/// Compares the fused and the unfused oneDNN plans with the reference executor, each output separately,
/// and fails with the plans in the message when either differs by more than `tolerance`. `num_threads` as
/// in CompileOptions: the long sweeps pass 1, because on a shared, busy machine every primitive's closing
/// OpenMP barrier can wait out a scheduler time slice, and hundreds of tiny plans then take many seconds.
inline void check_against_reference(const strata::Model& model, const std::vector<strata::Tensor>& inputs,
                                    double tolerance, int num_threads = 0) {
  const auto reference = model.compile({.backend = "reference"}).predict(inputs);
  std::vector<std::vector<int64_t>> dims;
  for (const strata::Tensor& t : inputs) dims.push_back(t.dims());
  for (bool fuse : {true, false}) {
    const strata::CompiledModel compiled = model.compile({.num_threads = num_threads, .fuse = fuse});
    const auto got = compiled.predict(inputs);
    REQUIRE(got.size() == reference.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("fuse " << fuse << ", num_threads " << num_threads << ", output " << i << ", tolerance " << tolerance << "\n" << compiled.plan_string(dims));
      CHECK(max_relative_error(got[i], reference[i]) <= tolerance);
    }
  }
}

}  // namespace strata_test
