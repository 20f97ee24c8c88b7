// Attention, AdditiveAttention and Dot: against Keras 3's computation in the tfjs harness (Attention and
// AdditiveAttention written from Keras's source in tfjs-core ops, Dot by tfjs-layers' own layer), a rank-4
// Dot worked out by hand, the reference executor, ONNX Runtime; Keras's weights, configs in both forms,
// files, generated C++ and errors.
#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "onnx_runtime_util.hpp"
#include "strata/codegen.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using strata::Tensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;
};

std::vector<Case> attention_cases() {
  std::vector<Case> cases;
  cases.push_back({"Attention, dot scores, query and value",
                   [] {
                     auto q = strata::Input({4, 6}), v = strata::Input({7, 6});
                     return strata::Model({q, v}, L::Attention()({q, v}));
                   },
                   {{2, 4, 6}, {2, 7, 6}}});
  cases.push_back({"Attention, scaled dot scores, a key, both masks, the scores returned",
                   [] {
                     auto q = strata::Input({4, 6}), v = strata::Input({7, 5}), k = strata::Input({7, 6});
                     auto qm = strata::Input({4}), vm = strata::Input({7});
                     auto outs = L::Attention({.use_scale = true})
                                     .call_with_scores({q, v, k}, {.query_mask = ops::greater(qm, 0.0),
                                                                   .value_mask = ops::greater(vm, -0.5)});
                     return strata::Model({q, v, k, qm, vm}, outs);
                   },
                   {{2, 4, 6}, {2, 7, 5}, {2, 7, 6}, {2, 4}, {2, 7}}});
  cases.push_back({"Attention, concat scores with a scale, causal",
                   [] {
                     auto q = strata::Input({6, 4});
                     auto y = L::Attention({.use_scale = true, .score_mode = "concat"})(
                         {q, q}, {.use_causal_mask = true});
                     return strata::Model(q, y);
                   },
                   {{2, 6, 4}}});
  cases.push_back({"AdditiveAttention with a key and a value mask",
                   [] {
                     auto q = strata::Input({3, 5}), v = strata::Input({6, 4}), k = strata::Input({6, 5});
                     auto vm = strata::Input({6});
                     auto y = L::AdditiveAttention()({q, v, k}, {.value_mask = ops::greater(vm, -0.3)});
                     return strata::Model({q, v, k, vm}, y);
                   },
                   {{2, 3, 5}, {2, 6, 4}, {2, 6, 5}, {2, 6}}});
  cases.push_back({"AdditiveAttention without scale, causal with a query mask, the scores returned",
                   [] {
                     auto q = strata::Input({5, 4}), qm = strata::Input({5});
                     auto outs = L::AdditiveAttention({.use_scale = false})
                                     .call_with_scores({q, q}, {.query_mask = ops::greater(qm, 0.0),
                                                                .use_causal_mask = true});
                     return strata::Model({q, qm}, outs);
                   },
                   {{2, 5, 4}, {2, 5}}});
  return cases;
}

std::vector<Case> dot_cases() {
  std::vector<Case> cases;
  cases.push_back({"Dot of two vectors per sample, axes 1",
                   [] {
                     auto a = strata::Input({8}), b = strata::Input({8});
                     return strata::Model({a, b}, L::Dot(1)({a, b}));
                   },
                   {{3, 8}, {3, 8}}});
  cases.push_back({"Dot of (3, 5) and (10, 3) on axes (1, 2)",
                   [] {
                     auto a = strata::Input({3, 5}), b = strata::Input({10, 3});
                     return strata::Model({a, b}, L::Dot({1, 2})({a, b}));
                   },
                   {{2, 3, 5}, {2, 10, 3}}});
  cases.push_back({"Dot of a sequence and a vector, axes (2, 1)",
                   [] {
                     auto a = strata::Input({4, 6}), b = strata::Input({6});
                     return strata::Model({a, b}, L::Dot({2, 1})({a, b}));
                   },
                   {{2, 4, 6}, {2, 6}}});
  cases.push_back({"Dot normalized (cosine similarity) on axis -1",
                   [] {
                     auto a = strata::Input({4, 6}), b = strata::Input({5, 6});
                     return strata::Model({a, b}, L::Dot(-1, {.normalize = true})({a, b}));
                   },
                   {{2, 4, 6}, {2, 5, 6}}});
  return cases;
}

}  // namespace

TEST_CASE("Attention and AdditiveAttention equal Keras 3's computation (in tfjs-core) and the reference",
          "[attention][tfjs]") {
  strata::clear_session();
  check_cases_against_tfjs(attention_cases(), 700, 1e-5, [](float v) { return -v; });
}

