// GroupNormalization: against the reference executor and by hand here; against Keras 3's call written in
// tfjs-core ops in test_tfjs_layers (tfjs-layers has no such class); against ONNX Runtime in
// test_onnx_export.
#include <cmath>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "test_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

TEST_CASE("GroupNormalization by hand: two groups of two channels over two pixels", "[group_normalization]") {
  const strata::Model m = single(
      {2, 4}, [](auto x) { return L::GroupNormalization({.groups = 2, .epsilon = 0.0f, .name = "gn"})(x); });
  m.get_layer("gn").set_weights(
      {strata::Tensor({4}, {1.0f, 2.0f, 1.0f, 1.0f}), strata::Tensor({4}, {0, 0, 0, 10})});
  // Group 0 holds channels 0-1 of both pixels: {1, 3, 5, 7}, mean 4, variance 5. Group 1: {0, 0, 2, 2}, mean
  // 1, variance 1.
  const strata::Tensor x({1, 2, 4}, {1, 3, 0, 0, 5, 7, 2, 2});
  const double s = std::sqrt(5.0);
  const std::vector<double> want = {-3 / s, 2 * (-1 / s), -1, -1 + 10, 1 / s, 2 * (3 / s), 1, 1 + 10};
  const std::vector<float> got = m.predict(x).values();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

TEST_CASE("GroupNormalization equals the reference executor for every grouping", "[group_normalization]") {
  for (int groups : {1, 2, 4, -1}) {
    for (const std::vector<strata::Dim>& shape :
         std::vector<std::vector<strata::Dim>>{{6, 5, 8}, {7, 8}, {8}}) {
      INFO("groups " << groups << " rank " << shape.size() + 1);
      const strata::Model m = single(shape, [&](auto x) {
        return L::GroupNormalization({.groups = groups, .gamma_initializer = "he_normal"})(x);
      });
      randomize_weights(m, 3);
      std::vector<int64_t> dims = {2};
      for (const strata::Dim& d : shape) dims.push_back(*d);
      const strata::Tensor input = random_input(dims, 4);
      CHECK(onednn_vs_reference(m, {input}) <= float32_tolerance(240));
    }
  }
}

TEST_CASE("GroupNormalization's weights, config and errors", "[group_normalization][errors]") {
  const strata::Model m = single({4, 4, 8}, [](auto x) { return L::GroupNormalization({.groups = 4})(x); });
  CHECK(m.summary_string().find("Total params: 16") != std::string::npos);
  const std::string config = L::GroupNormalization({.groups = -1, .name = "g"}).get_config();
  CHECK(config.find(R"("groups":-1)") != std::string::npos);
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.groups = 0, .name = "g0"}), strata::ValueError,
                         MessageThat(Contains("[g0 (GroupNormalization)]") && Contains("groups=0")));
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.epsilon = -1.0f}), strata::ValueError,
                         MessageThat(Contains("non-negative epsilon")));
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.groups = 3})(strata::Input({4, 8})), strata::ShapeError,
                         MessageThat(Contains("(3) must divide the number of channels (8)")));
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.groups = 16})(strata::Input({4, 8})), strata::ShapeError,
                         MessageThat(Contains("cannot be more than the number of channels (8)")));
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.groups = 2, .axis = 1})(strata::Input({4, 8})),
                         strata::ValueError, MessageThat(Contains("last axis")));
  REQUIRE_THROWS_MATCHES(L::GroupNormalization({.groups = 2})(strata::Input({4, strata::None})),
                         strata::ShapeError, MessageThat(Contains("known channels")));
}
