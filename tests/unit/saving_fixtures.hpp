#pragma once
// Models and checks shared by the saving tests (save/load_model round trips) and the code generator's
// tests (load_model -> to_cpp -> compile -> the same predictions): the models they run through, and what
// "the same model" means.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "numerics_util.hpp"

namespace strata_test {

/// A model of the harder cases for saving and code generation: a nested functional model, a nested
/// Sequential with its own InputLayer, a layer shared by two calls (both nested models called twice too),
/// MultiHeadAttention with a causal mask, a GRU from an initial state, a Bidirectional SimpleRNN, several
/// inputs and outputs. Weights from the initializers.
inline strata::Model everything_model() {
  namespace L = strata::layers;
  auto a = strata::Input({5, 6}, "a");
  const strata::Model inner(a, L::LSTM(4, {.return_sequences = true, .name = "inner_lstm"})(a), "inner");
  strata::Sequential head({L::InputLayer({5, 4}, {.name = "head_in"}), L::Dense(3, {.activation = "tanh"})},
                          "head");
  auto x = strata::Input({5, 6}, "x");
  auto y = strata::Input({5, 6}, "y");
  auto h = strata::Input({4}, "h");
  const L::Dense shared(6, {.name = "shared"});
  auto left = head(inner(shared(x)));
  auto right = head(inner(shared(y)));
  L::MultiHeadAttention mha(2, 3, {.name = "mha"});
  auto attended = mha(left, right, {.use_causal_mask = true});
  auto gru = L::GRU(4, {.name = "gru"})(attended, {h});
  auto bi = L::Bidirectional(L::SimpleRNN(2), {.name = "bi"})(right);
  return strata::Model({x, y, h}, {L::Concatenate({.name = "both"})({gru, bi}), attended}, "everything");
}

/// A model of the names and call orders code generation must get right: token ids through a nested
/// Sequential whose InputLayer is int32, layers named as a layer class ("Dense"), a keyword ("class"), a
/// macro ("NULL") and the generated code's own variable ("model"), a shared layer whose first call comes
/// after its second in Keras's layer order, and a TimeDistributed layer wrapping a layer that is not
/// trainable.
inline strata::Model codegen_corner_model() {
  namespace L = strata::layers;
  strata::Sequential text({L::InputLayer({6}, {.dtype = "int32", .name = "ids_in"}),
                           L::Embedding(10, 4, {.name = "emb"}), L::Flatten({.name = "flat"})},
                          "text");
  auto ids = strata::Input({6}, {.name = "ids", .dtype = "int32"});
  auto null = strata::Input({24}, "NULL");
  const L::Dense shared(24, {.name = "model"});
  auto deep = L::Dense(24, {.name = "Dense"})(L::Dense(24, {.name = "class"})(text(ids)));
  auto first = shared(deep);
  auto second = shared(null);
  L::Dense frozen(3, {.name = "frozen"});
  frozen.set_trainable(false);
  auto steps = L::TimeDistributed(frozen, {.name = "td"})(L::Reshape({4, 6}, {.name = "steps"})(second));
  return strata::Model({ids, null}, {first, L::Flatten({.name = "out"})(steps)}, "corner cases");
}

/// A model of the single-head attention layers with both masks, the causal rule and the scores, an
/// EinsumDense, a normalized Dot and a CategoryEncoding of int32 ids (values below 10, as the code
/// generator's test feeds them).
inline strata::Model attention_layers_model() {
  namespace L = strata::layers;
  namespace ops = strata::ops;
  auto q = strata::Input({4, 6}, "q");
  auto v = strata::Input({7, 6}, "v");
  auto qm = strata::Input({4}, "qm");
  auto ids = strata::Input({7}, {.name = "ids", .dtype = "int32"});
  auto att = L::Attention({.use_scale = true, .name = "att"})
                 .call_with_scores({q, v}, {.value_mask = ops::not_equal(ids, 0), .use_causal_mask = true});
  auto additive =
      L::AdditiveAttention({.name = "additive"})({q, v, v}, {.query_mask = ops::greater(qm, 0.0)});
  auto heads =
      L::EinsumDense("abc,cde->abde", {strata::None, 2, 3}, {.bias_axes = "de", .name = "heads"})(att[0]);
  auto flat = L::Reshape({4, 6}, {.name = "flat"})(heads);
  auto sim = L::Dot({2, 2}, {.normalize = true, .name = "sim"})({flat, additive});
  auto bag = L::CategoryEncoding(10, {.output_mode = "count", .name = "bag"})(ids);
  return strata::Model({q, v, qm, ids}, {sim, att[1], bag}, "attention_layers");
}

/// A model of Keras's masks: Embedding(mask_zero) into a Dense that keeps the mask, self-attention and
/// average pooling that use it, a Bidirectional LSTM that skips masked steps (its output carries no mask),
/// Masking before an LSTM, and a masked Multiply joined along the steps with an unmasked sequence (whose
/// steps Concatenate's mask keeps). Int32 ids below 10, as the code generator's test feeds them.
inline strata::Model masked_sequence_model() {
  namespace L = strata::layers;
  auto ids = strata::Input({6}, {.name = "ids", .dtype = "int32"});
  auto x = strata::Input({5, 3}, "x");
  auto e = L::Embedding(10, 8, {.mask_zero = true, .name = "emb"})(ids);
  auto d = L::Dense(8, {.name = "proj"})(e);
  auto att = L::MultiHeadAttention(2, 4, {.name = "mha"})(d, d);
  auto pooled = L::GlobalAveragePooling1D({.name = "pool"})(att);
  auto both = L::Bidirectional(L::LSTM(3, {.return_sequences = true}), {.name = "both"})(e);
  auto last = L::GRU(4, {.name = "gru"})(both);
  auto masked = L::LSTM(2, {.name = "masked_lstm"})(L::Masking({.name = "masking"})(x));
  auto gated = L::Multiply({.name = "gate"})({d, e});
  auto joined = L::Concatenate({.axis = 1, .name = "join"})({gated, L::Dense(8, {.name = "lift"})(x)});
  auto joined_pool = L::GlobalAveragePooling1D({.name = "joined_pool"})(joined);
  return strata::Model({ids, x}, {pooled, last, masked, joined_pool}, "masked_sequence");
}

/// A model of keras.ops calls (fifteen kinds, numbers on either side, a -inf operand, int32 ids) between
/// Dense layers, and an Add merge layer beside ops named add.
inline strata::Model ops_model() {
  namespace L = strata::layers;
  namespace ops = strata::ops;
  auto x = strata::Input({4, 6}, "x");
  auto ids = strata::Input({4}, {.name = "ids", .dtype = "int32"});
  auto h = L::Dense(6, {.name = "dense"})(x);
  auto shifted = 3.0f - (h + 0.5f) * 2;
  auto scaled = ops::where(ops::greater(shifted, 0.0), shifted, ops::exp(shifted));
  auto pooled = ops::mean(scaled, 1, true);
  auto mixed = ops::matmul(ops::transpose(scaled, {0, 2, 1}), ops::softmax(scaled, 1));
  auto flat = ops::reshape(mixed, {-1, 36});
  auto counts = ops::sum(ops::cast(ops::less(ids, 2), "float32"), 1, true);
  auto floor = ops::maximum(counts, -std::numeric_limits<double>::infinity());
  auto joined = ops::concatenate({flat, ops::squeeze(pooled, 1), ops::clip(floor, 0.0, 3.0)}, -1);
  // A merge layer of the same class as an op (Add) keeps Keras's weights paths: ops are not model.layers.
  auto merged = L::Add({.name = "merge"})({joined, ops::maximum(joined, 0.25)});
  return strata::Model({x, ids}, L::Dense(3, {.name = "head"})(merged), "with_ops");
}

/// Inputs for `everything_model()`.
inline std::vector<strata::Tensor> everything_inputs() {
  return {random_input({2, 5, 6}, 10), random_input({2, 5, 6}, 11), random_input({2, 4}, 12)};
}

/// Checks that `b` is `a` again: the same summary text, bitwise the same weights, and bitwise the same
/// predictions on `inputs` (each compiled for one thread, so both run the same plan).
inline void expect_equal_models(const strata::Model& a, const strata::Model& b,
                                const std::vector<strata::Tensor>& inputs) {
  CHECK(b.summary_string() == a.summary_string());
  const std::vector<strata::Tensor> wa = a.get_weights(), wb = b.get_weights();
  REQUIRE(wa.size() == wb.size());
  for (size_t i = 0; i < wa.size(); ++i) CHECK(wa[i] == wb[i]);
  const std::vector<strata::Tensor> ya = a.compile({.num_threads = 1}).predict(inputs),
                                    yb = b.compile({.num_threads = 1}).predict(inputs);
  REQUIRE(ya.size() == yb.size());
  for (size_t i = 0; i < ya.size(); ++i) {
    REQUIRE(ya[i].dims() == yb[i].dims());
    // NaNs would compare equal bit for bit whatever the weights.
    REQUIRE(std::all_of(ya[i].data(), ya[i].data() + ya[i].size(), [](float v) { return std::isfinite(v); }));
    INFO("max error " << max_relative_error(yb[i], ya[i]));
    CHECK(std::memcmp(ya[i].data(), yb[i].data(), sizeof(float) * ya[i].size()) == 0);
  }
}

}  // namespace strata_test
