#pragma once
/// @file attention.hpp
/// `strata::layers::MultiHeadAttention`.

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

}  // namespace strata::layers
