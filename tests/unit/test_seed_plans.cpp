// The seed blocks compile to fused oneDNN plans and agree with the reference executor.
#include "test_util.hpp"

using namespace strata_test;

TEST_CASE("seed block 1 fuses its residual add into a convolution", "[plan][seed]") {
  strata::Model block = seed_block_1();
  const std::string plan = block.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("3 steps") != std::string::npos);
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
  const std::string plan = block.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("4 steps") != std::string::npos);
  CHECK(plan.find("conv + sum") != std::string::npos);
  const auto x = strata::Tensor::random_uniform({3, 32, 32, 3}, 8, -1.0f, 1.0f);
  CHECK(onednn_vs_reference(block, {x}) < float32_tolerance(3 * 3 * 32));
}
