// ResNet50 and MobileNetV2 end to end: the fused oneDNN plan equals the reference executor at a reduced
// input size (so CI stays fast), with weights like a trained network's (randomize_like_trained: batch norms
// calibrated, so folding them is exercised and the output depends on the input); each test asserts that a
// perturbed input moves the output by at least 100 times its tolerance. (The reference shares strata's
// lowering; test_tfjs_oracle checks both networks against TensorFlow.js.) Also the plan
// facts issue 4 asks for: every BatchNormalization folded, every residual add fused, no reorders.
#include "numerics_util.hpp"

#include <regex>

using namespace strata_test;

// Depth multiplies float32 rounding: each of the ~50 layers adds about sqrt(K) ulps relative to its output
// (K up to 4608 here), and later layers carry earlier errors forward with gains near 1 (kernels keep scale).
// 50 layers * float32_tolerance(4608) is the budget; a wrong index or a lost post-op gives errors near 1.
constexpr int kDepth = 50;

TEST_CASE("ResNet50 matches the reference at 40x40, fused into one primitive per convolution",
          "[applications][numerics]") {
  strata::Model model =
      strata::applications::ResNet50({.include_top = false, .input_shape = {40, 40, 3}, .pooling = "avg"});
  const strata::Tensor input = random_input({2, 40, 40, 3}, 5);
  randomize_like_trained(model, 11, random_input({4, 40, 40, 3}, 3));
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  // 53 convolutions, pool1_pool (pool1_pad folds into it: its input is conv1_relu's output), avg_pool, and
  // a conversion to and from the blocked layout around each of the 7 Winograd convolutions: the 3x3 ones of
  // stages 2 and 3, whose outputs (10x10, 5x5) are 4x4 or larger; stages 4 and 5 (3x3, 2x2) stay direct.
  // Without AVX-512 oneDNN has no Winograd: 55 steps, all direct.
  const bool winograd = onednn_runs_avx512();
  // The strided 1x1 convolutions of stages 4 and 5 read odd-sized maps (5x5, 3x3), for whose stride oneDNN
  // 2.6 has no jit_1x1 kernel on AVX2: each then runs as a subsampling and a unit-stride convolution, 4 steps
  // more (subsample_strided_pointwise; with AVX-512 that depends on oneDNN's kernels there).
  const int subsampled = occurrences(plan, "subsample ");
  CHECK((winograd ? (subsampled == 0 || subsampled == 4) : subsampled == 4));
  CHECK(plan.find(std::to_string((winograd ? 69 : 55) + subsampled) + " steps") != std::string::npos);
  CHECK(occurrences(plan, "wino_") == (winograd ? 7 : 0));
  CHECK(plan.find("pool1_pad, pool1_pool") != std::string::npos);
  CHECK(occurrences(plan, "conv + sum + relu") == 16);  // every residual add fused, with its relu
  CHECK(plan.find("batch_norm") == std::string::npos);
  CHECK(plan.find("reorder") == std::string::npos);
  CHECK(plan.find("ref:") == std::string::npos);
  // Tolerance 50 * float32_tolerance(4608) = 3.3e-3; a perturbed input moves the output by 0.71 of its
  // scale (measured).
  check_against_reference(model, {input}, kDepth * float32_tolerance(4608));
  CHECK(sensitivity(model, input) >= 100 * kDepth * float32_tolerance(4608));
}

TEST_CASE("MobileNetV2 matches the reference at 48x48", "[applications][numerics]") {
  strata::Model model = strata::applications::MobileNetV2({.input_shape = {48, 48, 3}, .classes = 10});
  const strata::Tensor input = random_input({2, 48, 48, 3}, 6);
  randomize_like_trained(model, 21, random_input({4, 48, 48, 3}, 4));
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("batch_norm") == std::string::npos);
  CHECK(plan.find("ref:") == std::string::npos);
  CHECK(occurrences(plan, "conv + sum") == 10);  // every inverted-residual add fused
  // Tolerance 50 * float32_tolerance(1280) = 1.7e-3; a perturbed input moves the 10-class softmax by 0.30
  // (measured).
  check_against_reference(model, {input}, kDepth * float32_tolerance(1280));
  CHECK(sensitivity(model, input) >= 100 * kDepth * float32_tolerance(1280));
}
