// ops::arange and keras-io's Transformer text classifier (samples/transformer_model.hpp): arange's values,
// shape and errors; the classifier's parameter count; its outputs against tfjs running the same network
// written as a functional model whose position embeddings come in as a second input (tfjs has neither
// CompositeLayer nor arange), with the weights moved over layer by layer; and the perturbation that must move
// the output.
#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"
#include "transformer_model.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using strata::Tensor;

TEST_CASE("ops::arange: Keras's values and types, a batch axis of 1, errors", "[ops][arange]") {
  strata::clear_session();
  auto x = strata::Input({4}, {.dtype = "int32"});
  auto ints = ops::arange(2, 10, 2);
  CHECK(ints.shape().to_string() == "(1, 4)");
  CHECK(ints.dtype() == strata::DType::kInt32);
  auto floats = ops::arange(0.5, 2.0, 0.5);
  CHECK(floats.dtype() == strata::DType::kFloat32);
  CHECK(ops::arange(5).shape().to_string() == "(1, 5)");
  // Broadcast against the batch: ids + (2, 4, 6, 8).
  const strata::Model model(x, x + ints);
  CHECK(model.predict(Tensor::from_int32({2, 4}, {0, 1, 2, 3, 10, 20, 30, 40})) ==
        Tensor::from_int32({2, 4}, {2, 5, 8, 11, 12, 24, 36, 48}));
  auto f = strata::Input({3});
  const strata::Model scaled(f, f * floats);
  CHECK(scaled.predict(Tensor({2, 3}, {1, 1, 1, 2, 2, 2})) ==
        Tensor({2, 3}, {0.5f, 1.0f, 1.5f, 1.0f, 2.0f, 3.0f}));
  CHECK_THROWS_MATCHES(ops::arange(0, 4, 0), strata::ValueError,
                       MessageThat(Equals("[arange (Arange)] Expected a step other than 0, received 0")));
  CHECK_THROWS_MATCHES(
      ops::arange(4, 0), strata::ValueError,
      MessageThat(Contains("Expected at least one value, received start=4, stop=0, step=1")));
  // TensorFlow counts float ranges in float32: 1, 1.1, 1.2 (not a fourth value at 1.3).
  CHECK(ops::arange(1.0, 1.3, 0.1).shape().to_string() == "(1, 3)");
  CHECK(ops::arange(10, 0, -3).shape().to_string() == "(1, 4)");
  // The batch of 1 broadcasts in element-wise ops and merge layers only; the other layers refuse it, and a
  // model output that no input reaches is refused.
  auto seq = strata::Input({4, 2});
  const auto positions = L::Embedding(4, 2)(ops::arange(4));
  CHECK(L::add({seq, positions}).shape().to_string() == "(None, 4, 2)");
  CHECK_THROWS_MATCHES(
      L::MultiHeadAttention(1, 2, {.name = "mha"})(seq, positions), strata::ShapeError,
      MessageThat(Contains("[mha (MultiHeadAttention)] Expected inputs of one batch, received "
                           "shapes (None, 4, 2) and (1, 4, 2)")));
  CHECK_THROWS_AS(ops::concatenate({seq, positions}, 1), strata::ShapeError);
  CHECK_THROWS_MATCHES(strata::Model(seq, {seq * 2.0, ops::arange(0.0, 3.0)}), strata::GraphError,
                       MessageThat(Contains("Output 1 (arange_")));
  // Keras never records arange, so a config cannot hold it.
  auto y = strata::Input({3});
  const strata::Model top(y, y + ops::arange(0.0, 3.0));
  CHECK_THROWS_MATCHES(top.to_json(), strata::ValueError,
                       MessageThat(Contains("A Keras model config cannot hold ops.arange")));
}

