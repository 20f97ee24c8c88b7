// Keras's masks: which layers make one (Embedding(mask_zero), Masking), which pass it on and which drop it
// (Keras 3's supports_masking), the ops Keras records for them, and the layers that use one: the recurrent
// layers skipping masked steps and GlobalAveragePooling1D averaging the kept ones. Numerics against
// tfjs-layers' own masked Embedding, Masking, LSTM, GRU, SimpleRNN and Bidirectional (tfjs computes the masks
// itself), and against averages worked out here from the embedding table.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "graph/node.hpp"

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using strata::DType;
using strata::Tensor;

namespace {

// A subclassed layer (Keras's Layer with its own call): a Dense inside.
class Projection : public strata::CompositeLayerDefinition {
 public:
  Projection() : dense_(track("dense", L::Dense(3))) {}
  std::string class_name() const override { return "Projection"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override { return dense_(x); }

 private:
  L::Dense dense_;
};

// Ids as floats (what the tfjs harness exchanges), whole numbers in [1, vocab), then zeros (the masked
// padding) where `padding` says: row r is padded at its end (r % 3 == 0), at its start (1) or at two places
// inside (2), with r + 1 zeros.
Tensor padded_ids(int64_t rows, int64_t steps, int64_t vocab, uint64_t seed) {
  Tensor t = Tensor::random_uniform({rows, steps}, seed, 1.0f, static_cast<float>(vocab));
  for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = std::floor(t.data()[i]);
  for (int64_t r = 0; r < rows; ++r) {
    float* row = t.data() + r * steps;
    const int64_t zeros = std::min<int64_t>(r + 1, steps - 2);
    for (int64_t k = 0; k < zeros; ++k) {
      const int64_t at = r % 3 == 0 ? steps - 1 - k : r % 3 == 1 ? k : (k % 2 == 0 ? 1 + k : steps - 1 - k);
      row[at] = 0.0f;
    }
  }
  return t;
}

// Float sequences whose masked steps (all features equal to `value`) sit as padded_ids places its zeros.
Tensor padded_sequences(int64_t rows, int64_t steps, int64_t features, float value, uint64_t seed) {
  const Tensor ids = padded_ids(rows, steps, 5, seed);
  Tensor t = Tensor::random_uniform({rows, steps, features}, seed + 1, -1.0f, 1.0f);
  for (int64_t i = 0; i < rows * steps; ++i) {
    if (ids.data()[i] == 0.0f) std::fill(t.data() + i * features, t.data() + (i + 1) * features, value);
  }
  return t;
}

strata::Model with_mask_zero(const std::function<strata::SymbolicTensor(const strata::SymbolicTensor&)>& body,
                             int64_t steps, int vocab = 30, int width = 6) {
  auto ids = strata::Input({steps});
  return strata::Model(ids, body(L::Embedding(vocab, width, {.mask_zero = true})(ids)));
}

}  // namespace

TEST_CASE("Embedding(mask_zero) and Masking make Keras's mask ops; the layers Keras lists pass it on",
          "[masking]") {
  strata::clear_session();
  auto ids = strata::Input({6}, {.name = "ids", .dtype = "int32"});
  const auto e = L::Embedding(20, 4, {.mask_zero = true})(ids);
  REQUIRE(e.mask());
  CHECK(e.mask().layer().class_name() == "NotEqual");
  CHECK(e.mask().layer().name() == "not_equal");
  CHECK(e.mask().shape() == strata::Shape({strata::None, 6}));
  CHECK(e.mask().dtype() == DType::kBool);
  CHECK_FALSE(L::Embedding(20, 4)(ids).mask());

  // Keras 3's supports_masking: these keep the mask (the same tensor, no new op).
  const auto d = L::Dense(3)(e);
  CHECK(d.mask() == e.mask());
  CHECK(L::Dropout(0.5f)(d).mask() == e.mask());
  CHECK(L::LayerNormalization()(d).mask() == e.mask());
  CHECK(L::Activation("softmax")(d).mask() == e.mask());
  // ... and these drop it: convolutions, the recurrent layers (since Keras 3 of July 2026), pooling, ops.
  CHECK_FALSE(L::Conv1D(2, 3)(e).mask());
  CHECK_FALSE(L::LSTM(3, {.return_sequences = true})(e).mask());
  CHECK_FALSE(L::GlobalAveragePooling1D()(e).mask());
  CHECK_FALSE(ops::relu(e).mask());
  CHECK_FALSE((e + e).mask());

  // A merge layer: the masks' logical_or when every input has one, else none.
  CHECK_FALSE(L::Add()({e, L::Embedding(20, 4)(ids)}).mask());
  CHECK_FALSE(L::TimeDistributed(L::Dense(2))(e).mask());
  const auto e2 = L::Embedding(20, 4, {.mask_zero = true})(ids);
  const auto merged = L::Add()({e, e2});
  REQUIRE(merged.mask());
  CHECK(merged.mask().layer().class_name() == "LogicalOr");

  // Masking: any(not_equal(x, value), -1), recorded as Keras records it.
  auto x = strata::Input({5, 3});
  const auto m = L::Masking({.mask_value = 2.0f})(x);
  REQUIRE(m.mask());
  CHECK(m.mask().layer().class_name() == "Any");
  CHECK(m.mask().shape() == strata::Shape({strata::None, 5}));
  CHECK(m.mask().layer().input().layer().class_name() == "NotEqual");

  // A consumer records the mask as its last input, Keras's `mask` keyword.
  const auto h = L::LSTM(2)(d);
  strata::Model model(ids, h);
  const std::string summary = model.summary_string();
  CHECK_THAT(summary, Contains("(NotEqual)"));
  CHECK_THAT(summary, Contains("dense[0][0],"));
  CHECK(h.layer().impl()->inbound_nodes.front().lock()->mask() == d.mask());
  CHECK_THAT(model.to_json(), Contains(R"("mask")"));
}

TEST_CASE("masks Keras's layers would use differently are refused, not ignored", "[masking][errors]") {
  strata::clear_session();
  auto ids = strata::Input({6});
  const auto e = L::Embedding(20, 4, {.mask_zero = true})(ids);
  auto plain = strata::Input({6, 4});
  CHECK_THROWS_MATCHES(L::Softmax()(e), strata::ValueError, MessageThat(Contains("Softmax applies it")));
  // Keras's Multiply broadcasts a mask over its input's last axis: a masked input of lower rank (expanded at
  // axis 1) cannot be. A failed call leaves the layer uncalled.
  auto vector = strata::Input({4});
  const auto masked_vector = L::Masking()(vector);
  REQUIRE(masked_vector.mask());
  L::Multiply multiply({.name = "gate"});
  CHECK_THROWS_MATCHES(
      multiply({masked_vector, plain}), strata::ShapeError,
      MessageThat(Contains("[gate (Multiply)]") && Contains("carries a mask of shape (None,)") &&
                  Contains("input shape (None, 4)")));
  CHECK_THROWS_AS(multiply.output(), strata::GraphError);

  // A model called as a layer would see the mask in Keras; strata refuses.
  auto inner_in = strata::Input({6, 4});
  strata::Model inner(inner_in, L::Dense(2)(inner_in));
  CHECK_THROWS_MATCHES(inner(e), strata::ValueError, MessageThat(Contains("carries a mask")));
  // So would a subclassed layer's.
  CHECK_THROWS_MATCHES(strata::CompositeLayer(std::make_shared<Projection>())(e), strata::ValueError,
                       MessageThat(Contains("subclassed layer")));
  // ... and the mask its own output carries would reach the layers after it.
  auto in2 = strata::Input({6});
  strata::Model embedder(in2, L::Embedding(20, 4, {.mask_zero = true})(in2));
  CHECK_THROWS_MATCHES(embedder(strata::Input({6})), strata::ValueError,
                       MessageThat(Contains("Keras passes it to the layers after this call")));

  // An explicit mask: only for layers whose call takes one, of the input's shape without its last axis.
  CHECK_THROWS_MATCHES(L::Dense(2).call_masked({e}, e.mask()), strata::ValueError,
                       MessageThat(Contains("takes none")));
  auto wrong = strata::Input({5});
  CHECK_THROWS_MATCHES(L::LSTM(2).call_masked({e}, wrong), strata::ShapeError,
                       MessageThat(Contains("Expected a mask of the input's shape without its last axis")));

  // The batch too: a mask made from ops::arange has a batch of 1.
  CHECK_THROWS_AS(L::LSTM(2).call_masked({e}, ops::less(ops::arange(6), 3)), strata::ShapeError);
  // TimeDistributed would pass the mask on to a wrapped layer that takes one; the wrapped layer stays
  // uncalled.
  auto frames = strata::Input({4, 5, 3});
  L::GlobalAveragePooling1D pooling;
  CHECK_THROWS_MATCHES(L::TimeDistributed(pooling)(L::Masking()(frames)), strata::ValueError,
                       MessageThat(Contains("which Keras passes on to")));
  CHECK_THROWS_AS(pooling.output(), strata::GraphError);

  // ONNX has no recurrent op with a mask of any steps.
  strata::Model masked(ids, L::GRU(3)(e));
  CHECK_THROWS_MATCHES(
      strata::export_onnx(masked, (std::filesystem::temp_directory_path() / "masked.onnx").string()),
      strata::ValueError, MessageThat(Contains("skips masked steps")));
}

TEST_CASE("masked recurrent layers equal tfjs-layers' own masking", "[masking][recurrent][tfjs]") {
  strata::clear_session();
  struct MaskCase {
    std::string what;
    strata::Model model;
    Tensor input;
  };
  std::vector<MaskCase> cases;
  cases.push_back({"Embedding(mask_zero), LSTM, Dense",
                   with_mask_zero([](auto e) { return L::Dense(2)(L::LSTM(5)(e)); }, 9),
                   padded_ids(4, 9, 30, 1)});
  cases.push_back({"GRU returning sequences and its state",
                   with_mask_zero([](auto e) { return L::GRU(4, {.return_sequences = true})(e); }, 8),
                   padded_ids(4, 8, 30, 2)});
  cases.push_back(
      {"SimpleRNN going backwards, through a Dense that keeps the mask",
       with_mask_zero([](auto e) { return L::SimpleRNN(4, {.go_backwards = true})(L::Dense(5)(e)); }, 7),
       padded_ids(3, 7, 30, 3)});
  cases.push_back(
      {"LSTM going backwards, returning sequences",
       with_mask_zero([](auto e) { return L::LSTM(3, {.return_sequences = true, .go_backwards = true})(e); },
                      6),
       padded_ids(3, 6, 30, 4)});
  cases.push_back({"GRU reset_after=False",
                   with_mask_zero([](auto e) { return L::GRU(3, {.reset_after = false})(e); }, 7),
                   padded_ids(3, 7, 30, 5)});
  cases.push_back({"Bidirectional LSTM, last outputs concatenated",
                   with_mask_zero([](auto e) { return L::Bidirectional(L::LSTM(3))(e); }, 8),
                   padded_ids(4, 8, 30, 6)});
  {
    auto x = strata::Input({8, 3});
    cases.push_back({"Masking, then LSTM", strata::Model(x, L::LSTM(4)(L::Masking()(x))),
                     padded_sequences(4, 8, 3, 0.0f, 7)});
  }
  {
    auto x = strata::Input({7, 2});
    cases.push_back(
        {"Masking of 0.5, then GRU returning sequences",
         strata::Model(x, L::GRU(3, {.return_sequences = true})(L::Masking({.mask_value = 0.5f})(x))),
         padded_sequences(3, 7, 2, 0.5f, 8)});
  }
  std::vector<TfjsCase> runs;
  uint64_t seed = 40;
  for (const MaskCase& c : cases) {
    randomize_weights_keeping_scale(c.model, seed++);
    runs.push_back({c.model, {c.input}});
  }
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].what << ": " << results[i].refused);
    REQUIRE(results[i].refused.empty());
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const Tensor ours = cases[i].model.compile({.backend = backend}).predict(cases[i].input);
      CHECK(max_relative_error(ours, results[i].outputs.front()) <= 1e-5);
    }
    // The mask matters: the same weights without it (the masked steps read as data) are far off.
    const Tensor ours = cases[i].model.predict(cases[i].input);
    Tensor unmasked_input = cases[i].input;
    for (int64_t k = 0; k < unmasked_input.size(); ++k) {
      if (unmasked_input.data()[k] == 0.0f || unmasked_input.data()[k] == 0.5f)
        unmasked_input.data()[k] = 1.0f;
    }
    CHECK(max_relative_error(cases[i].model.predict(unmasked_input), ours) > 1e-2);
  }
}

