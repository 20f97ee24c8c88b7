// keras3_model_entry: keras/src/saving/serialization_lib.py (serialize_keras_object, serialize_with_public_
// class, get_build_and_compile_config), keras/src/models/functional.py (get_config, serialize_node) and
// keras/src/models/sequential.py (get_config).

#include "graph/keras3_config.hpp"

#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

#include "graph/functional.hpp"
#include "layers/config_codecs.hpp"
#include "layers/input_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

using json = nlohmann::json;

json tensor_json(const SymbolicTensor& t, int call) {
  return {{"class_name", "__keras_tensor__"},
          {"config",
           {{"shape", shape_json(t.shape())},
            {"dtype", dtype_name(t.dtype())},
            {"keras_history", {t.node()->layer->name(), call, t.index()}}}}};
}

// The calls of `layer` inside `model`, numbered from 0 in call order (serialize_node's "irrelevant" nodes,
// those of other models, left out).
int call_number(const FunctionalImpl& model, const Node* node) {
  int number = 0;
  for (const auto& weak : node->layer->inbound_nodes) {
    const auto other = weak.lock();
    if (other.get() == node) return number;
    if (other && model.contains(other.get())) ++number;
  }
  throw InternalError(fmt::format("[{}] a node of model '{}' is not among its layer's calls",
                                  node->layer->name(), model.name()));
}

json model_entry(const FunctionalImpl& model);

using SharedIds = std::map<const LayerImpl*, int64_t>;
// The shared_object_ids of the config being written (keras3_model_entry sets it for its duration).
thread_local const SharedIds* shared_ids = nullptr;

json with_shared_id(const LayerImpl& layer, json entry) {
  if (shared_ids != nullptr) {
    if (const auto it = shared_ids->find(&layer); it != shared_ids->end())
      entry["shared_object_id"] = it->second;
  }
  return entry;
}

// A layer of a model: its class as Keras exports it (keras.layers.X), or a nested model.
json layer_entry(const LayerImpl& layer) {
  if (const auto* nested = dynamic_cast<const FunctionalImpl*>(&layer))
    return with_shared_id(layer, model_entry(*nested));
  if (const auto* op = dynamic_cast<const OpLayer*>(&layer)) {
    // An Operation is not a Layer: its module (no public class), its name and constructor arguments as its
    // config (Operation.get_config), no build_config.
    return {{"module", op->module()},
            {"class_name", layer.class_name()},
            {"config", get_layer_config(layer)},
            {"registered_name", layer.class_name()}};
  }
  const bool builtin = layer.schema() != nullptr;
  // Keras writes its class name as the registered name of a class defined outside keras.layers, as of a
  // custom one.
  const char* module = layer.keras3_module();
  const bool exported = builtin && module == nullptr;
  json entry = {{"module", module != nullptr ? module
                           : builtin         ? "keras.layers"
                                             : "strata.custom_layers"},
                {"class_name", layer.class_name()},
                {"config", get_layer_config(layer)},
                {"registered_name", exported ? json() : json(layer.class_name())}};
  // build_config: the shapes the layer was built for, at its first call.
  if (dynamic_cast<const InputLayer*>(&layer) == nullptr) {
    for (const auto& weak : layer.inbound_nodes) {
      const auto node = weak.lock();
      if (!node || node->inputs.empty()) continue;
      entry["build_config"] = layer.keras3_build_config(*node);
      break;
    }
  }
  return with_shared_id(layer, std::move(entry));
}

json functional_config(const FunctionalImpl& model) {
  json layers = json::array();
  for (const auto& layer : model.layers()) {
    json entry = layer_entry(*layer);
    json nodes = json::array();
    for (const auto& weak : layer->inbound_nodes) {
      const auto node = weak.lock();
      if (!node || !model.contains(node.get()) || node->is_input()) continue;
      nodes.push_back(layer->keras3_call(*node, [&](const SymbolicTensor& t) {
        return tensor_json(t, call_number(model, t.node().get()));
      }));
    }
    entry["name"] = layer->name();
    entry["inbound_nodes"] = nodes;
    layers.push_back(std::move(entry));
  }
  // get_config's node_reindexing_map: a nested functional model's own node comes first, a Sequential has
  // none.
  const auto endpoint = [&](const SymbolicTensor& t) {
    const LayerImpl& owner = *t.node()->layer;
    const auto* nested = dynamic_cast<const FunctionalImpl*>(&owner);
    const int kept = nested != nullptr && !nested->is_sequential() ? 1 : 0;
    return json::array({owner.name(), call_number(model, t.node().get()) + kept, t.index()});
  };
  json inputs = json::array(), outputs = json::array();
  for (const SymbolicTensor& t : model.inputs()) inputs.push_back(endpoint(t));
  for (const SymbolicTensor& t : model.outputs()) outputs.push_back(endpoint(t));
  return {{"name", model.name()},
          {"trainable", model.trainable},
          {"layers", layers},
          {"input_layers", inputs},
          {"output_layers", outputs}};
}

json model_entry(const FunctionalImpl& model) {
  if (model.is_sequential()) {
    // Sequential.get_config: every layer, the InputLayer first, and the input's batch shape.
    json layers = json::array();
    const SymbolicTensor& input = model.inputs().front();
    layers.push_back(layer_entry(*input.node()->layer));
    for (const auto& layer : model.layers()) {
      if (dynamic_cast<const InputLayer*>(layer.get()) == nullptr) layers.push_back(layer_entry(*layer));
    }
    const json batch_shape = shape_json(input.shape());
    return {{"module", "keras"},
            {"class_name", "Sequential"},
            {"config",
             {{"name", model.name()},
              {"trainable", model.trainable},
              {"dtype", float32_policy_json()},
              {"layers", layers},
              {"build_input_shape", batch_shape}}},
            {"registered_name", nullptr},
            {"build_config", {{"input_shape", batch_shape}}}};
  }
  return {{"module", "keras.src.models.functional"},
          {"class_name", "Functional"},
          {"config", functional_config(model)},
          {"registered_name", "Functional"},
          {"build_config", {{"input_shape", nullptr}}}};
}

}  // namespace

nlohmann::json keras3_model_entry(const FunctionalImpl& model) {
  // A layer in the configs of two models (a nested model's layer that the outer model calls too) is written
  // in each, both marked with one shared_object_id, as Keras's record_object_after_serialization marks them.
  std::map<const LayerImpl*, std::set<const FunctionalImpl*>> owners;
  const std::function<void(const FunctionalImpl&)> visit = [&](const FunctionalImpl& m) {
    for (const auto& layer : m.layers()) {
      owners[layer.get()].insert(&m);
      if (const auto* nested = dynamic_cast<const FunctionalImpl*>(layer.get())) {
        if (owners[layer.get()].size() == 1) visit(*nested);
      }
    }
  };
  visit(model);
  SharedIds ids;
  for (const auto& [layer, models] : owners) {
    if (models.size() > 1) ids.emplace(layer, static_cast<int64_t>(ids.size()) + 1);
  }
  const SharedIds* outer = shared_ids;
  shared_ids = &ids;
  try {
    json out = model_entry(model);
    shared_ids = outer;
    return out;
  } catch (...) {
    shared_ids = outer;
    throw;
  }
}

}  // namespace strata::detail
