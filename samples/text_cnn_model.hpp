#pragma once
// keras-io's "Text classification from scratch" (fchollet; IMDB reviews, binary sentiment): token ids in,
// an Embedding, two strided Conv1D, global max pooling and a dense classifier, as Keras writes it. With
// keras-io's sizes (20,000 tokens, 128 dimensions) it has 2,806,273 parameters. Used by
// samples/text_classification.cpp and the tfjs oracle test.

#include <string>

#include <strata/strata.hpp>

/// The classifier for `max_features` tokens embedded in `embedding_dim` dimensions. `ids_dtype`: keras-io's
/// "int64", or "float32" for ids held as floats (Keras's Embedding casts them to int32; the tfjs oracle
/// exchanges floats). `classifier_activation`: keras-io's sigmoid, or "linear" for the logit.
/// `sequence_length`: keras-io's None (any length), or a fixed one (ONNX export needs one).
inline strata::Model make_text_cnn(int max_features, int embedding_dim,
                                   const std::string& ids_dtype = "int64",
                                   const std::string& classifier_activation = "sigmoid",
                                   strata::Dim sequence_length = strata::None) {
  namespace L = strata::layers;
  auto inputs = strata::Input({sequence_length}, {.name = "", .dtype = ids_dtype});
  auto x = L::Embedding(max_features, embedding_dim)(inputs);
  x = L::Dropout(0.5f)(x);
  // Conv1D + global max pooling rather than recurrent layers.
  x = L::Conv1D(128, 7, {.strides = 3, .padding = "valid", .activation = "relu"})(x);
  x = L::Conv1D(128, 7, {.strides = 3, .padding = "valid", .activation = "relu"})(x);
  x = L::GlobalMaxPooling1D()(x);
  // A vanilla hidden layer, then the single-unit output.
  x = L::Dense(128, {.activation = "relu"})(x);
  x = L::Dropout(0.5f)(x);
  auto predictions = L::Dense(1, {.activation = classifier_activation, .name = "predictions"})(x);
  return strata::Model({inputs}, predictions);
}
