#pragma once
// Helpers shared by the tests: the seed blocks, tolerant tensor comparison, golden files.

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <strata/strata.hpp>

namespace strata_test {

namespace L = strata::layers;

/// The seed notebook's first block: 1x1 projected shortcut, no change of spatial size.
inline strata::Model seed_block_1(const std::string& name = "residual_block") {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  residual = L::Conv2D(64, 1)(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, name);
}

/// The seed notebook's second block: max-pooled main path, strided 1x1 shortcut.
inline strata::Model seed_block_2(const std::string& name = "residual_block_2") {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, name);
}

/// Whether oneDNN runs its AVX-512 kernels on this CPU (avx512_core: AVX512F, BW, VL and DQ). The plans
/// differ with the CPU: oneDNN 2.6 has Winograd convolutions, and the nChw16c kernels strata keeps blocked
/// chains in, only there; on an AVX2 CPU (AMD Zen 3, say) every convolution is direct and NHWC. Plan-shape
/// checks branch on this; the numeric checks are the same on both.
inline bool onednn_runs_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

/// How many times `what` occurs in `text` (overlaps counted).
inline int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// Largest |a - b| / (1 + |b|) over all elements; dims must match.
inline double max_relative_error(const strata::Tensor& a, const strata::Tensor& b) {
  REQUIRE(a.dims() == b.dims());
  double worst = 0.0;
  for (int64_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(static_cast<double>(a.data()[i]) - b.data()[i]) / (1.0 + std::abs(b.data()[i]));
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

/// float32 tolerance for a result accumulated over `terms` products: the error of a float32 dot product
/// grows about like sqrt(terms) ulps for random signs; 8 ulps per sqrt(term) with a floor leaves room for
/// oneDNN's reassociation while still catching any wrong index (which gives errors near 1).
inline double float32_tolerance(int64_t terms) {
  return 8.0 * 1.2e-7 * std::sqrt(static_cast<double>(std::max<int64_t>(terms, 16)));
}

/// Runs `model` on the oneDNN backend (fused and unfused) and on the reference executor; returns the
/// worst error of either oneDNN plan against the reference.
inline double onednn_vs_reference(const strata::Model& model, const std::vector<strata::Tensor>& inputs) {
  const auto reference = model.compile({.backend = "reference"}).predict(inputs);
  double worst = 0.0;
  for (bool fuse : {true, false}) {
    const auto got = model.compile({.fuse = fuse}).predict(inputs);
    REQUIRE(got.size() == reference.size());
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, max_relative_error(got[i], reference[i]));
  }
  return worst;
}

inline std::string read_golden(const std::string& name) {
  std::ifstream in(std::string(STRATA_GOLDEN_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace strata_test
