// CustomScaleLayer (InceptionResNetV2's scaled residual sum): hand-worked values of Keras's definition
// `inputs[0] + inputs[1] * scale`, the plan it compiles to after a biased convolution (the scale folded into
// it, the sum and relu its post-ops) against the reference, its Keras 3 entry (the module Keras imports the
// class from), the file round trip, the generated C++, and its errors.
#include <nlohmann/json.hpp>

#include <cmath>
#include <regex>
#include <string>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/codegen.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;
using strata::None;

TEST_CASE("CustomScaleLayer computes x + branch * scale", "[custom_scale_layer][numerics]") {
  const strata::Model model = pair({2, 2}, {2, 2}, [](auto x, auto y) {
    return L::CustomScaleLayer(0.25)({x, y});
  });
  const strata::Tensor x({1, 2, 2}, {1.0f, -2.0f, 3.0f, 0.5f});
  const strata::Tensor y({1, 2, 2}, {8.0f, 4.0f, -12.0f, 2.0f});
  // 1 + 2, -2 + 1, 3 - 3, 0.5 + 0.5, exactly.
  CHECK(model.predict({x, y}).at(0) == strata::Tensor({1, 2, 2}, {3.0f, -1.0f, 0.0f, 1.0f}));
  CHECK(model.compile({.backend = "reference"}).predict({x, y}).at(0) == model.predict({x, y}).at(0));
  // Scale 1 is a plain sum.
  const strata::Model unit = pair({2, 2}, {2, 2}, [](auto a, auto b) {
    return L::CustomScaleLayer(1.0)({a, b});
  });
  CHECK(unit.predict({x, y}).at(0) == strata::Tensor({1, 2, 2}, {9.0f, 2.0f, -9.0f, 2.5f}));
}

TEST_CASE("CustomScaleLayer after a biased convolution becomes its post-ops",
          "[custom_scale_layer][fusion]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 32});
  auto x = L::Conv2D(32, 3, {.padding = "same", .activation = "relu"})(in);
  auto branch = L::Conv2D(16, 1, {.activation = "relu"})(x);
  auto up = L::Conv2D(32, 1, {.name = "up"})(branch);
  auto y = L::CustomScaleLayer(0.17, {.name = "scaled"})({x, up});
  y = L::Activation("relu", {.name = "ac"})(y);
  const strata::Model model(in, L::Conv2D(8, 1)(y));
  randomize_like_trained(model, 5, random_input({4, 8, 8, 32}, 6));
  const strata::CompiledModel compiled = model.compile();
  const std::string plan = compiled.plan_string(1);
  INFO(plan);
  // The projection `up` carries the scaled layer and the relu: no batch norm, no add of its own.
  CHECK(plan.find("batch_norm") == std::string::npos);
  CHECK(plan.find("conv + sum + relu") != std::string::npos);
  // A second plan (another batch size) shares every kernel with the first, the scaled projection's too.
  const std::string second = compiled.plan_string(2);
  const std::smatch weights = [&] {
    std::smatch m;
    REQUIRE(std::regex_search(second, m, std::regex("weights ([0-9]+) bytes \\(([0-9]+) shared")));
    return m;
  }();
  CHECK(weights[1].str() == weights[2].str());
  check_against_reference(model, {random_input({2, 8, 8, 32}, 7)}, 8 * float32_tolerance(32 * 9));
  CHECK(sensitivity(model, random_input({2, 8, 8, 32}, 7)) > 0.05);
}

TEST_CASE("CustomScaleLayer saves as Keras writes it and loads back", "[custom_scale_layer][saving]") {
  strata::clear_session();
  const strata::Model model = pair({4}, {4}, [](auto x, auto y) {
    return L::CustomScaleLayer(0.1, {.name = "scaled"})({x, y});
  });
  const nlohmann::json config = nlohmann::json::parse(model.to_json());
  const nlohmann::json& entry = config["config"]["layers"][2];
  CHECK(entry["class_name"] == "CustomScaleLayer");
  CHECK(entry["module"] == "keras.src.applications.inception_resnet_v2");
  CHECK(entry["registered_name"] == "CustomScaleLayer");
  CHECK(entry["config"]["scale"] == 0.1);
  const strata::Model loaded = strata::model_from_json(model.to_json());
  const strata::Tensor x = random_input({3, 4}, 1), y = random_input({3, 4}, 2);
  CHECK(loaded.predict({x, y}).at(0) == model.predict({x, y}).at(0));
  CHECK_THAT(strata::to_cpp(model), Contains("CustomScaleLayer(0.1f, {.name = \"scaled\"})"));
}

TEST_CASE("CustomScaleLayer refuses a bad scale, other than two inputs and unequal shapes",
          "[custom_scale_layer][errors]") {
  strata::clear_session();
  auto a = strata::Input({4}), b = strata::Input({4}), c = strata::Input({5});
  REQUIRE_THROWS_MATCHES(L::CustomScaleLayer(0.5, {.name = "s"})({a}), strata::ValueError,
                         MessageThat(Contains("[s (CustomScaleLayer)]") && Contains("received 1")));
  REQUIRE_THROWS_MATCHES(L::CustomScaleLayer(0.5, {.name = "s3"})({a, b, b}), strata::ValueError,
                         MessageThat(Contains("[s3 (CustomScaleLayer)]") && Contains("received 3")));
  REQUIRE_THROWS_MATCHES(
      L::CustomScaleLayer(0.5, {.name = "sh"})({a, c}), strata::ShapeError,
      MessageThat(Contains("[sh (CustomScaleLayer)]") && Contains("(None, 4) and (None, 5)")));
  REQUIRE_THROWS_MATCHES(
      L::CustomScaleLayer(std::nan(""), {.name = "nan"}), strata::ValueError,
      MessageThat(Contains("[nan (CustomScaleLayer)]") && Contains("finite float32 scale")));
  REQUIRE_THROWS_MATCHES(L::CustomScaleLayer(1e39, {.name = "big"}), strata::ValueError,
                         MessageThat(Contains("[big (CustomScaleLayer)]") && Contains("received 1e+39")));
  // Shapes known only when data arrives: the plan refuses them.
  auto u = strata::Input({None}), v = strata::Input({None});
  const strata::Model late({u, v}, L::CustomScaleLayer(0.5, {.name = "late"})({u, v}));
  REQUIRE_THROWS_MATCHES(late.predict({strata::Tensor::zeros({1, 4}), strata::Tensor::zeros({1, 5})}),
                         strata::ShapeError,
                         MessageThat(Contains("[late (CustomScaleLayer)]") && Contains("(1, 4) and (1, 5)")));
}
