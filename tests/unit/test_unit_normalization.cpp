// UnitNormalization against Keras's definition, x * rsqrt(max(sum(x^2), 1e-24)), computed by tfjs-core's
// kernels (tfjs-layers has no such layer: the formula written as ops runs in the tfjs harness), by hand, and
// by the reference executor.
#include <cmath>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;

TEST_CASE("UnitNormalization equals Keras's normalize computed by tfjs-core",
          "[unit_normalization][tfjs][numerics]") {
  struct Case {
    std::vector<strata::Dim> shape;
    strata::Axes axis;
    std::vector<int64_t> input;
  };
  const std::vector<Case> cases = {
      {{7}, -1, {3, 7}}, {{4, 5, 3}, {1, 2}, {2, 4, 5, 3}}, {{4, 5, 3}, {2, 3}, {2, 4, 5, 3}}};
  for (const Case& c : cases) {
    const strata::Model ours =
        single(c.shape, [&](auto x) { return L::UnitNormalization({.axis = c.axis})(x); });
    const strata::Model formula = single(c.shape, [&](auto x) {
      return x * ops::power(ops::maximum(ops::sum(ops::square(x), c.axis, true), 1e-24), -0.5);
    });
    const strata::Tensor input = random_input(c.input, 5);
    const strata::Tensor tfjs = tfjs_predict(formula, {input}).at(0);
    const strata::Tensor got = ours.predict(input);
    CHECK(scaled_error(got, tfjs) <= 2 * float32_tolerance(60));
    CHECK(onednn_vs_reference(ours, {input}) <= float32_tolerance(60));
  }
  // By hand: (3, 4) has norm 5; a zero vector stays zero (the clamp keeps the reciprocal finite).
  const strata::Model plain = single({2}, [](auto x) { return L::UnitNormalization()(x); });
  const strata::Tensor out = plain.predict(strata::Tensor({2, 2}, {3.0f, 4.0f, 0.0f, 0.0f}));
  CHECK(out.values() == std::vector<float>{0.6f, 0.8f, 0.0f, 0.0f});
}

TEST_CASE("UnitNormalization's config and errors", "[unit_normalization][errors]") {
  using Catch::Matchers::Contains;
  CHECK(L::UnitNormalization({.axis = {1, 2}, .name = "un"}).get_config().find(R"("axis":[1,2])") !=
        std::string::npos);
  auto x = strata::Input({4, 3});
  REQUIRE_THROWS_MATCHES(L::UnitNormalization({.axis = 0})(x), strata::ValueError,
                         MessageThat(Contains("batch axis")));
  REQUIRE_THROWS_MATCHES(L::UnitNormalization({.axis = 3})(x), strata::ValueError,
                         MessageThat(Contains("out of bounds")));
  REQUIRE_THROWS_MATCHES(L::UnitNormalization({.axis = {1, -2}})(x), strata::ValueError,
                         MessageThat(Contains("(UnitNormalization)]") && Contains("appears twice")));
}
