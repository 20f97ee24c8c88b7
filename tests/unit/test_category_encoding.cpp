// CategoryEncoding: against tfjs-layers' own layer (multi_hot, count) and Keras's one_hot in tfjs-core ops
// (the tfjs harness), against encodings worked out by hand, on both backends and in ONNX Runtime; configs,
// shapes, and the errors for bad arguments, shapes and values.
#include <cmath>

#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using strata::Tensor;

namespace {

// Integer values in [0, tokens) held as floats (Keras and tfjs cast them to int32).
Tensor token_ids(std::vector<int64_t> dims, int64_t tokens, uint64_t seed) {
  Tensor t = Tensor::random_uniform(std::move(dims), seed, 0.0f, static_cast<float>(tokens));
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = std::floor(t.data()[i]);
  return t;
}

strata::Model encoder(std::vector<strata::Dim> dims, int64_t tokens, const std::string& mode,
                      const std::string& dtype = "float32") {
  auto x = strata::Input(std::move(dims), {.dtype = dtype});
  return strata::Model(x, L::CategoryEncoding(tokens, {.output_mode = mode})(x));
}

}  // namespace

TEST_CASE("CategoryEncoding equals tfjs's layer and Keras's one_hot (in tfjs-core)",
          "[preprocessing][tfjs]") {
  strata::clear_session();
  struct Run {
    const char* what;
    strata::Model model;
    std::vector<int64_t> dims;
  };
  const std::vector<Run> runs{{"multi_hot", encoder({6}, 9, "multi_hot"), {4, 6}},
                              {"count", encoder({6}, 5, "count"), {4, 6}},
                              {"one_hot of (batch, 1)", encoder({1}, 7, "one_hot"), {5, 1}},
                              {"one_hot of (batch, 3, 4)", encoder({3, 4}, 6, "one_hot"), {2, 3, 4}}};
  std::vector<TfjsCase> cases;
  uint64_t seed = 20;
  for (const Run& r : runs) {
    const int64_t tokens = r.model.outputs()[0].shape()[-1].value();
    cases.push_back({r.model, {token_ids(r.dims, tokens, seed++)}});
  }
  const std::vector<TfjsResult> results = tfjs_predict_all(cases);
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO(runs[i].what << ": " << results[i].refused);
    REQUIRE(results[i].refused.empty());
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const Tensor ours = runs[i].model.compile({.backend = backend}).predict(cases[i].inputs).front();
      CHECK(ours == results[i].outputs.at(0));
    }
    // Other values give another encoding, which tfjs's would not match.
    Tensor moved = cases[i].inputs[0];
    const int64_t tokens = runs[i].model.outputs()[0].shape()[-1].value();
    for (int64_t k = 0; k < moved.size(); ++k)
      moved.data()[k] = std::fmod(moved.data()[k] + 1.0f, float(tokens));
    CHECK(max_relative_error(runs[i].model.predict(moved), results[i].outputs.at(0)) > 0.5);
  }
}

TEST_CASE("CategoryEncoding: encodings worked out by hand from int32 and int64 values", "[preprocessing]") {
  strata::clear_session();
  for (const char* dtype : {"int32", "int64"}) {
    INFO(dtype);
    const auto make = [&](const std::vector<int64_t>& v) {
      return std::string(dtype) == "int32"
                 ? Tensor::from_int32({2, 3}, std::vector<int32_t>(v.begin(), v.end()))
                 : Tensor::from_int64({2, 3}, v);
    };
    const Tensor ids = make({0, 3, 3, 2, 1, 0});
    CHECK(encoder({3}, 4, "multi_hot", dtype).predict(ids) == Tensor({2, 4}, {1, 0, 0, 1, 1, 1, 1, 0}));
    CHECK(encoder({3}, 4, "count", dtype).predict(ids) == Tensor({2, 4}, {1, 0, 0, 2, 1, 1, 1, 0}));
    const Tensor hot = encoder({3}, 4, "one_hot", dtype).predict(ids);
    CHECK(hot.dims() == std::vector<int64_t>{2, 3, 4});
    CHECK(hot == Tensor({2, 3, 4}, {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0}));
  }
}

