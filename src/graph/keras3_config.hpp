#pragma once
// A model as Keras 3 serializes it (`serialize_keras_object(model)`, the config.json of a .keras archive and
// `model.to_json()`): modules and registered names on every entry, layer entries with `inbound_nodes` of
// `args`/`kwargs` holding `__keras_tensor__` objects, nested models as Keras 3 writes them.

#include <nlohmann/json.hpp>

namespace strata::detail {

class FunctionalImpl;

/// `{"module", "class_name", "config", "registered_name", "build_config"}` for `model` (a Functional or a
/// Sequential). Throws ValueError naming the op for a model holding keras.ops calls (not written yet).
nlohmann::json keras3_model_entry(const FunctionalImpl& model);

}  // namespace strata::detail
