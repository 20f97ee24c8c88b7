#pragma once
// Keras's `model_from_config`: a strata::Model rebuilt from the topology Keras writes (the `model_config` of
// an HDF5 file, `model.to_json()`, the config.json of a .keras archive), layer by layer through the layer
// registry and call by call as Keras's `functional_from_config` makes them.

#include <nlohmann/json.hpp>

#include "strata/model.hpp"

namespace strata::detail {

/// What the reader needs to know about the Keras that wrote a config.
struct ConfigOrigin {
  /// The major version: 2 for Keras 2 and tf.keras files, whose "hard_sigmoid" is clip(0.2 x + 0.5, 0, 1)
  /// (read as strata's "keras2_hard_sigmoid") and whose node lists count a built nested Sequential's own
  /// node; 3 for Keras 3; 0 when the config does not say (strata's own configs): Keras 3's activations, and
  /// the node counting of the form the entries have (Keras 3's when they carry a `module`).
  int keras_major = 0;
};

/// The model of `entry`, `{"class_name": "Functional" | "Model" | "Sequential", "config": {...}}`, in either
/// node form (Keras 2's lists, Keras 3's `args`/`kwargs` with `__keras_tensor__`), nested models, shared
/// layers and custom registered classes included. Weights come from the layers' initializers. Throws
/// ValueError naming the layer and what is wrong (a missing key, a value of the wrong type, an unknown
/// class with how to register it, a call of a layer the config does not have, a cycle), and whatever the
/// layers' constructors and calls throw (ShapeError, GraphError).
Model model_from_config(const nlohmann::json& entry, const ConfigOrigin& origin);

}  // namespace strata::detail
