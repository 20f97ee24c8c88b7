#pragma once
// What custom layers (a C++ kernel) and composite layers (a body of strata layers) share: reading a
// definition's own config, registering a factory by class name, and the one-output call operator.

#include <fmt/format.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "layers/layer_impl.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::detail {

/// A definition's `get_config()` text as a JSON object. Throws ValueError starting with `prefix` for text
/// that is not a JSON object, or that sets `name`, `trainable` or `dtype` (strata writes those).
nlohmann::json parse_user_config(const std::string& prefix, const std::string& text);

/// Registers a user class: loading a config calls `factory` with the whole config, checks that it made a
/// definition of `class_name`, and wraps it with `wrap(definition, name)`. Throws ValueError, naming `api`,
/// for an empty class name or a null factory.
template <class Definition>
void register_user_class(
    const char* api, const std::string& class_name,
    std::function<std::shared_ptr<const Definition>(const std::string&)> factory,
    std::function<std::shared_ptr<LayerImpl>(std::shared_ptr<const Definition>, const std::string&)> wrap) {
  if (class_name.empty()) throw ValueError(fmt::format("[{}] Expected a class name, received \"\"", api));
  if (!factory)
    throw ValueError(fmt::format("[{}] Expected a factory for '{}', received none", api, class_name));
  register_user_layer(
      LayerEntry{nullptr, class_name,
                 [class_name, factory, wrap](const nlohmann::json& config, const std::string& where) {
                   std::shared_ptr<const Definition> definition = factory(config.dump());
                   if (!definition)
                     throw ValueError(fmt::format("{} The registered factory returned no definition", where));
                   if (definition->class_name() != class_name) {
                     throw ValueError(fmt::format("{} The registered factory made a definition of class '{}'",
                                                  where, definition->class_name()));
                   }
                   const std::string name = config.contains("name") ? config["name"].get<std::string>() : "";
                   return wrap(std::move(definition), name);
                 }});
}

/// The call operator of a layer handle that returns one output: throws ValueError naming the layer when
/// `output_count` (asked before the call, so that a refused call leaves no node behind) is not one;
/// otherwise returns `call()`'s only output.
SymbolicTensor single_output(const LayerImpl& layer, size_t output_count,
                             const std::function<std::vector<SymbolicTensor>()>& call);

}  // namespace strata::detail
