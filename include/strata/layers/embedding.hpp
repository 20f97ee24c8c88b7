#pragma once
/// @file embedding.hpp
/// `strata::layers::Embedding`: rows of a table looked up by integer ids.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Embedding` keyword arguments, in Keras's order.
struct EmbeddingOptions {
  /// Initializer of the table (Keras's default "uniform": RandomUniform(-0.05, 0.05)).
  Initializer embeddings_initializer = "uniform";
  /// Keras's mask of id 0: the output's mask (SymbolicTensor::mask) is `ops::not_equal(ids, 0)`, a
  /// `not_equal` op in the graph, which the recurrent, pooling and attention layers after it use to skip
  /// padding.
  bool mask_zero = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `EmbeddingOptions{}.set_name(...).set_mask_zero(...)`.
  /// Sets `embeddings_initializer`; returns this struct for chaining.
  EmbeddingOptions& set_embeddings_initializer(Initializer value) {
    embeddings_initializer = std::move(value);
    return *this;
  }
  /// Sets `mask_zero`; returns this struct for chaining.
  EmbeddingOptions& set_mask_zero(bool value) {
    mask_zero = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  EmbeddingOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `keras.layers.Embedding(input_dim, output_dim)`: each id of the input (any shape, batch first) becomes
/// its row of a weight `embeddings` of shape (input_dim, output_dim), so the output has the input's shape
/// with output_dim appended, in float32. Ids are int32 or int64 (others are cast to int32 first, floats
/// toward zero, as Keras does); a negative id counts from the end, as Keras's `ops.take`. An id outside
/// [-input_dim, input_dim) is a ValueError from `predict` naming the layer, the id and where it stood, never
/// a read outside the table. Runs as a plain C++ gather on the plan's threads (oneDNN 2.6 has no gather).
class Embedding : public Layer {
 public:
  /// Creates the layer. Throws ValueError for an input_dim or output_dim below 1 or an unknown initializer.
  Embedding(int input_dim, int output_dim, EmbeddingOptions options = {});
  /// Calls the layer on ids of any rank.
  SymbolicTensor operator()(const SymbolicTensor& ids) const;
};

}  // namespace strata::layers
