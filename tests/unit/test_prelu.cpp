// PReLU: by hand from Keras's definition (relu(x) - alpha * relu(-x)), against the reference executor for
// every way alpha can be shared, and its config and errors. tfjs-layers' own PReLU checks it in
// test_tfjs_layers, ONNX Runtime in test_onnx_export.
#include <fmt/ranges.h>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "test_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

TEST_CASE("PReLU by hand: x where x >= 0, else alpha * x", "[prelu][numerics]") {
  const strata::Model m =
      single({2, 3}, [](auto x) { return L::PReLU({.shared_axes = {1}, .name = "p"})(x); });
  strata::Layer p = m.get_layer("p");
  REQUIRE(p.get_weights().at(0).dims() == std::vector<int64_t>{1, 3});  // Keras's param_shape
  p.set_weights({strata::Tensor({1, 3}, {0.5f, -2.0f, 0.0f})});
  const strata::Tensor x({1, 2, 3}, {-2.0f, -1.0f, -4.0f, 3.0f, 0.0f, 1.5f});
  CHECK(m.predict(x).values() == std::vector<float>{-1.0f, 2.0f, -0.0f, 3.0f, 0.0f, 1.5f});
  // Keras's default alpha initializer is zeros: a fresh layer is a ReLU.
  const strata::Model fresh = single({3}, [](auto t) { return L::PReLU()(t); });
  CHECK(fresh.predict(strata::Tensor({1, 3}, {-1.0f, 0.5f, 2.0f})).values() ==
        std::vector<float>{0.0f, 0.5f, 2.0f});
}

TEST_CASE("PReLU with every sharing of alpha equals the reference executor", "[prelu][numerics]") {
  for (const std::vector<int>& shared :
       std::vector<std::vector<int>>{{}, {1}, {2}, {3}, {1, 2}, {2, 3}, {1, 3}, {1, 2, 3}}) {
    INFO("shared_axes " << fmt::format("{}", fmt::join(shared, ", ")));
    const strata::Model m = single({4, 5, 3}, [&](auto x) {
      return L::PReLU({.alpha_initializer = "he_normal", .shared_axes = shared})(L::Conv2D(3, 1)(x));
    });
    randomize_weights(m, 2);
    const strata::Tensor input = random_input({2, 4, 5, 3}, 3);
    CHECK(onednn_vs_reference(m, {input}) <= float32_tolerance(3));
    CHECK(m.count_params() > 0);
  }
}

TEST_CASE("PReLU's config and errors", "[prelu][errors]") {
  const std::string config = L::PReLU({.shared_axes = {1, 2}, .name = "p"}).get_config();
  CHECK(config.find(R"("shared_axes":[1,2])") != std::string::npos);
  CHECK(L::PReLU().get_config().find(R"("shared_axes":null)") != std::string::npos);
  REQUIRE_THROWS_MATCHES(L::PReLU({.alpha_initializer = "nope"}), strata::ValueError,
                         MessageThat(Contains("(PReLU)]") && Contains("Unknown initializer 'nope'")));
  auto x = strata::Input({4, 3});
  REQUIRE_THROWS_MATCHES(L::PReLU({.shared_axes = {3}})(x), strata::ValueError,
                         MessageThat(Contains("between 1 and 2") && Contains("shared_axes=[3]")));
  REQUIRE_THROWS_MATCHES(L::PReLU({.shared_axes = {0}})(x), strata::ValueError,
                         MessageThat(Contains("batch")));
  REQUIRE_THROWS_MATCHES(L::PReLU()(strata::Input({strata::None, 3})), strata::ShapeError,
                         MessageThat(Contains("unknown") && Contains("shared_axes")));
  // Sharing the unknown axis is what Keras users do for variable lengths.
  CHECK(L::PReLU({.shared_axes = {1}})(strata::Input({strata::None, 3})).shape().to_string() ==
        "(None, None, 3)");
  L::PReLU layer;
  layer(strata::Input({4, 3}));
  REQUIRE_THROWS_MATCHES(layer(strata::Input({5, 3})), strata::ShapeError,
                         MessageThat(Contains("first call")));
}