TEST_CASE("the steps a mask skips do not count, wherever they are", "[masking][recurrent]") {
  // Keras's rule, checked without any other implementation: a masked step keeps the state, so what the
  // masked steps hold, and where they stand, cannot change a last output.
  strata::clear_session();
  auto ids = strata::Input({8});
  L::Embedding embedding(30, 5, {.mask_zero = true});
  strata::Model model(ids, L::LSTM(4)(embedding(ids)));
  randomize_weights_keeping_scale(model, 3);
  Tensor front({1, 8}, std::vector<float>{0, 0, 0, 4, 9, 17, 2, 11});
  Tensor spread({1, 8}, std::vector<float>{4, 0, 9, 0, 17, 2, 0, 11});
  const Tensor expected = model.predict(front);
  CHECK(max_relative_error(model.predict(spread), expected) <= 1e-6);
  // Row 0 of the table is read at every masked step, and ignored.
  std::vector<Tensor> weights = embedding.get_weights();
  for (int64_t k = 0; k < 5; ++k) weights[0].data()[k] = 100.0f;
  embedding.set_weights(weights);
  CHECK(max_relative_error(model.predict(front), expected) <= 1e-6);
  // An unmasked id moves it.
  Tensor moved = front;
  moved.data()[7] = 12.0f;
  CHECK(max_relative_error(model.predict(moved), expected) > 1e-2);
}