TEST_CASE("keras-io's Transformer classifier: Keras's count, and tfjs on the same network",
          "[tfjs][sample]") {
  strata::clear_session();
  const int vocab = 300, maxlen = 16, embed = 8, heads = 2, ff = 8;
  const strata::Model sample =
      transformer_sample::make_transformer_classifier(vocab, maxlen, embed, heads, ff);
  // keras-io's sizes give 657,758 (the sample checks that); these: 2,400 + 128 + block + 180 + 42.
  CHECK(strata::Model(transformer_sample::make_transformer_classifier()).count_params() == 657758);
  randomize_weights_keeping_scale(sample, 5);

  // The functional twin: the position embeddings of 0, 1, ..., maxlen - 1 (the rows of pos_emb's table, in
  // order) come in as a second input; the ids as floats, which the oracle's inputs are and Keras's Embedding
  // casts.
  auto ids = strata::Input({maxlen});
  auto pos = strata::Input({maxlen, embed});
  const L::Embedding tok(vocab, embed);
  const L::MultiHeadAttention mha(heads, embed);
  const L::Dense ff1(ff, {.activation = "relu"}), ff2(embed), head1(20, {.activation = "relu"}),
      head2(2, {.activation = "softmax"});
  const L::LayerNormalization ln1({.epsilon = 1e-6f}), ln2({.epsilon = 1e-6f});
  // Add layers for the sums (tfjs-layers' own), the same numbers as the sample's `a + b`.
  auto x = L::add({tok(ids), pos});
  auto out1 = ln1(L::add({x, mha(x, x)}));
  auto block = ln2(L::add({out1, ff2(ff1(out1))}));
  auto probs = head2(head1(L::GlobalAveragePooling1D()(block)));
  strata::Model twin({ids, pos}, probs);
  // The sample's weights in its order: the embeddings, then the block's attention, feed-forward and norms
  // (tracking order), then the head.
  std::vector<Tensor> w = sample.get_weights();
  REQUIRE(w.size() == 22);
  size_t at = 0;
  const auto take = [&](strata::Layer layer, size_t n) {
    layer.set_weights(std::vector<Tensor>(w.begin() + static_cast<ptrdiff_t>(at),
                                          w.begin() + static_cast<ptrdiff_t>(at + n)));
    at += n;
  };
  take(tok, 1);
  const Tensor table = w[at++];  // pos_emb's (maxlen, embed)
  take(mha, 8);
  take(ff1, 2);
  take(ff2, 2);
  take(ln1, 2);
  take(ln2, 2);
  take(head1, 2);
  take(head2, 2);
  REQUIRE(at == w.size());

  Tensor tokens = Tensor::random_uniform({3, maxlen}, 9, 0.0f, static_cast<float>(vocab));
  std::vector<int32_t> id_values;
  for (float v : tokens.values()) id_values.push_back(static_cast<int32_t>(v));
  std::vector<float> rows;
  for (int b = 0; b < 3; ++b) rows.insert(rows.end(), table.values().begin(), table.values().end());
  const Tensor id_tensor = Tensor::from_int32({3, maxlen}, id_values);
  std::vector<float> id_floats(id_values.begin(), id_values.end());
  const std::vector<Tensor> twin_inputs{Tensor({3, maxlen}, id_floats), Tensor({3, maxlen, embed}, rows)};
  const Tensor ours = sample.predict(id_tensor);
  CHECK(max_relative_error(ours, twin.predict(twin_inputs).front()) <= 1e-6);
  const Tensor theirs = tfjs_predict(twin, twin_inputs).at(0);
  const double tolerance = 1e-5;
  INFO("error against tfjs " << max_relative_error(ours, theirs));
  CHECK(max_relative_error(ours, theirs) <= tolerance);
  // Other tokens give other probabilities.
  std::vector<int32_t> moved = id_values;
  for (size_t i = 0; i < moved.size(); i += 2) moved[i] = (moved[i] + 1) % vocab;
  CHECK(max_relative_error(sample.predict(Tensor::from_int32({3, maxlen}, moved)), theirs) > 100 * tolerance);
  // The composite layers' inner graphs are not in the config; the model's config is Keras's.
  const nlohmann::json config = nlohmann::json::parse(sample.to_json());
  CHECK(config["config"]["layers"][1]["class_name"] == "TokenAndPositionEmbedding");
}