TEST_CASE("Dot equals tfjs-layers' Dot and the reference", "[merge][tfjs]") {
  strata::clear_session();
  check_cases_against_tfjs(dot_cases(), 710, 1e-5, [](float v) { return -v; });
}

TEST_CASE("Dot takes a negative axis modulo the rank, as Keras", "[merge]") {
  strata::clear_session();
  auto a = strata::Input({3, 5}), b = strata::Input({3, 5});
  // -4 % 3 is 2 in Python: axes (2, 2).
  CHECK(L::Dot(-4)({a, b}).shape().to_string() == "(None, 3, 3)");
}

TEST_CASE("Dot of rank-4 inputs equals the sums worked out by hand", "[merge]") {
  strata::clear_session();
  // x (B, 2, 3, 4) and y (B, 5, 3) on axes (2, 2): out[b, i, l, j] = sum_k x[b, i, k, l] * y[b, j, k].
  auto a = strata::Input({2, 3, 4}), b = strata::Input({5, 3});
  const strata::Model model({a, b}, L::Dot({2, 2})({a, b}));
  CHECK(model.outputs()[0].shape().to_string() == "(None, 2, 4, 5)");
  const Tensor x = random_input({2, 2, 3, 4}, 1), y = random_input({2, 5, 3}, 2);
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const Tensor out = model.compile({.backend = backend}).predict({x, y}).front();
    REQUIRE(out.dims() == std::vector<int64_t>{2, 2, 4, 5});
    double worst = 0.0;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t l = 0; l < 4; ++l)
          for (int64_t j = 0; j < 5; ++j) {
            double sum = 0.0;
            for (int64_t k = 0; k < 3; ++k)
              sum += double(x.data()[((n * 2 + i) * 3 + k) * 4 + l]) * y.data()[(n * 5 + j) * 3 + k];
            worst = std::max(worst, std::abs(sum - out.data()[((n * 2 + i) * 4 + l) * 5 + j]));
          }
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("Attention and AdditiveAttention: Keras's weights, shapes and parameter counts", "[attention]") {
  strata::clear_session();
  auto q = strata::Input({4, 6}), v = strata::Input({7, 5}), k = strata::Input({7, 6});
  const L::Attention dot;
  const L::Attention concat({.use_scale = true, .score_mode = "concat"});
  const L::AdditiveAttention additive;
  auto outs = dot.call_with_scores({q, v, k});
  REQUIRE(outs.size() == 2);
  CHECK(outs[0].shape().to_string() == "(None, 4, 5)");
  CHECK(outs[1].shape().to_string() == "(None, 4, 7)");
  CHECK(dot.get_weights().empty());
  concat({q, v, k});
  additive({q, v, k});
  std::vector<std::string> dims;
  for (const Tensor& w : concat.get_weights()) dims.push_back(strata::to_shape(w.dims()).to_string());
  CHECK(dims == std::vector<std::string>{"()", "()"});
  CHECK(concat.get_weights()[0].data()[0] == 1.0f);
  CHECK(concat.count_params() == 2);
  REQUIRE(additive.get_weights().size() == 1);
  CHECK(additive.get_weights()[0].dims() == std::vector<int64_t>{6});
  CHECK(additive.count_params() == 6);
  // Keras's Glorot uniform limit for a vector of 6: sqrt(6 / (6 + 6)).
  for (int64_t i = 0; i < 6; ++i) CHECK(std::abs(additive.get_weights()[0].data()[i]) <= std::sqrt(0.5f));
}