TEST_CASE("a Bidirectional layer returning sequences writes zeros at masked steps, as Keras",
          "[masking][tfjs]") {
  // Keras sets each half's zero_output_for_mask to return_sequences; tfjs-layers writes the carried state
  // there instead. tfjs's outputs at the kept steps, zeros at the masked ones, are Keras's.
  // So does a layer with zero_output_for_mask (Keras's RNN argument), also after a trip through its config.
  for (const bool bidirectional : {true, false}) {
    INFO((bidirectional ? "Bidirectional" : "LSTM zero_output_for_mask"));
    strata::clear_session();
    const strata::Model model = with_mask_zero(
        [&](auto e) {
          if (bidirectional)
            return L::Bidirectional(L::GRU(3, {.return_sequences = true}), {.merge_mode = "sum"})(e);
          return L::LSTM(3, {.return_sequences = true, .zero_output_for_mask = true})(e);
        },
        7);
    randomize_weights_keeping_scale(model, 11);
    const Tensor ids = padded_ids(4, 7, 30, 12);
    Tensor expected = tfjs_predict(model, {ids}).front();
    for (int64_t s = 0; s < 4 * 7; ++s) {
      if (ids.data()[s] == 0.0f) std::fill(expected.data() + s * 3, expected.data() + (s + 1) * 3, 0.0f);
    }
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      CHECK(max_relative_error(model.compile({.backend = backend}).predict(ids), expected) <= 1e-5);
    }
    strata::Model twin = strata::model_from_json(model.to_json());
    twin.set_weights(model.get_weights());
    CHECK(max_relative_error(twin.predict(ids), expected) <= 1e-5);
  }
}

