#pragma once
// Helpers for the numerical and runtime tests: random weights, random inputs, and a oneDNN-vs-reference
// check that reports which plan disagreed.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
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
/// by the cancellations of the next, would then compound far past a one-layer tolerance. A
/// BatchNormalization's moving variance (its last weight) is uniform in [0.5, 1.5): a negative one would make
/// every output NaN, and NaNs compare equal bit for bit.
inline void randomize_weights_keeping_scale(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    if (weights.empty()) continue;
    for (strata::Tensor& w : weights) {
      float limit = 1.0f;
      if (w.rank() >= 2) limit = static_cast<float>(std::sqrt(3.0 * static_cast<double>(w.dims().back()) / w.size()));
      w = strata::Tensor::random_uniform(w.dims(), seed++, -limit, limit);
    }
    if (layer.class_name() == "BatchNormalization")
      weights.back() = strata::Tensor::random_uniform(weights.back().dims(), seed++, 0.5f, 1.5f);
    layer.set_weights(weights);
  }
}

/// Whether this CPU runs compiled models in bfloat16 (compile refuses precision "bfloat16" otherwise).
inline bool native_bfloat16() {
  auto in = strata::Input({4, 4, 3});
  const strata::Model probe(in, strata::layers::Conv2D(4, 3)(in));
  try {
    probe.compile({.precision = "bfloat16"});
    return true;
  } catch (const strata::ValueError&) {
    return false;
  }
}

/// A tensor of values uniform in [-1, 1).
inline strata::Tensor random_input(std::vector<int64_t> dims, uint64_t seed) {
  return strata::Tensor::random_uniform(std::move(dims), seed, -1.0f, 1.0f);
}

/// The sanitizers' light mode for whole applications (STRATA_SANITIZED builds): runs `model` once fused and
/// once unfused, with the weights it has, on a random input of `input`'s shape, and returns true, so the
/// test returns without its oracle; in the plain build it runs nothing and returns false. The sanitizers
/// still see every kernel and buffer of both plans; the numbers are the plain build's to check. (Calibrating
/// InceptionResNetV2's 204 batch norms alone, each on the network before it, took minutes under them.)
inline bool sanitized_smoke_run(const strata::Model& model, std::vector<int64_t> input) {
#ifdef STRATA_SANITIZED
  // Besides the sanitizers' own reports, which fail the test: with the initial weights (Keras's
  // initializers, batch norms as identities) every output of both plans is finite.
  const strata::Tensor x = random_input(std::move(input), 1);
  for (bool fuse : {true, false}) {
    const strata::Tensor y = model.compile({.fuse = fuse}).predict(x);
    INFO("fuse " << fuse);
    CHECK(std::all_of(y.data(), y.data() + y.size(), [](float v) { return std::isfinite(v); }));
  }
  return true;
#else
  (void)model;
  (void)input;
  return false;
#endif
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

/// Weights as a trained network has them, for whole-network tests: kernels uniform in +-sqrt(6 / fan_in)
/// (He's scale, so 50 relu layers neither explode nor vanish), biases and batch-norm offsets in +-0.2, gamma
/// in [0.5, 1.5], and every batch norm's moving mean and variance set to the per-channel statistics of its
/// input on `sample`, in layer order (each after the ones before it), as training leaves them. Every batch
/// norm then really normalizes, so the output depends on the input as a trained network's does; with Keras's
/// initial or random moments ResNet50's output hardly depends on its input (1e-8 of its scale for an all-zero
/// input). A Normalization layer with weights (mean, variance, count) gets its input's per-channel mean and
/// variance the same way, as Keras's `adapt` would give it.
inline void randomize_like_trained(const strata::Model& model, uint64_t seed, const strata::Tensor& sample) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> w = layer.get_weights();
    if (w.empty() || layer.class_name() == "Normalization") continue;
    for (strata::Tensor& t : w) {
      const double fan_in = t.rank() >= 2 ? static_cast<double>(t.size()) / t.dims().back() : 1.0;
      const float limit = t.rank() >= 2 ? static_cast<float>(std::sqrt(6.0 / fan_in)) : 0.2f;
      t = strata::Tensor::random_uniform(t.dims(), seed++, -limit, limit);
    }
    if (layer.class_name() == "BatchNormalization") {
      w.front() = strata::Tensor::random_uniform(w.front().dims(), seed++, 0.5f, 1.5f);  // gamma
    }
    layer.set_weights(w);
  }
  for (strata::Layer layer : model.layers()) {
    const bool normalization = layer.class_name() == "Normalization";
    if (layer.class_name() != "BatchNormalization" && !(normalization && !layer.get_weights().empty()))
      continue;
    const strata::Model probe(model.inputs(), {layer.input()}, "probe");
    const strata::Tensor x = probe.compile({.num_threads = 1}).predict(sample);
    const int64_t channels = x.dims().back(), rows = x.size() / channels;
    std::vector<double> sum(channels), squares(channels);
    for (int64_t i = 0; i < x.size(); ++i) {
      sum[i % channels] += x.data()[i];
      squares[i % channels] += static_cast<double>(x.data()[i]) * x.data()[i];
    }
    // BatchNormalization: ..., moving mean, moving variance; Normalization: mean, variance, count.
    std::vector<strata::Tensor> w = layer.get_weights();
    strata::Tensor& mean = normalization ? w[0] : w[w.size() - 2];
    strata::Tensor& variance = normalization ? w[1] : w[w.size() - 1];
    REQUIRE(mean.size() == channels);
    for (int64_t c = 0; c < channels; ++c) {
      const double m = sum[c] / rows;
      mean.data()[c] = static_cast<float>(m);
      // A batch norm's epsilon is about 1e-3 anyway; a Normalization has none, and its input may be tiny
      // (EfficientNet's pixels scaled by 1/255).
      variance.data()[c] =
          static_cast<float>(std::max(squares[c] / rows - m * m, normalization ? 1e-12 : 1e-3));
    }
    layer.set_weights(w);
  }
}

