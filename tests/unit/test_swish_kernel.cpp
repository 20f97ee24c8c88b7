// strata's own swish loop (backend/swish_kernel.hpp): against swish in double precision over the float
// range, tails of every length, NaN and in place; the plans that use it (a convolution's swish post-op run
// as a step after it, a swish layer) and their numbers against the reference executor; and a batch norm on
// few channels, which the oneDNN backend runs on wider rows (normalization.cpp).
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "backend/swish_kernel.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace L = strata::layers;

namespace {

double exact_swish(double x) {
  return x / (1.0 + std::exp(-x));
}

}  // namespace

TEST_CASE("The swish loops are within 3 ulp of swish in double precision", "[swish][numerics]") {
  using Loop = void (*)(const float*, float*, int64_t);
  std::vector<std::pair<std::string, Loop>> loops;
  if (strata::detail::swish_kernel_supported())
    loops.emplace_back("the plans' loop", strata::detail::swish_kernel);
  // The AVX2 loop also on AVX-512 machines, where the plans use the other one.
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    loops.emplace_back("the AVX2 loop", strata::detail::swish_kernel_avx2);
  if (loops.empty()) {
    WARN("no AVX2 here (or STRATA_SWISH_KERNEL=onednn): the plans keep oneDNN's swish");
    return;
  }
  std::vector<float> x;
  for (double v = -104.0; v <= 104.0; v += 0.0137) x.push_back(static_cast<float>(v));
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-40f, 87.9f, -87.9f, 88.5f, -88.5f, 3e38f, -3e38f, -1e6f})
    x.push_back(v);
  for (const auto& [name, loop] : loops) {
    INFO(name);
    std::vector<float> y(x.size());
    loop(x.data(), y.data(), static_cast<int64_t>(x.size()));
    double worst_ulps = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = exact_swish(x[i]);
      const double ulp = std::max(std::abs(want) * std::numeric_limits<float>::epsilon(),
                                  static_cast<double>(std::numeric_limits<float>::denorm_min()));
      INFO("x " << x[i] << " got " << y[i] << " want " << want);
      const double ulps = std::abs(y[i] - want) / ulp;
      worst_ulps = std::max(worst_ulps, ulps);
      // From -87 to -88 exp(-x) nears float's top: there swish is tiny (|x| e^x < 1e-36), and so is the
      // error; below -88 the loops give x * 0.
      CHECK((ulps <= 3.0 || (x[i] < -87.0f && std::abs(y[i] - want) < 1e-35)));
      if (x[i] < -88.0f) CHECK((y[i] == 0.0f && std::signbit(y[i])));
    }
    INFO("worst " << worst_ulps << " ulp");
    CHECK(worst_ulps > 0.0);  // not compared against itself

    // Tails: every length up to three vectors, in place, and nothing past the end written.
    for (int64_t n = 1; n <= 48; ++n) {
      std::vector<float> buffer(static_cast<size_t>(n) + 1, 2.0f);
      buffer.back() = -7.0f;
      loop(buffer.data(), buffer.data(), n);
      for (int64_t i = 0; i < n; ++i)
        CHECK(buffer[static_cast<size_t>(i)] == Approx(exact_swish(2.0)).epsilon(1e-6));
      CHECK(buffer.back() == -7.0f);
    }
    // NaN stays NaN; -inf gives Keras's -inf * sigmoid(-inf) = -inf * 0, NaN; +inf stays +inf.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> special = {nan, 1.0f, nan, -inf, inf};
    loop(special.data(), special.data(), 5);
    CHECK(std::isnan(special[0]));
    CHECK(std::isnan(special[2]));
    CHECK(std::isnan(special[3]));
    CHECK(special[4] == inf);
  }
}

TEST_CASE("A convolution's swish runs as strata's step after it, a swish layer too", "[swish][plan]") {
  const bool own = strata::detail::swish_kernel_supported();
  // 16x16x32 = 8192 values: at least the 4096 below which a convolution keeps oneDNN's fused swish.
  strata::Model big = single({16, 16, 8}, [](auto x) {
    auto y = L::Conv2D(32, 3, {.padding = "same", .activation = "swish"})(x);
    return L::Activation("swish")(L::Conv2D(16, 1)(y));
  });
  strata::Model small = single({4, 4, 8}, [](auto x) { return L::Conv2D(8, 1, {.activation = "swish"})(x); });
  randomize_weights(big, 5);
  randomize_weights(small, 6);
  const std::string plan = big.compile({.num_threads = 1}).plan_string(1);
  INFO(plan);
  if (own) {
    CHECK(plan.find("conv + swish") == std::string::npos);
    // Both swish steps (after the 3x3 convolution, and the layer after the 1x1 one) are strata's.
    size_t steps = 0;
    for (size_t at = plan.find("strata:cpp"); at != std::string::npos; at = plan.find("strata:cpp", at + 1))
      ++steps;
    CHECK(steps == 2);
  }
  CHECK(small.compile().plan_string(1).find("conv + swish") != std::string::npos);
  // Inputs around zero, where swish bends; the reference executor computes std::exp in float.
  for (const strata::Model* m : {&big, &small}) {
    const int64_t side = m == &big ? 16 : 4;
    check_against_reference(*m, {random_input({2, side, side, 8}, 7)}, 8 * float32_tolerance(72));
  }
  // A batch large enough for the loop's threads: two threads equal one, bit for bit.
  const strata::Tensor x = random_input({24, 16, 16, 8}, 8);
  CHECK(big.compile({.num_threads = 2}).predict(x) == big.compile({.num_threads = 1}).predict(x));
}

TEST_CASE("A batch norm on 3 channels runs on wider rows and keeps its numbers", "[batch_norm][plan]") {
  // EfficientNet's normalization of RGB pixels: 16 rows of 3 channels as one of 48 when the rows divide.
  for (int64_t side : {8, 7}) {
    INFO("side " << side);
    strata::Model model = single({side, side, 3}, [](auto x) { return L::BatchNormalization()(x * 2.0); });
    randomize_weights(model, 9);
    for (strata::Layer layer : model.layers()) {
      if (layer.class_name() != "BatchNormalization") continue;
      std::vector<strata::Tensor> w = layer.get_weights();
      w.back() = strata::Tensor({3}, {0.5f, 1.0f, 2.0f});  // variances must be positive
      layer.set_weights(w);
    }
    // 8x8: 64 rows, widened; 7x7: 49 rows, not a multiple of 16, kept as 3 channels.
    check_against_reference(model, {random_input({1, side, side, 3}, 10)}, 4 * float32_tolerance(1));
  }
}