TEST_CASE("GlobalAveragePooling1D averages the kept steps of a mask", "[masking][pooling]") {
  strata::clear_session();
  auto ids = strata::Input({6});
  L::Embedding embedding(10, 3, {.mask_zero = true});
  const auto e = embedding(ids);
  strata::Model model(ids,
                      {L::GlobalAveragePooling1D()(e), L::GlobalAveragePooling1D({.keepdims = true})(e)});
  randomize_weights(model, 5);
  const Tensor table = embedding.get_weights()[0];
  Tensor input({3, 6}, std::vector<float>{1, 2, 0, 0, 3, 9,  //
                                          0, 0, 0, 0, 0, 7,  //
                                          0, 0, 0, 0, 0, 0});
  // Worked out here: the mean of the rows of the kept ids; a row with none is 0 / 0.
  std::vector<float> expected;
  for (int64_t r = 0; r < 3; ++r) {
    for (int64_t c = 0; c < 3; ++c) {
      double sum = 0.0;
      int kept = 0;
      for (int64_t s = 0; s < 6; ++s) {
        const auto id = static_cast<int64_t>(input.data()[r * 6 + s]);
        if (id == 0) continue;
        sum += table.data()[id * 3 + c];
        ++kept;
      }
      expected.push_back(static_cast<float>(sum / kept));
    }
  }
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const std::vector<Tensor> got = model.compile({.backend = backend}).predict(std::vector<Tensor>{input});
    REQUIRE(got[0].dims() == std::vector<int64_t>{3, 3});
    REQUIRE(got[1].dims() == std::vector<int64_t>{3, 1, 3});
    for (size_t k = 0; k < 6; ++k) {
      CHECK(got[0].data()[k] == Approx(expected[k]).epsilon(1e-5));
      CHECK(got[1].data()[k] == Approx(expected[k]).epsilon(1e-5));
    }
    for (size_t k = 6; k < 9; ++k) CHECK(std::isnan(got[0].data()[k]));
  }
}

