// LayerScale (ConvNeXt's per-channel branch scale): hand-worked values of Keras's definition `x * gamma`,
// the plan of a ConvNeXt-style branch (the scale folded into the Dense before it) against the reference, its
// Keras 3 entry (the module Keras imports the class from), the file round trip with its weight, the
// generated C++, and its errors.
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
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

TEST_CASE("LayerScale multiplies the last axis by gamma", "[layer_scale][numerics]") {
  strata::clear_session();
  const L::LayerScale scale(1e-6, 3, {.name = "ls"});
  const strata::Model model = single({2, 3}, [&](auto x) { return scale(x); });
  // Keras's initializer: Constant(init_values).
  const std::vector<strata::Tensor> initial = model.get_layer("ls").get_weights();
  REQUIRE(initial.size() == 1);
  CHECK(initial[0] == strata::Tensor({3}, {1e-6f, 1e-6f, 1e-6f}));
  model.get_layer("ls").set_weights({strata::Tensor({3}, {2.0f, -0.5f, 0.25f})});
  const strata::Tensor x({1, 2, 3}, {1.0f, 2.0f, 4.0f, -3.0f, 8.0f, 0.0f});
  // Exact: each product is a power-of-two scaling.
  const strata::Tensor expected({1, 2, 3}, {2.0f, -1.0f, 1.0f, -6.0f, -4.0f, 0.0f});
  CHECK(model.predict(x) == expected);
  CHECK(model.compile({.backend = "reference"}).predict(x) == expected);
  CHECK(model.count_params() == 3);
}

TEST_CASE("LayerScale after a Dense folds into it", "[layer_scale][fusion]") {
  // ConvNeXt's branch: Dense, gelu, Dense, LayerScale, then the residual sum with the block's input, which
  // becomes the second Dense's sum post-op.
  strata::clear_session();
  auto in = strata::Input({6, 6, 16});
  auto block_input = L::Conv2D(16, 3, {.padding = "same"})(in);
  auto x = L::Dense(64, {.name = "pw1"})(block_input);
  x = L::Activation("gelu")(x);
  x = L::Dense(16, {.name = "pw2"})(x);
  x = L::LayerScale(1e-6, 16, {.name = "ls"})(x);
  const strata::Model model(in, block_input + x);
  randomize_like_trained(model, 9, random_input({4, 6, 6, 16}, 10));
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("batch_norm") == std::string::npos);
  // On an image the Dense layers run as 1x1 convolutions: the first with its gelu, the second with the
  // residual sum.
  CHECK(std::regex_search(plan, std::regex("dense \\+ gelu [^\n]*nhwc -> nhwc")));
  CHECK(std::regex_search(plan, std::regex("dense \\+ sum [^\n]*nhwc -> nhwc")));
  CHECK(plan.find(" add ") == std::string::npos);
  check_against_reference(model, {random_input({2, 6, 6, 16}, 11)}, 8 * float32_tolerance(9 * 16 + 64));
  CHECK(sensitivity(model, random_input({2, 6, 6, 16}, 11)) > 0.05);
}

TEST_CASE("LayerScale saves as Keras writes it and loads back", "[layer_scale][saving]") {
  strata::clear_session();
  const strata::Model model = single({4}, [](auto x) { return L::LayerScale(0.5, 4, {.name = "ls"})(x); });
  model.get_layer("ls").set_weights({strata::Tensor({4}, {1.0f, 2.0f, 3.0f, 4.0f})});
  const nlohmann::json config = nlohmann::json::parse(model.to_json());
  const nlohmann::json& entry = config["config"]["layers"][1];
  CHECK(entry["class_name"] == "LayerScale");
  CHECK(entry["module"] == "keras.src.applications.convnext");
  CHECK(entry["registered_name"] == "LayerScale");
  CHECK(entry["config"]["init_values"] == 0.5);
  CHECK(entry["config"]["projection_dim"] == 4);
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "strata_layer_scale.keras";
  model.save(file.string());
  const strata::Model loaded = strata::load_model(file.string());
  std::filesystem::remove(file);
  const strata::Tensor x = random_input({3, 4}, 1);
  CHECK(loaded.predict(x) == model.predict(x));
  CHECK(loaded.get_layer("ls").get_weights().at(0) == strata::Tensor({4}, {1.0f, 2.0f, 3.0f, 4.0f}));
  CHECK_THAT(strata::to_cpp(model), Contains("LayerScale(0.5f, 4, {.name = \"ls\"})"));
}

TEST_CASE("LayerScale refuses a bad width, initial value or input", "[layer_scale][errors]") {
  strata::clear_session();
  REQUIRE_THROWS_MATCHES(L::LayerScale(1e-6, 0, {.name = "zero"}), strata::ValueError,
                         MessageThat(Contains("[zero (LayerScale)]") && Contains("positive projection_dim") &&
                                     Contains("received 0")));
  REQUIRE_THROWS_MATCHES(L::LayerScale(INFINITY, 4, {.name = "inf"}), strata::ValueError,
                         MessageThat(Contains("[inf (LayerScale)]") && Contains("finite float32")));
  REQUIRE_THROWS_MATCHES(L::LayerScale(1e39, 4, {.name = "big"}), strata::ValueError,
                         MessageThat(Contains("[big (LayerScale)]") && Contains("received 1e+39")));
  auto x = strata::Input({6, 5});
  REQUIRE_THROWS_MATCHES(L::LayerScale(1e-6, 4, {.name = "wide"})(x), strata::ShapeError,
                         MessageThat(Contains("[wide (LayerScale)]") && Contains("projection_dim (4)") &&
                                     Contains("(None, 6, 5)")));
  auto unknown = strata::Input({None});
  REQUIRE_THROWS_MATCHES(L::LayerScale(1e-6, 4, {.name = "late"})(unknown), strata::ShapeError,
                         MessageThat(Contains("[late (LayerScale)]") && Contains("(None, None)")));
}
