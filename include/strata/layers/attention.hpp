#pragma once
/// @file attention.hpp
/// `strata::layers::MultiHeadAttention`, and the single-head attention layers `Attention` (Luong-style dot
/// product) and `AdditiveAttention` (Bahdanau-style).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `MultiHeadAttention` keyword arguments, in Keras's order (regularizers, constraints and seed have no
/// effect at inference and are kept in configs).
struct MultiHeadAttentionOptions {
  /// Size of each head for the value; 0 means Keras's None: key_dim.
  int value_dim = 0;
  /// Dropout of the attention probabilities in training; inference ignores it.
  float dropout = 0.0f;
  /// Whether the four projections have biases.
  bool use_bias = true;
  /// The output's last dimension; none means Keras's None: the query's last dimension.
  std::optional<int64_t> output_shape = std::nullopt;
  /// Initializer of the four kernels.
  Initializer kernel_initializer = "glorot_uniform";
  /// Initializer of the four biases.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `MultiHeadAttentionOptions{}.set_name(...).set_value_dim(...)`.
  /// Sets `value_dim`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_value_dim(int value) {
    value_dim = value;
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_use_bias(bool value) {
    use_bias = value;
    return *this;
  }
  /// Sets `output_shape`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_output_shape(std::optional<int64_t> value) {
    output_shape = value;
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  MultiHeadAttentionOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The keyword arguments of a MultiHeadAttention call besides query and value.
struct AttentionCallOptions {
  /// The key (batch, S, key features); empty means the value, as Keras.
  SymbolicTensor key = {};
  /// Which query positions may attend to which key positions, (batch, T, S): nonzero (or true) allows.
  /// Any type; empty means all.
  SymbolicTensor attention_mask = {};
  /// Position t attends only to positions up to t (a decoder's mask), combined with attention_mask.
  bool use_causal_mask = false;
  /// Keras's query_mask, which Keras's call ignores: the query's own mask (SymbolicTensor::mask, from
  /// Embedding(mask_zero) or Masking) always counts, and the output carries it. Leave it empty; another
  /// tensor than the query's own mask is a ValueError.
  SymbolicTensor query_mask = {};
  /// Keras's masks of the value and key (batch, S), any type, nonzero where a step counts: a query step
  /// attends only to kept value and key steps. Empty means the tensor's own mask, as Keras fills them in.
  SymbolicTensor value_mask = {};
  /// The key's mask, as value_mask; only with a key.
  SymbolicTensor key_mask = {};
};

/// Keras's `MultiHeadAttention` (Vaswani et al. 2017) over (batch, steps, features) sequences: query, key
/// and value projected per head, `softmax(q k^T / sqrt(key_dim))` with masked positions left out, the heads'
/// results projected back. Weights, in Keras's order and layouts: query/kernel (Dq, heads, key_dim),
/// query/bias (heads, key_dim), key/kernel (Dk, heads, key_dim), key/bias, value/kernel (Dv, heads,
/// value_dim), value/bias (heads, value_dim), attention_output/kernel (heads, value_dim, output),
/// attention_output/bias (output); without use_bias, the kernels only. Compiles to oneDNN inner products
/// and batched matmuls (the scale fused into the query projection), oneDNN softmax, and a plain C++ step
/// for masks.
class MultiHeadAttention : public Layer {
 public:
  /// Creates the layer. Throws ValueError for num_heads or key_dim below 1, a negative value_dim, an
  /// output_shape below 1, a dropout outside [0, 1) or an unknown initializer.
  MultiHeadAttention(int num_heads, int key_dim, MultiHeadAttentionOptions options = {});
  /// Calls the layer: the output (batch, T, output). Throws ShapeError for inputs that are not of rank 3, a
  /// key of another length than the value, a mask not of shape (batch, T, S), feature counts other than
  /// the first call's; ValueError for integer query, key or value, or call options other than the first
  /// call's (strata keeps one set per layer).
  SymbolicTensor operator()(const SymbolicTensor& query, const SymbolicTensor& value,
                            const AttentionCallOptions& options = {}) const;
  /// Keras's `return_attention_scores=True`: the output, then the attention probabilities (batch, heads,
  /// T, S).
  std::vector<SymbolicTensor> call_with_scores(const SymbolicTensor& query, const SymbolicTensor& value,
                                               const AttentionCallOptions& options = {}) const;
};

/// Keras `Attention` keyword arguments, in Keras's order (seed has no effect at inference and is kept in
/// configs).
struct AttentionOptions {
  /// Whether the scores are multiplied by a trainable scalar `scale` (initialized to 1).
  bool use_scale = false;
  /// "dot" (the query-key dot product) or "concat" (the sum over features of tanh(query + key), times a
  /// trainable scalar `concat_score_weight`).
  std::string score_mode = "dot";
  /// Dropout of the attention probabilities in training; inference ignores it.
  float dropout = 0.0f;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `AttentionOptions{}.set_name(...).set_use_scale(...)`.
  /// Sets `use_scale`; returns this struct for chaining.
  AttentionOptions& set_use_scale(bool value) {
    use_scale = value;
    return *this;
  }
  /// Sets `score_mode`; returns this struct for chaining.
  AttentionOptions& set_score_mode(std::string value) {
    score_mode = std::move(value);
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  AttentionOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  AttentionOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras `AdditiveAttention` keyword arguments, in Keras's order.
struct AdditiveAttentionOptions {
  /// Whether the tanh terms are multiplied by a trainable vector `scale` (one weight per feature, Glorot
  /// uniform) before they are summed.
  bool use_scale = true;
  /// Dropout of the attention probabilities in training; inference ignores it.
  float dropout = 0.0f;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `AdditiveAttentionOptions{}.set_name(...).set_use_scale(...)`.
  /// Sets `use_scale`; returns this struct for chaining.
  AdditiveAttentionOptions& set_use_scale(bool value) {
    use_scale = value;
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  AdditiveAttentionOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  AdditiveAttentionOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The keyword arguments of an `Attention` or `AdditiveAttention` call: Keras's `mask=[query_mask,
/// value_mask]` and `use_causal_mask`. A mask may be of any type; nonzero (or true) keeps a position.
struct AttentionMasks {
  /// (batch, Tq): the output is zero at the query positions it masks, and carries it as its mask. When
  /// neither mask is given, both are the inputs' own (SymbolicTensor::mask, from Embedding(mask_zero) or
  /// Masking), as Keras fills them in.
  SymbolicTensor query_mask = {};
  /// (batch, Tv): the value positions it masks get no weight.
  SymbolicTensor value_mask = {};
  /// Query position i attends only to value positions j <= i (a decoder's mask), combined with value_mask.
  bool use_causal_mask = false;
};

/// Keras's `Attention` (Luong-style dot-product attention) over (batch, steps, features) sequences, called on
/// `{query, value}` or `{query, value, key}` (the key defaults to the value): scores `query key^T` (or, with
/// score_mode "concat", `concat_score_weight * sum(tanh(query + key))` over features), times `scale` when
/// use_scale, masked positions lowered by 1e9, a softmax over the value steps, and the weighted sum of the
/// values. Weights, in Keras's order: `scale` () when use_scale, `concat_score_weight` () for "concat".
/// Compiles to a oneDNN batched matmul for the scores (or a broadcast add, tanh and a reduction), oneDNN
/// softmax, a second matmul, and a plain C++ step for masks.
class Attention : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a score_mode other than "dot" and "concat" or a dropout
  /// outside [0, 1).
  explicit Attention(AttentionOptions options = {});
  /// Calls the layer on `{query, value}` or `{query, value, key}`: the output (batch, Tq, value features).
  /// Throws ValueError for another number of inputs, integer inputs, or masks and use_causal_mask other than
  /// the first call's (strata keeps one set per layer); ShapeError for inputs not of rank 3, a key of
  /// another length than the value, query and key features that differ, masks not of shape (batch, Tq) and
  /// (batch, Tv).
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs,
                            const AttentionMasks& masks = {}) const;
  /// Keras's `return_attention_scores=True`: the output, then the attention probabilities (batch, Tq, Tv).
  std::vector<SymbolicTensor> call_with_scores(const std::vector<SymbolicTensor>& inputs,
                                               const AttentionMasks& masks = {}) const;
};

/// Keras's `AdditiveAttention` (Bahdanau-style attention): as Attention, with the scores
/// `sum(scale * tanh(query + key))` over the features, `scale` a trainable vector (features,) when use_scale
/// (Keras's default), 1 otherwise. Query and key must have the same features.
class AdditiveAttention : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a dropout outside [0, 1).
  explicit AdditiveAttention(AdditiveAttentionOptions options = {});
  /// Calls the layer, as Attention's call.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs,
                            const AttentionMasks& masks = {}) const;
  /// Keras's `return_attention_scores=True`: the output, then the attention probabilities (batch, Tq, Tv).
  std::vector<SymbolicTensor> call_with_scores(const std::vector<SymbolicTensor>& inputs,
                                               const AttentionMasks& masks = {}) const;
};

}  // namespace strata::layers