TEST_CASE("Multiply and Concatenate use their inputs' masks as Keras 3 does", "[masking][merge]") {
  strata::clear_session();
  auto ids1 = strata::Input({5});
  auto ids2 = strata::Input({5});
  auto plain = strata::Input({5, 3});
  L::Embedding embedding1(10, 3, {.mask_zero = true}), embedding2(10, 3, {.mask_zero = true});
  const auto e1 = embedding1(ids1);
  const auto e2 = embedding2(ids2);
  const auto both = L::Multiply({.name = "both"})({e1, e2});
  const auto one = L::Multiply({.name = "one"})({e1, plain});
  const auto features = L::Concatenate()({e1, e2});
  const auto steps = L::Concatenate({.axis = 1})({e1, plain});
  const auto features_plain = L::Concatenate()({e1, plain});
  // Keras's masks: the logical_or when every input has one; Concatenate's joins them (all true for an
  // unmasked input), along the steps or, along the features, or'ed.
  REQUIRE(both.mask());
  CHECK_FALSE(one.mask());
  REQUIRE(features.mask());
  REQUIRE(steps.mask());
  CHECK(steps.mask().shape() == strata::Shape({strata::None, 10}));
  REQUIRE(features_plain.mask());
  // Multiply reads the masks inside its call: lowering gets them, the call's arguments stay the tensors.
  CHECK(both.layer().impl()->inbound_nodes.front().lock()->hidden_masks == 2);
  CHECK(one.layer().impl()->inbound_nodes.front().lock()->hidden_masks == 1);
  const auto as_float = [](const strata::SymbolicTensor& m) { return ops::cast(m, "float32"); };
  strata::Model model({ids1, ids2, plain},
                      {both, one, as_float(both.mask()), as_float(features.mask()), as_float(steps.mask()),
                       as_float(features_plain.mask()), L::GlobalAveragePooling1D()(steps)});
  randomize_weights(model, 7);
  const Tensor table1 = embedding1.get_weights()[0];
  const Tensor table2 = embedding2.get_weights()[0];
  const Tensor in1({2, 5}, std::vector<float>{1, 0, 3, 0, 4,  //
                                              0, 0, 2, 9, 0});
  const Tensor in2({2, 5}, std::vector<float>{5, 0, 0, 6, 0,  //
                                              0, 7, 0, 8, 0});
  const Tensor in3 = Tensor::random_uniform({2, 5, 3}, 8, -1.0f, 1.0f);
  // Worked out here from the tables, as Keras's Multiply computes it: a masked element counts as 1, and the
  // product is 0 where every input is masked.
  std::vector<float> want_both, want_one, want_or, want_steps, want_pool;
  for (int64_t r = 0; r < 2; ++r) {
    std::vector<double> sum(3, 0.0);
    int kept = 0;
    for (int64_t t = 0; t < 5; ++t) {
      const auto a = static_cast<int64_t>(in1.data()[r * 5 + t]);
      const auto b = static_cast<int64_t>(in2.data()[r * 5 + t]);
      for (int64_t c = 0; c < 3; ++c) {
        const float x1 = a != 0 ? table1.data()[a * 3 + c] : 1.0f;
        const float x2 = b != 0 ? table2.data()[b * 3 + c] : 1.0f;
        want_both.push_back(a != 0 || b != 0 ? x1 * x2 : 0.0f);
        want_one.push_back(x1 * in3.data()[(r * 5 + t) * 3 + c]);
        if (a != 0) sum[c] += table1.data()[a * 3 + c];
      }
      want_or.push_back(a != 0 || b != 0 ? 1.0f : 0.0f);
      want_steps.push_back(a != 0 ? 1.0f : 0.0f);
      kept += a != 0;
    }
    for (int64_t t = 0; t < 5; ++t) {
      want_steps.push_back(1.0f);
      for (int64_t c = 0; c < 3; ++c) sum[c] += in3.data()[(r * 5 + t) * 3 + c];
    }
    for (int64_t c = 0; c < 3; ++c) want_pool.push_back(static_cast<float>(sum[c] / (kept + 5)));
  }
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const std::vector<Tensor> got =
        model.compile({.backend = backend}).predict(std::vector<Tensor>{in1, in2, in3});
    CHECK(max_relative_error(got[0], Tensor({2, 5, 3}, want_both)) <= 1e-6);
    CHECK(max_relative_error(got[1], Tensor({2, 5, 3}, want_one)) <= 1e-6);
    CHECK(got[2].values() == want_or);
    CHECK(got[3].values() == want_or);
    CHECK(got[4].values() == want_steps);
    CHECK(got[5].values() == std::vector<float>(10, 1.0f));
    CHECK(max_relative_error(got[6], Tensor({2, 3}, want_pool)) <= 1e-6);
  }

  // The masks are no arguments of Multiply's call: Keras's graph has no edge to them, so a model that
  // computes them only for it does not list them (no rows, no config entries); the config gives the same
  // model back.
  const std::string alone = strata::Model({ids1, ids2}, both).summary_string({.line_length = 160});
  CHECK_THAT(alone, Contains("embedding[0][0],") && Contains("embedding_1[0][0]") && !Contains("NotEqual"));
  const std::string summary = model.summary_string();
  strata::Model from_json = strata::model_from_json(model.to_json());
  from_json.set_weights(model.get_weights());
  CHECK(from_json.summary_string() == summary);
  const std::vector<Tensor> expected = model.predict(std::vector<Tensor>{in1, in2, in3});
  const std::vector<Tensor> again = from_json.predict(std::vector<Tensor>{in1, in2, in3});
  for (size_t k = 0; k < expected.size(); ++k) CHECK(again[k].values() == expected[k].values());
}