TEST_CASE("Attention with masks: Keras 3 files, configs in both forms and generated C++ keep the call",
          "[attention][saving]") {
  strata::clear_session();
  auto q = strata::Input({4, 6}, "q"), v = strata::Input({7, 6}, "v"), vm = strata::Input({7}, "vm");
  auto qm = strata::Input({4}, "qm");
  auto outs = L::Attention({.use_scale = true, .name = "att"})
                  .call_with_scores({q, v}, {.value_mask = ops::greater(vm, 0.0), .use_causal_mask = true});
  auto y = L::AdditiveAttention({.name = "add_att"})({q, v}, {.query_mask = ops::greater(qm, 0.5)});
  strata::Model model({q, v, vm, qm}, {outs[0], outs[1], y});
  randomize_weights_keeping_scale(model, 5);
  const std::vector<Tensor> inputs{random_input({2, 4, 6}, 1), random_input({2, 7, 6}, 2),
                                   random_input({2, 7}, 3), random_input({2, 4}, 4)};
  const std::vector<Tensor> expected = model.predict(inputs);

  SECTION("Keras 3's node: one list of inputs, mask=[None, value_mask] and the flags as keywords") {
    const nlohmann::json config = nlohmann::json::parse(model.to_json())["config"];
    nlohmann::json node;
    for (const auto& layer : config["layers"])
      if (layer["name"] == "att") node = layer["inbound_nodes"][0];
    REQUIRE(node["args"].size() == 1);
    CHECK(node["args"][0].size() == 2);
    REQUIRE(node["kwargs"]["mask"].size() == 2);
    CHECK(node["kwargs"]["mask"][0].is_null());
    CHECK(node["kwargs"]["mask"][1]["class_name"] == "__keras_tensor__");
    CHECK(node["kwargs"]["use_causal_mask"] == true);
    CHECK(node["kwargs"]["return_attention_scores"] == true);
    strata::Model back = strata::model_from_json(model.to_json());
    back.set_weights(model.get_weights());
    CHECK(back.predict(inputs) == expected);
  }
  SECTION("a .keras file") {
    const fs::path file = work_dir() / "attention_masks.keras";
    model.save(file.string());
    const strata::Model loaded = strata::load_model(file.string());
    CHECK(loaded.predict(inputs) == expected);
    CHECK(loaded.summary_string() == model.summary_string());
  }
  SECTION("tf.keras's form: each entry carries the keywords, the masks as references") {
    const auto config = dynamic_cast<const strata::detail::FunctionalImpl&>(*model.impl()).config();
    nlohmann::json node;
    for (const auto& layer : config["layers"])
      if (layer["name"] == "add_att") node = layer["inbound_nodes"][0];
    REQUIRE(node.size() == 2);
    CHECK(node[0][3]["mask"][0][0].is_string());
    CHECK(node[0][3]["mask"][1].is_null());
  }
  SECTION("generated C++ writes the public call") {
    const std::string source = strata::to_cpp(model);
    CHECK_THAT(source, Contains(".call_with_scores({"));
    CHECK_THAT(source, Contains("}, {.value_mask = "));
    CHECK_THAT(source, Contains(".use_causal_mask = true})"));
    CHECK_THAT(source, Contains("}, {.query_mask = "));
  }
}

TEST_CASE("Attention, AdditiveAttention and Dot export to ONNX and run in ONNX Runtime",
          "[attention][onnx]") {
  strata::clear_session();
  auto q = strata::Input({5, 8}), v = strata::Input({6, 8}), vm = strata::Input({6});
  auto a = L::Attention({.use_scale = true})({q, v}, {.value_mask = ops::greater(vm, 0.0)});
  auto b = L::AdditiveAttention()({q, v}, {.use_causal_mask = true});
  auto c = L::Dot({2, 2}, {.normalize = true})({a, b});
  strata::Model model({q, v, vm}, {a, b, c});
  randomize_weights_keeping_scale(model, 9);
  const std::vector<Tensor> inputs{random_input({2, 5, 8}, 3), random_input({2, 6, 8}, 4),
                                   random_input({2, 6}, 5)};
  CHECK(onednn_vs_reference(model, inputs) <= float32_tolerance(64));
  const onnx::ModelProto proto = export_and_match(model, inputs, "attention_layers", 1e-5);
  CHECK(op_counts(proto).at("Softmax") == 2);
}

