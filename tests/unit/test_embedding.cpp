// Embedding: rows of a table looked up by ids. Against tfjs-layers' own Embedding (float ids, which both
// cast to int32), by hand for int64 ids, negative ids (from the end, as Keras's take) and ids outside the
// table (a ValueError from predict naming the layer, the id and where it stood, on both backends), shapes,
// parameters, errors, configs, ONNX export.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using strata::DType;
using strata::Tensor;

namespace {

// Ids as floats (what the tfjs harness exchanges): whole numbers in [0, vocab), seeded.
Tensor float_ids(std::vector<int64_t> dims, int64_t vocab, uint64_t seed) {
  Tensor t = Tensor::random_uniform(std::move(dims), seed, 0.0f, static_cast<float>(vocab));
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = std::floor(t.data()[i]);
  return t;
}

}  // namespace

TEST_CASE("Embedding equals tfjs-layers' Embedding, on sequences and on grids of ids", "[embedding][tfjs]") {
  strata::clear_session();
  std::vector<TfjsCase> runs;
  {
    auto ids = strata::Input({7});
    auto e = L::Embedding(50, 8)(ids);
    runs.push_back(
        {strata::Model({ids}, L::Dense(3)(L::GlobalAveragePooling1D()(e))), {float_ids({3, 7}, 50, 1)}});
  }
  {
    auto ids = strata::Input({2, 3});
    runs.push_back({strata::Model({ids}, L::Embedding(5, 4)(ids)), {float_ids({2, 2, 3}, 5, 2)}});
  }
  {
    // Two lookups of one table (a shared layer) added, as token and position embeddings are.
    auto a = strata::Input({6}), b = strata::Input({6});
    L::Embedding shared(12, 5);
    runs.push_back(
        {strata::Model({a, b}, shared(a) + shared(b)), {float_ids({2, 6}, 12, 3), float_ids({2, 6}, 12, 4)}});
  }
  uint64_t seed = 70;
  for (const TfjsCase& run : runs) randomize_weights(run.model, seed++);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO("case " << i << ": " << results[i].refused);
    REQUIRE(results[i].refused.empty());
    const std::vector<Tensor> ours = runs[i].model.predict(runs[i].inputs);
    const std::vector<Tensor> reference =
        runs[i].model.compile({.backend = "reference"}).predict(runs[i].inputs);
    REQUIRE(ours.size() == results[i].outputs.size());
    for (size_t k = 0; k < ours.size(); ++k) {
      CHECK(ours[k].dims() == results[i].outputs[k].dims());
      CHECK(scaled_error(ours[k], results[i].outputs[k]) <= 1e-6);
      CHECK(scaled_error(ours[k], reference[k]) <= 1e-6);
    }
    // A different id moves the output: the lookup really reads the ids.
    Tensor moved = runs[i].inputs[0];
    moved.data()[0] = moved.data()[0] == 0.0f ? 1.0f : 0.0f;
    std::vector<Tensor> inputs = runs[i].inputs;
    inputs[0] = moved;
    CHECK(scaled_error(runs[i].model.predict(inputs)[0], ours[0]) > 1e-3);
  }
}

TEST_CASE("Embedding's shape, parameters, weight and summary are Keras's", "[embedding]") {
  strata::clear_session();
  auto ids = strata::Input({strata::None}, {.name = "tokens", .dtype = "int32"});
  L::Embedding embedding(20000, 32);
  auto x = embedding(ids);
  CHECK(x.shape() == strata::Shape({strata::None, strata::None, 32}));
  CHECK(x.dtype() == DType::kFloat32);
  CHECK(embedding.count_params() == 640000);
  const std::vector<Tensor> w = embedding.get_weights();
  REQUIRE(w.size() == 1);
  CHECK(w[0].dims() == std::vector<int64_t>{20000, 32});
  // Keras's "uniform" initializer: RandomUniform(-0.05, 0.05).
  float lo = 1, hi = -1;
  for (float v : w[0].values()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo >= -0.05f);
  CHECK(hi < 0.05f);
  CHECK(lo < -0.049f);
  CHECK(hi > 0.049f);
  strata::Model model({ids}, x);
  const std::string summary = model.summary_string();
  CHECK(summary.find("embedding (Embedding)") != std::string::npos);
  CHECK(summary.find("640,000") != std::string::npos);
}