TEST_CASE("a mask a Multiply reads deep in the graph keeps Keras's place in the layer list",
          "[masking][merge][summary]") {
  // The not_equal of the Embedding's mask is read by the LSTM (a call argument: depth 1) and, hidden, by a
  // Multiply two layers before an output (depth 3 if that edge counted). Keras's graph has only the first
  // edge: its depths (a node one deeper than its deepest reader, a tie kept in the order met walking back
  // from the outputs: lstm, embedding, ids, not_equal, dense_b, dense_a, gate, plain) put not_equal at
  // depth 1, after the gate, with dense_a.
  strata::clear_session();
  auto ids = strata::Input({5}, "ids");
  auto plain = strata::Input({5, 3}, "plain");
  const auto e = L::Embedding(10, 3, {.mask_zero = true, .name = "embedding"})(ids);
  const auto gated = L::Multiply({.name = "gate"})({e, plain});
  const auto tail = L::Dense(2, {.name = "dense_b"})(L::Dense(3, {.name = "dense_a"})(gated));
  const strata::Model model({ids, plain}, {L::LSTM(2, {.name = "lstm"})(e), tail});
  std::vector<std::string> names;
  for (const strata::Layer& layer : model.layers()) names.push_back(layer.name());
  CHECK(names == std::vector<std::string>{"ids", "embedding", "plain", "gate", "not_equal", "dense_a", "lstm",
                                          "dense_b"});
  // The weights follow the layers; the computation is unchanged, and the listing survives the config.
  const strata::Model from_json = strata::model_from_json(model.to_json());
  CHECK(from_json.summary_string() == model.summary_string());

  // Ties at one depth keep the order Keras's walk meets the layers in, which follows no hidden edge either:
  // from the outputs (dense_b, y_dense, lstm) it meets not_equal last, through the LSTM, so at depth 1 it
  // comes after x_dense, which the walk through the gate's hidden edge would have met later.
  auto plain2 = strata::Input({3}, "plain2");
  const auto y = L::Dense(2, {.name = "y_dense"})(L::Dense(2, {.name = "x_dense"})(plain2));
  const strata::Model wider({ids, plain, plain2}, {tail, y, model.outputs()[0]});
  names.clear();
  for (const strata::Layer& layer : wider.layers()) names.push_back(layer.name());
  CHECK(names == std::vector<std::string>{"ids", "embedding", "plain", "gate", "plain2", "dense_a", "x_dense",
                                          "not_equal", "dense_b", "y_dense", "lstm"});
}

TEST_CASE("ops::any and ops::all reduce any type to bool", "[masking][ops]") {
  strata::clear_session();
  auto x = strata::Input({2, 3});
  strata::Model model(
      x, {ops::cast(ops::any(x, -1), "float32"), ops::cast(ops::all(x, {1, 2}, true), "float32")});
  CHECK(model.outputs()[0].shape() == strata::Shape({strata::None, 2}));
  Tensor input({2, 2, 3}, std::vector<float>{0, 0, 0, 0, 2, 0,  //
                                             1, -1, 3, 0.5f, 1, 1});
  for (const char* backend : {"onednn", "reference"}) {
    const std::vector<Tensor> got = model.compile({.backend = backend}).predict(std::vector<Tensor>{input});
    CHECK(got[0].values() == std::vector<float>{0, 1, 1, 1});
    CHECK(got[1].dims() == std::vector<int64_t>{2, 1, 1});
    CHECK(got[1].values() == std::vector<float>{0, 1});
  }
}