/// randomize_like_trained for a ConvNeXt, then every layer normalization's gamma in [0.5, 1.5], as training
/// leaves it: at randomize_like_trained's +-0.2 for vectors, the five normalizations on the path from the
/// input to the head (stem, three downsamplings, head) each shrink the input's share of the output against
/// their beta, and a perturbed input moved the logits by under 1% of their scale. The stem and
/// downsampling normalizations sit in nested Sequentials, found by Keras's names, whose weights come in
/// Keras's order: the stem's kernel, bias, gamma, beta; a downsampling block's gamma, beta, kernel, bias.
inline void randomize_convnext_like_trained(const strata::Model& model, uint64_t seed,
                                            const strata::Tensor& sample) {
  randomize_like_trained(model, seed, sample);
  const auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  uint64_t next = seed + 1000;
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> w = layer.get_weights();
    size_t gamma = w.size();
    if (layer.class_name() == "LayerNormalization") gamma = 0;
    if (layer.class_name() == "Sequential" && ends_with(layer.name(), "_stem")) gamma = 2;
    if (layer.class_name() == "Sequential" && layer.name().find("_downsampling_block_") != std::string::npos)
      gamma = 0;
    if (gamma >= w.size()) continue;
    w[gamma] = strata::Tensor::random_uniform(w[gamma].dims(), next++, 0.5f, 1.5f);
    layer.set_weights(w);
  }
}

/// max |a - b| / max |b|: an error relative to the output's scale.
inline double scaled_error(const strata::Tensor& a, const strata::Tensor& b) {
  REQUIRE(a.dims() == b.dims());
  double worst = 0.0, scale = 0.0;
  for (int64_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(a.data()[i] - b.data()[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b.data()[i])));
  }
  if (std::isnan(worst)) return INFINITY;
  return scale > 0.0 ? worst / scale : worst;
}

/// `t` with every 7th element moved by 0.2 (a tenth of the inputs' [-1, 1) range): a change any correct
/// network sees.
inline strata::Tensor perturbed(strata::Tensor t) {
  for (int64_t i = 0; i < t.size(); i += 7) t.data()[i] += 0.2f;
  return t;
}

/// How far a perturbed input moves `model`'s first output, relative to its scale (scaled_error). A test
/// whose tolerance is not far below this cannot fail for a wrong kernel: whole-network tests require at
/// least 100 times their tolerance.
inline double sensitivity(const strata::Model& model, const strata::Tensor& input) {
  return scaled_error(model.predict(perturbed(input)), model.predict(input));
}

/// A model of one input of shape `dims` (batch excluded) and the output `body` makes from it.
inline strata::Model single(std::vector<strata::Dim> dims,
                            const std::function<strata::SymbolicTensor(strata::SymbolicTensor)>& body) {
  auto in = strata::Input(std::move(dims));
  return strata::Model(in, body(in));
}

/// A model of two inputs and the output `body` makes from them.
inline strata::Model pair(
    std::vector<strata::Dim> a, std::vector<strata::Dim> b,
    const std::function<strata::SymbolicTensor(strata::SymbolicTensor, strata::SymbolicTensor)>& body) {
  auto x = strata::Input(std::move(a)), y = strata::Input(std::move(b));
  return strata::Model({x, y}, body(x, y));
}

}  // namespace strata_test