TEST_CASE("CategoryEncoding: shapes, Keras's config and ONNX Runtime", "[preprocessing][onnx]") {
  strata::clear_session();
  CHECK(encoder({1}, 5, "one_hot").outputs()[0].shape().to_string() == "(None, 5)");
  CHECK(encoder({4}, 5, "one_hot").outputs()[0].shape().to_string() == "(None, 4, 5)");
  CHECK(encoder({4}, 5, "count").outputs()[0].shape().to_string() == "(None, 5)");
  CHECK(encoder({strata::None}, 5, "binary").outputs()[0].shape().to_string() == "(None, 5)");
  const strata::Layer layer = strata::layer_from_config(
      "CategoryEncoding", R"({"name": "enc", "num_tokens": 6, "output_mode": "binary", "sparse": false})");
  const nlohmann::json config = nlohmann::json::parse(layer.get_config());
  CHECK(config["num_tokens"] == 6);
  CHECK(config["output_mode"] == "multi_hot");  // Keras's deprecated "binary" rewritten, as Keras does
  CHECK(config["sparse"] == false);
  for (const char* mode : {"multi_hot", "count", "one_hot"}) {
    INFO(mode);
    const strata::Model model = encoder({5}, 8, mode, "int64");
    std::vector<int64_t> v(15);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 5) % 8);
    export_and_match(model, {Tensor::from_int64({3, 5}, v)}, std::string("category_encoding_") + mode, 0.0);
  }
}

TEST_CASE("CategoryEncoding: errors name the layer, what was expected and what was received",
          "[preprocessing][errors]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(L::CategoryEncoding(0, {.name = "e"}), strata::ValueError,
                       MessageThat(Equals("[e (CategoryEncoding)] `num_tokens` must be >= 1. Received: "
                                          "num_tokens=0")));
  CHECK_THROWS_MATCHES(L::CategoryEncoding(4, {.output_mode = "tf_idf", .name = "e"}), strata::ValueError,
                       MessageThat(Equals("[e (CategoryEncoding)] Unknown arg for output_mode: tf_idf")));
  // An unknown last axis stays in the shape, as Keras's; a 1 arriving there would change the rank.
  auto unknown = strata::Input({strata::None}, {.dtype = "int32"});
  const strata::Model any_length(unknown,
                                 L::CategoryEncoding(4, {.output_mode = "one_hot", .name = "u"})(unknown));
  CHECK(any_length.outputs()[0].shape().to_string() == "(None, None, 4)");
  CHECK(any_length.predict(Tensor::from_int32({1, 2}, {3, 0})) ==
        Tensor({1, 2, 4}, {0, 0, 0, 1, 1, 0, 0, 0}));
  CHECK_THROWS_MATCHES(
      any_length.predict(Tensor::from_int32({1, 1}, {3})), strata::ShapeError,
      MessageThat(StartsWith("[u (CategoryEncoding)] Received an input whose last dimension is 1 "
                             "where the model left it unknown (None, None)")));
  auto x = strata::Input({2, 3}, {.dtype = "int32"});
  CHECK_THROWS_MATCHES(
      L::CategoryEncoding(4, {.name = "m"})(x), strata::ShapeError,
      MessageThat(StartsWith("[m (CategoryEncoding)] When output_mode is not `'int'`, maximum "
                             "supported output rank is 2")));
  auto ids = strata::Input({3}, {.dtype = "int32"});
  const strata::Model model(ids, L::CategoryEncoding(4, {.output_mode = "count", .name = "enc"})(ids));
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    CHECK_THROWS_MATCHES(
        model.compile({.backend = backend}).predict(Tensor::from_int32({2, 3}, {0, 1, 2, 3, 4, 1})),
        strata::ValueError,
        MessageThat(Equals("[enc (CategoryEncoding)] Expected values in [0, 4) (num_tokens 4), "
                           "received 4 at index (1, 1) of the input")));
    CHECK_THROWS_MATCHES(
        model.compile({.backend = backend}).predict(Tensor::from_int32({2, 3}, {0, -1, 2, 3, 0, 1})),
        strata::ValueError, MessageThat(StartsWith("[enc (CategoryEncoding)] Expected values in [0, 4)")));
  }
}