TEST_CASE("a masked model survives its config, a .keras file and generated C++ unchanged",
          "[masking][saving]") {
  strata::clear_session();
  const strata::Model model = with_mask_zero(
      [](auto e) {
        auto h = L::Bidirectional(L::GRU(3, {.return_sequences = true}))(L::Dense(4)(e));
        auto g = L::GlobalAveragePooling1D()(L::Masking()(L::LSTM(3, {.return_sequences = true})(e)));
        return L::Dense(2)(L::Concatenate()({g, L::GlobalAveragePooling1D()(h)}));
      },
      7);
  randomize_weights_keeping_scale(model, 21);
  const Tensor ids = padded_ids(3, 7, 30, 22);
  const Tensor expected = model.predict(ids);
  const std::string path = (std::filesystem::temp_directory_path() / "strata_masked.keras").string();
  model.save(path);
  strata::clear_session();
  const strata::Model loaded = strata::load_model(path);
  CHECK(loaded.summary_string() == model.summary_string());
  CHECK(max_relative_error(loaded.predict(ids), expected) <= 1e-6);
  strata::Model from_json = strata::model_from_json(model.to_json());
  from_json.set_weights(model.get_weights());
  CHECK(max_relative_error(from_json.predict(ids), expected) <= 1e-6);
  const std::string cpp = strata::to_cpp(model);
  CHECK_THAT(cpp, Contains("mask_zero = true"));
  // The calls make the mask ops again; the code only names them as the model does.
  CHECK_THAT(cpp, !Contains("ops::not_equal(") && Contains("embedding.mask());"));
}

TEST_CASE("a mask read by a layer and by an op is one computation after its config", "[masking][saving]") {
  strata::clear_session();
  auto ids = strata::Input({5});
  const auto e = L::Embedding(10, 3, {.mask_zero = true})(ids);
  strata::Model model(ids, {L::LSTM(2)(e), ops::cast(e.mask(), "float32")});
  randomize_weights(model, 3);
  // The config's not_equal (the LSTM's mask keyword and the cast's input) is the one the Embedding's call
  // makes again: both read it, so the loaded model has it once (once two layers took one name).
  strata::Model from_json = strata::model_from_json(model.to_json());
  from_json.set_weights(model.get_weights());
  CHECK(from_json.summary_string() == model.summary_string());
  const Tensor input({2, 5}, std::vector<float>{1, 0, 3, 0, 4, 0, 0, 2, 9, 0});
  const std::vector<Tensor> expected = model.predict(std::vector<Tensor>{input});
  const std::vector<Tensor> got = from_json.predict(std::vector<Tensor>{input});
  CHECK(got[0].values() == expected[0].values());
  CHECK(got[1].values() == std::vector<float>{1, 0, 1, 0, 1, 0, 0, 1, 1, 0});
}