TEST_CASE(
    "Attention, AdditiveAttention and Dot: errors name the layer, what was expected and what was received",
    "[attention][errors]") {
  strata::clear_session();
  CHECK_THROWS_MATCHES(
      L::Attention({.score_mode = "add", .name = "a"}), strata::ValueError,
      MessageThat(Equals("[a (Attention)] Invalid value for argument score_mode. Expected one "
                         "of {'dot', 'concat'}. Received: score_mode=add")));
  CHECK_THROWS_MATCHES(
      L::AdditiveAttention({.dropout = 1.5f, .name = "d"}), strata::ValueError,
      MessageThat(Equals("[d (AdditiveAttention)] Expected dropout in [0, 1), received 1.5")));
  auto q = strata::Input({4, 6}), v = strata::Input({7, 5}), flat = strata::Input({6});
  const L::Attention att({.name = "att"});
  CHECK_THROWS_MATCHES(
      att({q}), strata::ValueError,
      MessageThat(Equals("[att (Attention)] layer accepts inputs list of length 2 or 3, namely "
                         "[query, value] or [query, value, key]. Received length: 1")));
  CHECK_THROWS_MATCHES(att({q, flat}), strata::ShapeError,
                       MessageThat(StartsWith("[att (Attention)] Expected a value of rank 3")));
  CHECK_THROWS_MATCHES(att({q, v}), strata::ShapeError,
                       MessageThat(Equals("[att (Attention)] Expected query and key of the same features, "
                                          "received shapes (None, 4, 6) and (None, 7, 5)")));
  auto k = strata::Input({7, 6}), m = strata::Input({5});
  CHECK_THROWS_MATCHES(att({q, v, k}, {.value_mask = m}), strata::ShapeError,
                       MessageThat(Equals("[att (Attention)] Expected a value_mask of shape (batch, 7), "
                                          "received shape (None, 5)")));
  auto ids = strata::Input({4, 6}, {.dtype = "int32"});
  CHECK_THROWS_MATCHES(att({ids, k}), strata::ValueError, MessageThat(StartsWith("[att (Attention)]")));
  att({q, v, k});
  CHECK_THROWS_MATCHES(
      att({q, v, k}, {.use_causal_mask = true}), strata::ValueError,
      MessageThat(StartsWith("[att (Attention)] Expected the same key, masks, use_causal_mask")));

  CHECK_THROWS_MATCHES(L::Dot(std::vector<int>{1, 2, 3}, {.name = "dot"}), strata::ValueError,
                       MessageThat(StartsWith("[dot (Dot)] Invalid format for argument `axes`")));
  auto a = strata::Input({3, 5}), b = strata::Input({4, 3});
  CHECK_THROWS_MATCHES(
      L::Dot(1, {.name = "d1"})({a, b}), strata::ShapeError,
      MessageThat(Equals("[d1 (Dot)] Incompatible input shapes: axis values 3 (at axis 1) != 4 "
                         "(at axis 1). Full input shapes: (None, 3, 5), (None, 4, 3)")));
  CHECK_THROWS_MATCHES(
      L::Dot(0, {.name = "d0"})({a, a}), strata::ShapeError,
      MessageThat(StartsWith("[d0 (Dot)] Expected axes within the inputs' ranks and not the batch "
                             "axis 0, received axes=[0]")));
  CHECK_THROWS_MATCHES(
      L::Dot(1, {.name = "d2"})({a, a, a}), strata::ValueError,
      MessageThat(StartsWith("[d2 (Dot)] A `Dot` layer should be called on a list of 2 inputs")));
}

TEST_CASE("Attention's mask from a config: None among other tensors only where Keras allows it",
          "[attention][saving][errors]") {
  strata::clear_session();
  auto q = strata::Input({4, 6}, "q"), vm = strata::Input({4}, "vm");
  auto y = L::Attention({.name = "att"})({q, q}, {.value_mask = ops::greater(vm, 0.0)});
  const strata::Model model({q, vm}, y);
  // Keras's mask=[None, value_mask] reads back.
  CHECK(strata::model_from_json(model.to_json()).summary_string() == model.summary_string());
  // Keras 3 itself fills in mask=[None, None] when the call passed none, and [None, value_mask, None] with a
  // key (the third, the key's, Keras does not read); masks passed positionally are refused.
  nlohmann::json keras = nlohmann::json::parse(model.to_json());
  nlohmann::json* node = nullptr;
  for (auto& layer : keras["config"]["layers"])
    if (layer["name"] == "att") node = &layer["inbound_nodes"][0];
  REQUIRE(node != nullptr);
  const nlohmann::json value_mask = (*node)["kwargs"]["mask"][1];
  (*node)["kwargs"]["mask"] = nlohmann::json::parse("[null, null]");
  const strata::Model unmasked = strata::model_from_json(keras.dump());
  CHECK(unmasked.inputs().size() == 2);
  (*node)["kwargs"]["mask"] = nlohmann::json::array({nullptr, value_mask, nullptr});
  CHECK(strata::model_from_json(keras.dump()).summary_string() == model.summary_string());
  (*node)["args"].push_back(nlohmann::json::array({nullptr, value_mask}));
  (*node)["kwargs"].erase("mask");
  CHECK_THROWS_MATCHES(
      strata::model_from_json(keras.dump()), strata::ValueError,
      MessageThat(Contains("[att (Attention)] Expected the inputs list as the only positional "
                           "argument, received 2")));
  // A recurrent layer's initial_state may not hold a None.
  auto x = strata::Input({3, 2}, "x"), h = strata::Input({4}, "h");
  const strata::Model rnn({x, h}, L::SimpleRNN(4, {.name = "rnn"})(x, {h}));
  std::string text = rnn.to_json();
  nlohmann::json r = nlohmann::json::parse(text);
  for (auto& layer : r["config"]["layers"]) {
    if (layer["name"] != "rnn") continue;
    auto& kwargs = layer["inbound_nodes"][0]["kwargs"];
    REQUIRE(kwargs.contains("initial_state"));
    kwargs["initial_state"].push_back(nullptr);
  }
  CHECK_THROWS_MATCHES(strata::model_from_json(r.dump()), strata::ValueError,
                       MessageThat(Contains("The call passes None among the tensors of 'initial_state'")));
}
