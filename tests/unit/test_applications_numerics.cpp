// ResNet50 and MobileNetV2 end to end: the fused oneDNN plan equals the reference executor at a reduced
// input size (so CI stays fast), with random kernels and non-trivial batch-norm statistics. Also the plan
// facts issue 4 asks for: every BatchNormalization folded, every residual add fused, no reorders.
#include "numerics_util.hpp"

#include <regex>

using namespace strata_test;

namespace {

// Kernels keep Keras's scale (variance 1/fan_in, so 50 layers neither explode nor vanish); batch norms get
// statistics far from the identity, so folding them is really exercised.
void randomize_application(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> w = layer.get_weights();
    if (w.empty()) continue;
    if (layer.class_name() == "BatchNormalization") {
      // gamma, beta, moving_mean, moving_variance
      w[0] = strata::Tensor::random_uniform(w[0].dims(), seed++, 0.5f, 1.5f);
      w[1] = strata::Tensor::random_uniform(w[1].dims(), seed++, -0.2f, 0.2f);
      w[2] = strata::Tensor::random_uniform(w[2].dims(), seed++, -0.2f, 0.2f);
      w[3] = strata::Tensor::random_uniform(w[3].dims(), seed++, 0.5f, 1.5f);
    } else {
      for (strata::Tensor& t : w) {
        const double fan_in = t.rank() >= 2 ? static_cast<double>(t.size()) / t.dims().back() : 1.0;
        const float limit = t.rank() >= 2 ? static_cast<float>(std::sqrt(6.0 / fan_in)) : 0.1f;
        t = strata::Tensor::random_uniform(t.dims(), seed++, -limit, limit);
      }
    }
    layer.set_weights(w);
  }
}

}  // namespace

// Depth multiplies float32 rounding: each of the ~50 layers adds about sqrt(K) ulps relative to its output
// (K up to 4608 here), and later layers carry earlier errors forward with gains near 1 (kernels keep scale).
// 50 layers * float32_tolerance(4608) is the budget; a wrong index or a lost post-op gives errors near 1.
constexpr int kDepth = 50;

TEST_CASE("ResNet50 matches the reference at 40x40, fused into one primitive per convolution",
          "[applications][numerics]") {
  strata::Model model =
      strata::applications::ResNet50({.include_top = false, .input_shape = {40, 40, 3}, .pooling = "avg"});
  randomize_application(model, 11);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  // 53 convolutions, pool1_pool (pool1_pad folds into it: its input is conv1_relu's output), avg_pool, and
  // a conversion to and from the blocked layout around each of the 7 Winograd convolutions: the 3x3 ones of
  // stages 2 and 3, whose outputs (10x10, 5x5) are 4x4 or larger; stages 4 and 5 (3x3, 2x2) stay direct.
  // Without AVX-512 oneDNN has no Winograd: 55 steps, all direct.
  const bool winograd = onednn_runs_avx512();
  CHECK(plan.find(winograd ? "69 steps" : "55 steps") != std::string::npos);
  CHECK(occurrences(plan, "wino_") == (winograd ? 7 : 0));
  CHECK(plan.find("pool1_pad, pool1_pool") != std::string::npos);
  CHECK(occurrences(plan, "conv + sum + relu") == 16);  // every residual add fused, with its relu
  CHECK(plan.find("batch_norm") == std::string::npos);
  CHECK(plan.find("reorder") == std::string::npos);
  CHECK(plan.find("ref:") == std::string::npos);
  check_against_reference(model, {random_input({2, 40, 40, 3}, 5)}, kDepth * float32_tolerance(4608));
}

TEST_CASE("MobileNetV2 matches the reference at 48x48", "[applications][numerics]") {
  strata::Model model = strata::applications::MobileNetV2({.input_shape = {48, 48, 3}, .classes = 10});
  randomize_application(model, 21);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("batch_norm") == std::string::npos);
  CHECK(plan.find("ref:") == std::string::npos);
  CHECK(occurrences(plan, "conv + sum") == 10);  // every inverted-residual add fused
  check_against_reference(model, {random_input({2, 48, 48, 3}, 6)}, kDepth * float32_tolerance(1280));
}
