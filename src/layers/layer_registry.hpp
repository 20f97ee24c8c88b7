#pragma once
// Every layer class strata can make from a Keras config, by Keras class name: the built-in families (each
// registers its classes in its own file) and the custom layers users register. get_config and from_config
// in Keras's JSON, driven by each class's schema.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "layers/layer_impl.hpp"
#include "layers/layer_schema.hpp"

namespace strata::detail {

class LayerImpl;

/// One class in the registry.
struct LayerEntry {
  /// The schema of a built-in class; null for a custom layer, whose config goes to its factory whole.
  const SchemaBase* schema = nullptr;
  std::string class_name;
  /// Makes the layer from a config whose keys the registry has checked; `where` starts messages.
  std::function<std::shared_ptr<LayerImpl>(const nlohmann::json& config, const std::string& where)> make;
};

/// Adds a built-in class (for the family functions below). Throws ValueError when the class name is taken.
void register_layer(LayerEntry entry);

/// Adds a custom class, after the built-in ones. Throws ValueError when the class name is taken.
void register_user_layer(LayerEntry entry);

/// Adds a built-in class: `make` receives the Args read from the config (name included).
template <class Args, class Make>
void register_layer(const LayerSchema<Args>& schema, Make make) {
  register_layer(LayerEntry{&schema, schema.class_name(),
                            [&schema, make](const nlohmann::json& config, const std::string& where) {
                              std::vector<std::pair<std::string, std::string>> verbatim;
                              Args args = schema.read(config, where, verbatim);
                              if (config.contains("name"))
                                args.options.name = config["name"].get<std::string>();
                              std::shared_ptr<LayerImpl> layer = make(std::move(args));
                              layer->kept_values = std::move(verbatim);
                              return layer;
                            }});
}

/// The class registered as `class_name`, or null.
const LayerEntry* find_layer_class(const std::string& class_name);

/// Every registered class name, sorted.
std::vector<std::string> registered_layer_classes();

/// Keras's `layer.get_config()`: name, trainable, dtype (Keras 3's DTypePolicy), the arguments, and the kept
/// keys (Keras's defaults, or what a loaded config gave). Throws ValueError for a layer without a config (a
/// model: its config is FunctionalImpl::config).
nlohmann::json get_layer_config(const LayerImpl& layer);

/// Keras's `cls.from_config(config)` for the class registered as `class_name`. Throws ValueError naming the
/// class (unknown class, with the known ones), or the layer, the key and the value (a key the class does not
/// have, a value of the wrong type, a value strata does not support), and whatever the layer's constructor
/// throws for the arguments.
std::shared_ptr<LayerImpl> layer_from_config(const std::string& class_name, const nlohmann::json& config);

// Each built-in family registers its classes in its own file; this list makes sure every family file is
// linked (a static library drops object files nothing refers to) and runs once, on first use.
#define STRATA_LAYER_FAMILIES(X) \
  X(activations)                 \
  X(batch_normalization)         \
  X(category_encoding)           \
  X(bidirectional)               \
  X(conv1d)                      \
  X(conv2d)                      \
  X(conv_transpose)              \
  X(custom_scale_layer)          \
  X(dense)                       \
  X(embedding)                   \
  X(einsum_dense)                \
  X(depthwise_conv1d)            \
  X(depthwise_conv2d)            \
  X(global_pooling2d)            \
  X(group_normalization)         \
  X(input_layer)                 \
  X(layer_normalization)         \
  X(layer_scale)                 \
  X(masking)                     \
  X(merge)                       \
  X(multi_head_attention)        \
  X(attention)                   \
  X(dot)                         \
  X(normalization)               \
  X(pooling1d)                   \
  X(pooling2d)                   \
  X(prelu)                       \
  X(recurrent)                   \
  X(preprocessing)               \
  X(regularization)              \
  X(reshaping)                   \
  X(reshaping1d)                 \
  X(resizing)                    \
  X(time_distributed)            \
  X(unit_normalization)

#define STRATA_DECLARE_FAMILY(family) void register_##family##_layers();
STRATA_LAYER_FAMILIES(STRATA_DECLARE_FAMILY)
#undef STRATA_DECLARE_FAMILY

}  // namespace strata::detail
