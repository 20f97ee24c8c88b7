#pragma once
// keras-io's "Bidirectional LSTM on IMDB" (fchollet): token ids in, an Embedding, two bidirectional LSTMs
// and a sigmoid classifier, as Keras writes it. With keras-io's sizes (20,000 tokens, 128 dimensions, 64
// units) it has 2,757,761 parameters. Used by samples/bidirectional_lstm.cpp and the benchmarks.

#include <string>

#include <strata/strata.hpp>

/// The classifier for `max_features` tokens embedded in `embedding_dim` dimensions, `units` per direction.
/// `sequence_length`: keras-io's None (any length), or a fixed one (ONNX export needs one). `ids_dtype`:
/// keras-io's "int32", or "int64" as tokenizers often give them.
inline strata::Model make_bilstm(int max_features, int embedding_dim, int units,
                                 strata::Dim sequence_length = strata::None,
                                 const std::string& ids_dtype = "int32") {
  namespace L = strata::layers;
  auto inputs = strata::Input({sequence_length}, {.name = "", .dtype = ids_dtype});
  // Embed each integer in a 128-dimensional vector, then two bidirectional LSTMs.
  auto x = L::Embedding(max_features, embedding_dim)(inputs);
  x = L::Bidirectional(L::LSTM(units, {.return_sequences = true}))(x);
  x = L::Bidirectional(L::LSTM(units))(x);
  auto outputs = L::Dense(1, {.activation = "sigmoid"})(x);
  return strata::Model({inputs}, outputs);
}
