#include "layers/layer_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "layers/layer_impl.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerEntry> entries;
};

Registry& registry() {
  static Registry r;
  return r;
}

void add(LayerEntry entry) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const std::string name = entry.class_name;
  if (!r.entries.emplace(name, std::move(entry)).second) {
    throw ValueError(fmt::format("A layer class named '{}' is already registered", name));
  }
}

void register_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
#define STRATA_CALL_FAMILY(family) register_##family##_layers();
    STRATA_LAYER_FAMILIES(STRATA_CALL_FAMILY)
#undef STRATA_CALL_FAMILY
  });
}

// Keys Keras's base Layer takes from any layer's config (a Sequential's first layer carries its input shape);
// none changes what the layer computes, so they are kept and written back only when a config had them.
bool is_base_layer_key(const std::string& key) {
  static const char* const keys[] = {"activity_regularizer", "batch_input_shape", "batch_shape",
                                     "input_shape",          "batch_size",        "input_dim"};
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

// Keras's float dtypes and policies, by name or as a DTypePolicy object (Keras 3.2+).
bool is_float_policy(const nlohmann::json& value) {
  static const std::set<std::string> names = {"float16",  "float32",       "float64",
                                              "bfloat16", "mixed_float16", "mixed_bfloat16"};
  if (value.is_null()) return true;
  if (value.is_string()) return names.count(value.get<std::string>()) != 0;
  if (!value.is_object() || !value.contains("class_name") || !value.contains("config")) return false;
  const nlohmann::json& cls = value["class_name"];
  const nlohmann::json& config = value["config"];
  return (cls == "DTypePolicy" || cls == "FloatDTypePolicy") && config.is_object() &&
         config.contains("name") && config["name"].is_string() &&
         names.count(config["name"].get<std::string>()) != 0;
}

std::string known_keys(const SchemaBase& schema) {
  std::vector<std::string> keys = {"name"};
  if (schema.base_keys()) keys.insert(keys.end(), {"trainable", "dtype"});
  for (const ArgumentInfo& a : schema.infos()) keys.push_back(a.key);
  for (const KeptKey& k : schema.kept_keys()) keys.push_back(k.key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

}  // namespace

void register_layer(LayerEntry entry) {
  add(std::move(entry));
}

void register_user_layer(LayerEntry entry) {
  register_builtins();  // so that a custom class cannot take a built-in's name
  add(std::move(entry));
}

const LayerEntry* find_layer_class(const std::string& class_name) {
  register_builtins();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.entries.find(class_name);
  return it == r.entries.end() ? nullptr : &it->second;  // map nodes never move
}

std::vector<std::string> registered_layer_classes() {
  register_builtins();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, entry] : r.entries) names.push_back(name);
  return names;
}

nlohmann::json get_layer_config(const LayerImpl& layer) {
  const SchemaBase* schema = layer.schema();
  nlohmann::json out = {{"name", layer.name()}};
  // An op (keras.src.ops.*) is an Operation, not a Layer: its config is its name and constructor arguments.
  if (dynamic_cast<const OpLayer*>(&layer) != nullptr) {
    out.update(layer.config());
    return out;
  }
  if (schema == nullptr || schema->base_keys()) {
    out["trainable"] = layer.trainable;
    out["dtype"] = float32_policy_json();
  }
  out.update(layer.config());
  if (schema != nullptr) {
    for (const KeptKey& k : schema->kept_keys()) {
      if (k.written) out[k.key] = k.default_value;
    }
  }
  for (const auto& [key, text] : layer.kept_values) out[key] = nlohmann::json::parse(text);
  return out;
}

std::shared_ptr<LayerImpl> layer_from_config(const std::string& class_name, const nlohmann::json& config) {
  const LayerEntry* entry = find_layer_class(class_name);
  if (entry == nullptr) {
    throw ValueError(
        fmt::format("Unknown layer class '{}'; strata has {} (and custom layers registered with "
                    "strata::register_custom_layer)",
                    class_name, fmt::join(registered_layer_classes(), ", ")));
  }
  const bool named = config.is_object() && config.contains("name") && config["name"].is_string();
  const std::string where =
      fmt::format("[{} ({})]", named ? config["name"].get<std::string>() : "?", class_name);
  check_config_depth(config, where);
  if (!config.is_object()) {
    throw ValueError(fmt::format("{} Expected the config to be a JSON object, received {}", where,
                                 config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }
  if (config.contains("name") && !named) bad_config_value({where, "name"}, "a string", config["name"]);

  bool trainable = true;
  std::vector<std::pair<std::string, std::string>> kept;
  const SchemaBase* schema = entry->schema;
  for (const auto& [key, value] : config.items()) {
    if (key == "name") continue;
    const bool base = schema == nullptr || schema->base_keys();
    if (base && key == "trainable") {
      trainable = Codec<bool>::read(value, {where, key});
      continue;
    }
    if (base && key == "dtype") {
      // Any float policy: strata computes in float32 (or bfloat16 when compiled so), whatever Keras trained
      // in. A quantized one (int8, float8, int4...) means weights strata cannot read.
      if (!is_float_policy(value)) {
        bad_config_value(
            {where, key},
            "a float dtype policy (float32, float16, bfloat16, mixed_...): strata computes in float32 "
            "and has no quantized layers",
            value);
      }
      kept.emplace_back(key, value.dump());
      continue;
    }
    if (schema == nullptr) continue;  // a custom layer's factory reads the rest
    if (schema->knows(key)) continue;
    const auto& keys = schema->kept_keys();
    const std::string& name = key;  // clang before 16 cannot capture a structured binding
    const auto k = std::find_if(keys.begin(), keys.end(), [&](const KeptKey& x) { return x.key == name; });
    if (k != keys.end()) {
      if (k->accepts && !k->accepts(value)) {
        const std::string expected = k->accepted + " (strata cannot compute another value)";
        bad_config_value({where, key}, expected.c_str(), value);
      }
      kept.emplace_back(key, value.dump());
      continue;
    }
    if (base && is_base_layer_key(key)) {
      kept.emplace_back(key, value.dump());
      continue;
    }
    throw ValueError(fmt::format("{} config key '{}' is not an argument of {}; it has {}", where, key,
                                 class_name, known_keys(*schema)));
  }
  std::shared_ptr<LayerImpl> layer = entry->make(config, where);
  layer->trainable = trainable;
  layer->kept_values.insert(layer->kept_values.end(), kept.begin(), kept.end());
  return layer;
}

}  // namespace strata::detail
