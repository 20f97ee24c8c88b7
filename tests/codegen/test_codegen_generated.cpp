// load_model -> strata codegen -> compile -> run: each generated source (written at build time by
// tests/codegen/CMakeLists.txt and compiled into this program) rebuilds its fixture with the same summary,
// bitwise the same weights and bitwise the same predictions as load_model gives from the file.
#include <catch2/catch.hpp>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <strata/strata.hpp>

#include "numerics_util.hpp"
#include "saving_fixtures.hpp"

namespace {

struct GeneratedModel {
  std::string stem;
  std::string file;
  std::function<strata::Model()> with_weights;  // the generated `build_model_with_weights()`
  std::function<strata::Model()> fresh;         // the generated `build_model()`
};

}  // namespace

#include "generated_models.inc"

using namespace strata_test;

TEST_CASE("generated C++ rebuilds each fixture: same summary, weights and predictions as load_model",
          "[codegen]") {
#ifdef STRATA_SANITIZED
  REQUIRE(generated_models().size() == 28);  // without ResNet50 and MobileNetV2
#else
  REQUIRE(generated_models().size() == 30);
#endif
  uint64_t seed = 1;
  for (const GeneratedModel& m : generated_models()) {
    INFO(m.stem << " from " << m.file);
    // Names as in the `strata codegen` run: a config without a model name (Keras 2.0's bare list) gets the
    // first automatic one.
    strata::clear_session();
    const strata::Model loaded = strata::load_model(m.file);
    std::vector<strata::Tensor> inputs;
    for (const strata::SymbolicTensor& x : loaded.inputs()) {
      std::vector<int64_t> dims{2};
      for (int axis = 1; axis < x.shape().rank(); ++axis) dims.push_back(x.shape()[axis].value_or(12));
      if (x.dtype() == strata::DType::kInt32) {
        // Token ids below every fixture's vocabulary of 10.
        const strata::Tensor u = strata::Tensor::random_uniform(dims, seed++, 0.0f, 10.0f);
        std::vector<int32_t> ids;
        for (float v : u.values()) ids.push_back(static_cast<int32_t>(v));
        inputs.push_back(strata::Tensor::from_int32(dims, std::move(ids)));
      } else {
        REQUIRE(x.dtype() == strata::DType::kFloat32);
        inputs.push_back(random_input(dims, seed++));
      }
    }
    const strata::Model rebuilt = m.with_weights();
    expect_equal_models(loaded, rebuilt, inputs);
    // The config says the rest: names, call order (node indices), trainable flags, every argument.
    // Files Keras wrote keep keys that do not change inference (activity_regularizer, batch_input_shape, a
    // dtype string), written back as they came but not C++ arguments; the models strata saved have none.
    if (m.file.find("/tests/data/") == std::string::npos) {
      const std::string want = loaded.to_json(), got = rebuilt.to_json();
      // The differences as a JSON patch (the text may hold Python's -Infinity, which nlohmann does not
      // parse: then only the text).
      const auto parsed = [](const std::string& text) {
        return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      };
      if (got != want && !parsed(want).is_discarded() && !parsed(got).is_discarded())
        UNSCOPED_INFO("config differences (JSON patch from load_model's to the rebuilt model's): "
                      << nlohmann::json::diff(parsed(want), parsed(got)).dump());
      CHECK(got == want);
    }
    CHECK(rebuilt.summary_string({.show_trainable = true}) ==
          loaded.summary_string({.show_trainable = true}));
    // Without the file: the same layers, fresh weights.
    const strata::Model fresh = m.fresh();
    CHECK(fresh.summary_string() == loaded.summary_string());
    CHECK(fresh.count_params() == loaded.count_params());
  }
}
