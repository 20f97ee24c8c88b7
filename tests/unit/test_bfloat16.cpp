// precision "bfloat16": convolutions and the ops between them run in bfloat16 with float32 at the model's
// boundary. Checked against the float32 reference with a bfloat16 tolerance.
#include "numerics_util.hpp"

#include "message_matcher.hpp"

using namespace strata_test;

namespace {

bool cpu_has_bf16() {
  try {
    seed_block_1("probe").compile({.precision = "bfloat16"});
    return true;
  } catch (const strata::ValueError& e) {
    CHECK_THAT(e.what(), Catch::Contains("native bfloat16"));
    return false;
  }
}

// bfloat16 keeps 8 significant bits: rounding a layer's inputs and weights costs about 2^-8 of the result,
// and storing it 2^-9 more. Twice 2^-8 per layer leaves room for accumulation without hiding a wrong index.
double bf16_tolerance(int layers) { return layers * 2.0 / 256.0; }

}  // namespace

TEST_CASE("bfloat16 plans agree with the float32 reference", "[bfloat16]") {
  if (!cpu_has_bf16()) {
    WARN("This CPU has no native bfloat16; only the refusal was checked");
    return;
  }
  strata::Model block = seed_block_2("bf16_block");
  randomize_weights_keeping_scale(block, 3);
  const std::string plan = block.compile({.precision = "bfloat16"}).plan_string(1);
  INFO(plan);
  CHECK(plan.find("avx512_core_bf16") != std::string::npos);
  CHECK(plan.find("conv + sum") != std::string::npos);  // the residual add still fuses, in bfloat16
  const auto x = random_input({3, 32, 32, 3}, 4);
  const auto reference = block.compile({.backend = "reference"}).predict(x);
  const auto bf16 = block.compile({.precision = "bfloat16"}).predict(x);
  CHECK(max_relative_error(bf16, reference) < bf16_tolerance(3));

  // Layers that run as plain C++ steps sit between conversions; custom-free graphs stay correct.
  auto in = strata::Input({9, 9, 4});
  auto y = L::ZeroPadding2D(1)(in);
  y = L::DepthwiseConv2D(3, {.activation = "relu6"})(y);
  y = L::ReLU({.negative_slope = 0.1f, .threshold = 0.2f})(y);  // a C++ step: float32 around it
  y = L::Concatenate()({y, L::UpSampling2D(1)(y)});
  strata::Model mixed(in, L::Dense(3)(L::GlobalAveragePooling2D()(y)));
  randomize_weights_keeping_scale(mixed, 5);
  const auto xm = random_input({2, 9, 9, 4}, 6);
  CHECK(max_relative_error(mixed.compile({.precision = "bfloat16"}).predict(xm),
                           mixed.compile({.backend = "reference"}).predict(xm)) < bf16_tolerance(3));

  // MobileNetV2's expand -> depthwise -> project, whose first two fuse into one primitive (forced: the image
  // is below the fusion's size rule).
  setenv("STRATA_DEPTHWISE_FUSION", "always", 1);
  auto ir_in = strata::Input({12, 12, 8});
  auto e = L::Conv2D(48, 1, {.activation = "relu6"})(ir_in);
  e = L::DepthwiseConv2D(3, {.strides = 2, .padding = "same", .activation = "relu6"})(e);
  strata::Model inverted(ir_in, L::Conv2D(16, 1)(e));
  randomize_weights_keeping_scale(inverted, 7);
  const std::string inverted_plan = inverted.compile({.precision = "bfloat16"}).plan_string(2);
  INFO(inverted_plan);
  CHECK(inverted_plan.find("+ depthwise") != std::string::npos);
  const auto xi = random_input({2, 12, 12, 8}, 8);
  CHECK(max_relative_error(inverted.compile({.precision = "bfloat16"}).predict(xi),
                           inverted.compile({.backend = "reference"}).predict(xi)) < bf16_tolerance(3));
  unsetenv("STRATA_DEPTHWISE_FUSION");

  // ConvNeXt's pointwise pair: Dense layers on an image run as 1x1 convolutions, the residual sum fused.
  auto cn_in = strata::Input({7, 7, 16});
  auto cn_x = L::Conv2D(16, 3, {.padding = "same"})(cn_in);
  auto cn_b = L::Dense(16)(L::Dense(64, {.activation = "gelu"})(cn_x));
  strata::Model pointwise(cn_in, cn_x + cn_b);
  randomize_weights_keeping_scale(pointwise, 9);
  const std::string pointwise_plan = pointwise.compile({.precision = "bfloat16"}).plan_string(2);
  INFO(pointwise_plan);
  CHECK(pointwise_plan.find("dense + gelu") != std::string::npos);
  CHECK(pointwise_plan.find("dense + sum") != std::string::npos);
  const auto xp = random_input({2, 7, 7, 16}, 10);
  CHECK(max_relative_error(pointwise.compile({.precision = "bfloat16"}).predict(xp),
                           pointwise.compile({.backend = "reference"}).predict(xp)) < bf16_tolerance(64));
}

TEST_CASE("precision errors", "[bfloat16][errors]") {
  strata::Model block = seed_block_1("bf16_errors");
  REQUIRE_THROWS_MATCHES(block.compile({.precision = "float16"}), strata::ValueError,
                         MessageThat(Catch::Contains("Unknown precision 'float16'") && Catch::Contains("bfloat16")));
  REQUIRE_THROWS_MATCHES(block.compile({.backend = "reference", .precision = "bfloat16"}), strata::ValueError,
                         MessageThat(Catch::Contains("reference backend runs float32 only")));
}