TEST_CASE("Embedding by hand: int32 and int64 ids, negative ids, ids outside the table",
          "[embedding][errors]") {
  strata::clear_session();
  auto ids = strata::Input({2, 2}, {.name = "ids", .dtype = "int64"});
  L::Embedding embedding(3, 2, {.name = "table"});
  strata::Model model({ids}, embedding(ids));
  embedding.set_weights({Tensor({3, 2}, {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f})});
  const Tensor in = Tensor::from_int64({1, 2, 2}, {2, 0, -1, -3});
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const strata::CompiledModel compiled = model.compile({.backend = backend});
    CHECK(compiled.predict(in) == Tensor({1, 2, 2, 2}, {2.0f, 2.5f, 0.0f, 0.5f, 2.0f, 2.5f, 0.0f, 0.5f}));
    CHECK_THROWS_MATCHES(compiled.predict(Tensor::from_int64({1, 2, 2}, {0, 1, 2, 3})), strata::ValueError,
                         MessageThat(StartsWith("[table (Embedding)] Expected ids in [-3, 3) (input_dim 3), "
                                                "received 3 at index (0, 1, 1) of the input")));
    CHECK_THROWS_MATCHES(compiled.predict(Tensor::from_int64({1, 2, 2}, {0, -4, 1, 1})), strata::ValueError,
                         MessageThat(Contains("received -4 at index (0, 0, 1)")));
    CHECK_THROWS_MATCHES(compiled.predict(Tensor::from_int64({1, 2, 2}, {0, int64_t{1} << 40, 1, 1})),
                         strata::ValueError, MessageThat(Contains("received 1099511627776")));
    // The plan still works after a refused call.
    CHECK(compiled.predict(in).dims() == std::vector<int64_t>{1, 2, 2, 2});
  }
  // int32 ids, and float ids cast toward zero as Keras casts them (1.9 is row 1).
  strata::clear_session();
  auto i32 = strata::Input({3}, {.dtype = "int32"});
  auto f32 = strata::Input({3});
  L::Embedding shared(3, 2);
  shared(i32);
  strata::Model both({i32, f32}, {shared(i32), shared(f32)});
  shared.set_weights({Tensor({3, 2}, {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f})});
  const std::vector<Tensor> out =
      both.predict({Tensor::from_int32({1, 3}, {1, 2, 0}), Tensor({1, 3}, {1.9f, 2.0f, -0.5f})});
  CHECK(out[0] == Tensor({1, 3, 2}, {1.0f, 1.5f, 2.0f, 2.5f, 0.0f, 0.5f}));
  CHECK(out[1] == out[0]);
  // A NaN id becomes -2147483648 in Keras's cast; the message says where it came from.
  CHECK_THROWS_MATCHES(
      both.predict({Tensor::from_int32({1, 3}, {0, 0, 0}),
                    Tensor({1, 3}, {0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f})}),
      strata::ValueError,
      MessageThat(Contains("received -2147483648 at index (0, 1) of the input (cast to int32 from "
                           "a float or bool input")));
  // Bool ids are rows 0 and 1.
  strata::clear_session();
  auto flags = strata::Input({2}, {.dtype = "bool"});
  L::Embedding two(2, 1);
  strata::Model by_flag({flags}, two(flags));
  two.set_weights({Tensor({2, 1}, {-1.0f, 1.0f})});
  CHECK(by_flag.predict(Tensor::from_bool({1, 2}, {1, 0})) == Tensor({1, 2, 1}, {1.0f, -1.0f}));
}

TEST_CASE("Embedding's errors and configs", "[embedding][errors][config]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(
      L::Embedding(0, 4), strata::ValueError,
      MessageThat(StartsWith("[embedding (Embedding)] `input_dim` must be a positive integer. "
                             "Received: input_dim=0")));
  CHECK_THROWS_MATCHES(
      L::Embedding(4, -1), strata::ValueError,
      MessageThat(Contains("`output_dim` must be a positive integer. Received: output_dim=-1")));
  CHECK_THROWS_MATCHES(L::Embedding(4, 2, {.embeddings_initializer = "nope"}), strata::ValueError,
                       MessageThat(Contains("Unknown initializer 'nope'")));
  // Keras 2's config: input_length accepted (Keras 3 ignores it), the initializer by its old name.
  const nlohmann::json keras2 = {{"name", "emb2"},
                                 {"trainable", true},
                                 {"input_dim", 100},
                                 {"output_dim", 8},
                                 {"input_length", 20},
                                 {"mask_zero", false},
                                 {"embeddings_initializer",
                                  {{"class_name", "RandomUniform"},
                                   {"config", {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}}}}},
                                 {"embeddings_regularizer", nullptr},
                                 {"activity_regularizer", nullptr},
                                 {"embeddings_constraint", nullptr},
                                 {"dtype", "float32"}};
  const strata::Layer layer = strata::layer_from_config("Embedding", keras2.dump());
  CHECK(layer.class_name() == "Embedding");
  nlohmann::json masked = keras2;
  masked["mask_zero"] = true;
  const strata::Layer masking = strata::layer_from_config("Embedding", masked.dump());
  CHECK(nlohmann::json::parse(masking.get_config())["mask_zero"] == true);
  nlohmann::json lora = keras2;
  lora["lora_rank"] = 4;
  CHECK_THROWS_AS(strata::layer_from_config("Embedding", lora.dump()), strata::ValueError);
}

TEST_CASE("Embedding exports to ONNX as a Gather that ONNX Runtime computes alike", "[embedding][onnx]") {
  strata::clear_session();
  auto ids = strata::Input({5}, {.name = "ids", .dtype = "int32"});
  auto big = strata::Input({5}, {.name = "big", .dtype = "int64"});
  L::Embedding table(9, 3);
  auto x = table(ids) + table(big);
  strata::Model model({ids, big}, L::Dense(2)(x), "lookups");
  randomize_weights(model, 5);
  const fs::path path = work_dir() / "embedding.onnx";
  strata::export_onnx(model, path.string());
  require_checker_passes(path);
  const std::vector<Tensor> inputs = {Tensor::from_int32({2, 5}, {0, 1, 2, 8, -1, 3, 3, 4, -9, 7}),
                                      Tensor::from_int64({2, 5}, {8, 7, 6, 5, 4, 0, -2, 1, 2, 3})};
  const std::vector<Tensor> got = ort_predict(path, inputs);
  const std::vector<Tensor> expected = model.predict(inputs);
  REQUIRE(got.size() == 1);
  CHECK(max_relative_error(got[0], expected[0]) <= 1e-6);
  CHECK(op_summary(load_proto(path)).find("Gather:2") != std::string::npos);
}
