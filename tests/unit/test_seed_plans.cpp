// The seed blocks compile to fused oneDNN plans and agree with the reference executor.
#include "test_util.hpp"

using namespace strata_test;

TEST_CASE("seed block 1 fuses its residual add into a convolution", "[plan][seed]") {
  strata::Model block = seed_block_1();
  // All direct: one primitive per convolution, the add fused into the 1x1 shortcut's.
  const std::string direct = block.compile({.winograd = false}).plan_string(1);
  INFO(direct);
  CHECK(direct.find("3 steps") != std::string::npos);
  CHECK(direct.find("conv + sum") != std::string::npos);
  CHECK(direct.find("convert") == std::string::npos);
  // By default the 3x3 convolution from 32 to 64 channels runs as Winograd, between two layout conversions,
  // where oneDNN has Winograd (AVX-512); elsewhere the plan is the direct one.
  const std::string plan = block.compile().plan_string(1);
  INFO(plan);
  if (onednn_runs_avx512()) {
    CHECK(plan.find("5 steps") != std::string::npos);
    CHECK(occurrences(plan, "wino_") == 1);
    CHECK(occurrences(plan, "convert ") == 2);
    CHECK(plan.find("nhwc f32 -> nChw16c f32") != std::string::npos);
  } else {
    CHECK(plan == direct);
  }
  CHECK(plan.find("conv + sum") != std::string::npos);
  CHECK(plan.find("reorder") == std::string::npos);
  CHECK(plan.find("ref:") == std::string::npos);
  for (int64_t batch : {1, 3}) {
    const auto x = strata::Tensor::random_uniform({batch, 32, 32, 3}, 7, -1.0f, 1.0f);
    CHECK(onednn_vs_reference(block, {x}) < float32_tolerance(3 * 3 * 32));
  }
}

TEST_CASE("seed block 2 fuses the strided shortcut's add", "[plan][seed]") {
  strata::Model block = seed_block_2();
  CHECK(block.compile({.winograd = false}).plan_string(1).find("4 steps") != std::string::npos);
  const std::string plan = block.compile().plan_string(1);
  INFO(plan);
  if (onednn_runs_avx512()) {
    CHECK(plan.find("6 steps") != std::string::npos);  // and two conversions around the Winograd convolution
    CHECK(occurrences(plan, "wino_") == 1);
  } else {
    CHECK(plan.find("4 steps") != std::string::npos);  // no Winograd kernel on this CPU
    CHECK(plan.find("wino_") == std::string::npos);
  }
  CHECK(plan.find("conv + sum") != std::string::npos);
  const auto x = strata::Tensor::random_uniform({3, 32, 32, 3}, 8, -1.0f, 1.0f);
  CHECK(onednn_vs_reference(block, {x}) < float32_tolerance(3 * 3 * 32));
}
