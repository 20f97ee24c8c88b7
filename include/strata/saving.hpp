#pragma once
/// @file saving.hpp
/// Whole Keras models from the files Keras writes: `load_model` and `model_from_json`.

#include <string>

#include "strata/model.hpp"

namespace strata {

/// Options of `load_model`.
struct LoadModelOptions {
  /// Load the weights the file holds (the default). When false, the layers keep the weights their
  /// initializers made, as `model_from_json` gives them.
  bool load_weights = true;
};

/// Keras's `keras.models.load_model(path)`: the model a file holds, with its weights, ready to `predict`.
/// Reads Keras 3's `.keras` archives (a zip of `config.json`, `metadata.json` and `model.weights.h5`, stored
/// or deflated) and full-model HDF5 files written by Keras 2 and tf.keras (`model.save("m.h5")`: the root
/// attribute `model_config` and the group `model_weights`), told apart by content, not by extension.
/// Sequential and functional models (nested models, shared layers, several inputs and outputs) of every layer
/// class strata has, and classes registered with `register_custom_layer` or `register_composite_layer`. A
/// Keras 2 file's "hard_sigmoid" is Keras 2's clip(0.2 x + 0.5, 0, 1), which strata names
/// "keras2_hard_sigmoid". Throws FileError naming the file for a missing, unreadable or damaged file (an
/// archive entry whose size or CRC does not match, a possible decompression bomb, an entry name with ".."), a
/// file that holds no model (a weights-only file: build the model and call `Model::load_weights`), a file of
/// Keras 1, or of the Theano backend; ValueError (and ShapeError, GraphError) naming the file and the layer
/// for a config strata cannot build: an unknown class (with how to register it), an unsupported value, a
/// broken graph; and the errors of `Model::load_weights` for weights that do not match.
Model load_model(const std::string& path, LoadModelOptions options = {});

/// Keras's `keras.models.model_from_json(text)`: the model `model.to_json()` described, weights from the
/// initializers (call `load_weights` next). Reads Keras 2's and Keras 3's JSON (the `keras_version` key, when
/// present, says which Keras wrote it). Throws ValueError for text that is not JSON or not a model config,
/// and as `load_model` for a config strata cannot build.
Model model_from_json(const std::string& json);

}  // namespace strata
