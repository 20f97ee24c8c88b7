// LayerNormalization: against tfjs-layers' own LayerNormalization (the independent oracle) and the reference
// executor, its weights, shape rule, errors, and its compiled form.
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;

TEST_CASE("LayerNormalization equals tfjs's", "[layer_normalization][tfjs][numerics]") {
  struct Case {
    std::string what;
    std::vector<strata::Dim> shape;
    L::LayerNormalizationOptions options;
    std::vector<int64_t> input;
  };
  const std::vector<Case> cases = {
      {"rank 2, axis -1", {12}, {}, {3, 12}},
      {"rank 3 (a sequence), epsilon 1e-6", {5, 16}, {.epsilon = 1e-6f}, {2, 5, 16}},
      {"rank 4, axes 2 and 3", {4, 5, 6}, {.axis = {2, 3}}, {2, 4, 5, 6}},
      {"rank 3, axis 1: over the steps, moved last and back", {5, 16}, {.axis = 1}, {2, 5, 16}},
      {"rank 4, axes 1 and 3", {4, 5, 6}, {.axis = {1, 3}}, {2, 4, 5, 6}},
      {"no center", {7}, {.center = false}, {2, 7}},
      {"no scale, no center", {3, 7}, {.center = false, .scale = false}, {2, 3, 7}},
  };
  std::vector<TfjsCase> runs;
  uint64_t seed = 70;
  for (const Case& c : cases) {
    strata::Model model = single(
        c.shape, [&](auto x) { return L::LayerNormalization(c.options)(L::Dense(*c.shape.back())(x)); });
    randomize_weights(model, seed);
    runs.push_back({model, {random_input(c.input, seed++)}});
  }
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].what);
    REQUIRE(results[i].refused.empty());
    const strata::Tensor ours = runs[i].model.predict(runs[i].inputs).at(0);
    const double error = scaled_error(ours, results[i].outputs.at(0));
    INFO("error against tfjs " << error);
    CHECK(error <= 4 * float32_tolerance(30));
    CHECK(onednn_vs_reference(runs[i].model, runs[i].inputs) <= float32_tolerance(30));
  }
}

TEST_CASE("LayerNormalization weights, shapes and compiled form", "[layer_normalization]") {
  auto x = strata::Input({4, 5, 6});
  L::LayerNormalization norm({.axis = {-2, -1}, .name = "ln"});
  auto y = norm(x);
  CHECK(y.shape() == x.shape());
  const std::vector<strata::Tensor> w = norm.get_weights();
  REQUIRE(w.size() == 2);  // gamma, beta
  CHECK(w[0].dims() == std::vector<int64_t>{5, 6});
  CHECK(norm.count_params() == 60);
  L::LayerNormalization scale_only({.center = false});
  scale_only(strata::Input({3}));
  CHECK(scale_only.get_weights().size() == 1);
  const strata::Model model(x, y);
  const std::string plan = model.compile().plan_string({{2, 4, 5, 6}});
  INFO(plan);
  CHECK(plan.find("layer_norm") != std::string::npos);
  CHECK(plan.find("float32, 1 step") != std::string::npos);
  CHECK(norm.get_config().find(R"("axis":[-2,-1])") != std::string::npos);
  CHECK(L::LayerNormalization().get_config().find(R"("axis":-1)") != std::string::npos);
}

TEST_CASE("LayerNormalization errors name the layer", "[layer_normalization][errors]") {
  using Catch::Matchers::Contains;
  auto x = strata::Input({4, 6});
  REQUIRE_THROWS_MATCHES(L::LayerNormalization({.epsilon = -1.0f}), strata::ValueError,
                         MessageThat(Contains("(LayerNormalization)]") && Contains("epsilon")));
  REQUIRE_THROWS_MATCHES(L::LayerNormalization({.axis = 0})(x), strata::ValueError,
                         MessageThat(Contains("batch axis")));
  REQUIRE_THROWS_MATCHES(L::LayerNormalization({.axis = 3})(x), strata::ValueError,
                         MessageThat(Contains("out of bounds")));
  REQUIRE_THROWS_MATCHES(L::LayerNormalization({.axis = {2, -1}})(x), strata::ValueError,
                         MessageThat(Contains("Duplicate axes")));
  REQUIRE_THROWS_MATCHES(L::LayerNormalization()(strata::Input({4, strata::None})), strata::ShapeError,
                         MessageThat(Contains("unknown")));
  L::LayerNormalization shared;
  shared(x);
  REQUIRE_THROWS_MATCHES(shared(strata::Input({4, 7})), strata::ShapeError,
                         MessageThat(Contains("as in the first call")));
}
