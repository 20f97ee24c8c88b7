#pragma once
/// @file layer_registry.hpp
/// Layers by Keras class name: making one from the config Keras writes (`cls.from_config(config)`), and the
/// classes strata knows. Custom layers join with `register_custom_layer` (custom_layer.hpp).

#include <string>
#include <vector>

#include "strata/layer.hpp"

namespace strata {

/// Keras's `cls.from_config(config)`: the layer of class `class_name` from its config as JSON text, as
/// `Layer::get_config` or Keras (2 or 3) writes it. Keys that do not change inference (regularizers,
/// constraints, seeds, a float dtype policy) are accepted and written back by `get_config`; Keras 2
/// spellings (`alpha` of LeakyReLU, `batch_input_shape`, initializer objects) are read too; an initializer
/// strata does not have, or a seeded one, is kept as it came while the layer starts from its default one.
/// Throws ValueError for an unknown class (naming the known ones), for text that is not a JSON object or
/// nests more than 64 levels, and naming the layer, the key and the value for a key the class does not
/// have, a value of the wrong type, or a value strata cannot compute (`data_format: "channels_first"`, a
/// quantized dtype policy); and whatever the layer's constructor throws for the arguments.
Layer layer_from_config(const std::string& class_name, const std::string& config_json);

/// Every class `layer_from_config` knows, sorted: the built-in layers and the registered custom layers.
std::vector<std::string> registered_layer_classes();

/// One argument of a built-in layer class, as its schema declares it.
struct LayerArgument {
  /// Keras's key, which is also the C++ name (the constructor argument or the options member): "strides".
  std::string name;
  /// The type as the docs write it: "int", "(int, int)", "activation name", "initializer"...
  std::string type;
  /// The default as C++ writes it ("1", "\"valid\"", "std::nullopt"); empty for a required argument.
  std::string default_value;
  /// True for a constructor argument before the options struct (`filters`, `kernel_size`).
  bool positional = false;
};

/// The arguments of the class `class_name` in the order its constructor and options take them (empty for a
/// custom layer: its factory reads its config). Throws ValueError for a class that is not registered.
std::vector<LayerArgument> layer_arguments(const std::string& class_name);

}  // namespace strata