TEST_CASE("the attention layers take their inputs' masks, as Keras fills them in",
          "[masking][attention][tfjs]") {
  strata::clear_session();
  std::vector<TfjsCase> runs;
  std::vector<std::string> what;
  {
    // Self-attention over a padded sequence: query and value masks both come from the embedding.
    auto ids = strata::Input({7});
    const auto e = L::Embedding(30, 8, {.mask_zero = true})(ids);
    const auto a = L::MultiHeadAttention(2, 4)(e, e);
    CHECK(a.mask() == e.mask());
    runs.push_back({strata::Model(ids, a), {padded_ids(3, 7, 30, 31)}});
    what.push_back("MultiHeadAttention, self-attention");
  }
  {
    // Cross-attention with a key, and the causal rule with the masks.
    auto q_ids = strata::Input({5}), v_ids = strata::Input({6});
    const auto q = L::Embedding(30, 8, {.mask_zero = true})(q_ids);
    const auto v = L::Embedding(30, 8, {.mask_zero = true})(v_ids);
    const auto k = L::Dense(8)(v);  // keeps v's mask: the key's mask
    const auto a = L::MultiHeadAttention(2, 3)(q, v, {.key = k, .use_causal_mask = true});
    runs.push_back({strata::Model({q_ids, v_ids}, a), {padded_ids(3, 5, 30, 32), padded_ids(3, 6, 30, 33)}});
    what.push_back("MultiHeadAttention, key and causal");
  }
  {
    auto ids = strata::Input({6});
    const auto e = L::Embedding(30, 4, {.mask_zero = true})(ids);
    const auto a = L::Attention()({e, e});
    CHECK(a.mask() == e.mask());
    runs.push_back({strata::Model(ids, a), {padded_ids(4, 6, 30, 34)}});
    what.push_back("Attention");
  }
  {
    // Keras's call uses the query's own mask whatever query_mask says; Attention fills in mask=[...] only
    // when the call passes none.
    auto ids = strata::Input({6});
    const auto e = L::Embedding(30, 4, {.mask_zero = true})(ids);
    auto plain = strata::Input({6, 4});
    CHECK_THROWS_MATCHES(L::MultiHeadAttention(1, 2)(e, e, {.query_mask = ops::not_equal(ids, 0)}),
                         strata::ValueError, MessageThat(Contains("uses the query's own mask")));
    const auto only_query = L::Attention()({plain, e}, {.query_mask = ops::greater(ids, 1.0)});
    CHECK(only_query.node()->inputs.size() == 3);  // query, value, query_mask: not the value's own
  }
  uint64_t seed = 90;
  for (const TfjsCase& run : runs) randomize_weights_keeping_scale(run.model, seed++);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO(what[i] << ": " << results[i].refused);
    REQUIRE(results[i].refused.empty());
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const std::vector<Tensor> ours = runs[i].model.compile({.backend = backend}).predict(runs[i].inputs);
      CHECK(max_relative_error(ours.front(), results[i].outputs.front()) <= 1e-5);
    }
    // The masks matter: a padded id made nonzero moves the output of the steps attending to it.
    std::vector<Tensor> moved = runs[i].inputs;
    for (int64_t k = 0; k < moved.back().size(); ++k) {
      if (moved.back().data()[k] == 0.0f) moved.back().data()[k] = 3.0f;
    }
    CHECK(max_relative_error(runs[i].model.predict(moved).front(), results[i].outputs.front()) > 1e-2);
    // Keras 3.10 and later record no filled-in mask for these calls (a call of several tensors keeps its own
    // keywords): a config without them loads with the masks filled in again.
    nlohmann::json config = nlohmann::json::parse(runs[i].model.to_json());
    for (auto& layer : config["config"]["layers"]) {
      for (auto& node : layer["inbound_nodes"]) {
        if (!node.is_object()) continue;
        for (const char* key : {"mask", "query_mask", "value_mask", "key_mask"}) node["kwargs"].erase(key);
      }
    }
    strata::clear_session();
    strata::Model reloaded = strata::model_from_json(config.dump());
    reloaded.set_weights(runs[i].model.get_weights());
    CHECK(max_relative_error(reloaded.predict(runs[i].inputs).front(), results[i].outputs.front()) <= 1e-5);
  }
}

TEST_CASE("Keras 2.2's Masking and LSTM files load, masked, and equal tfjs-layers",
          "[masking][keras][tfjs]") {
  // Keras 2.2.0 (tests/data/keras_models/README.md): Masking(mask_value) on (None, 10, 42), then LSTM(32)
  // with Keras 2's hard_sigmoid gates. No outputs were stored with them.
  const std::filesystem::path dir = std::filesystem::path(STRATA_DATA_DIR) / "keras_models";
  for (const auto& [file, value] : {std::pair{"masking_zero_lstm.h5", 0.0f}, {"masking_two_lstm.h5", 2.0f}}) {
    INFO(file);
    strata::clear_session();
    const strata::Model model = strata::load_model((dir / file).string());
    // The LSTM takes the Masking layer's mask (Keras 2 records no mask ops; the call makes them).
    const auto& lstm = model.outputs().front();
    REQUIRE(lstm.node()->mask_input);
    CHECK(lstm.node()->inputs.back().layer().class_name() == "Any");
    const Tensor input = padded_sequences(4, 10, 42, value, 51);
    const Tensor expected = tfjs_predict(model, {input}).front();
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      CHECK(max_relative_error(model.compile({.backend = backend}).predict(input), expected) <= 1e-5);
    }
    // Masked steps do not count wherever they stand: the kept steps of row 1 (padded at its start) moved to
    // the front, the masked ones after them, give the same last output.
    Tensor moved = input;
    const int64_t row = 1, steps = 10, features = 42, masked = 2;
    float* r = moved.data() + row * steps * features;
    std::rotate(r, r + masked * features, r + steps * features);
    const Tensor ours = model.predict(input), again = model.predict(moved);
    for (int64_t k = 0; k < 32; ++k)
      CHECK(again.data()[row * 32 + k] == Approx(ours.data()[row * 32 + k]).margin(1e-6));
    // ... and the mask matters: the masked steps made ordinary move the output far.
    Tensor unmasked = input;
    for (int64_t k = 0; k < unmasked.size(); ++k) {
      if (unmasked.data()[k] == value) unmasked.data()[k] = 0.5f;
    }
    CHECK(max_relative_error(model.predict(unmasked), expected) > 1e-2);
  }
}
