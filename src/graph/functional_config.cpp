// FunctionalImpl::config: a model's topology as Keras writes it (`model.get_config()`), for the tfjs oracle
// and, later, model files.

#include <map>
#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"

namespace strata::detail {
namespace {

// A layer's config; a nested model's is its topology under its name and trainable flag.
nlohmann::json layer_config(const LayerImpl& layer) {
  if (dynamic_cast<const FunctionalImpl*>(&layer) == nullptr) return get_layer_config(layer);
  nlohmann::json config = {{"name", layer.name()}, {"trainable", layer.trainable}};
  config.update(layer.config());
  return config;
}

// Keras renumbers a layer's calls by those inside the model (get_network_config's node_conversion_map). A
// nested model's numbering starts at 1: Keras gives a model a node of its own when it is built, which its
// callers' nodes follow.
std::map<const Node*, int> node_numbers(const FunctionalImpl& model) {
  std::map<const Node*, int> numbers;
  for (const auto& layer : model.layers()) {
    int kept = dynamic_cast<const FunctionalImpl*>(layer.get()) != nullptr ? 1 : 0;
    for (const auto& weak : layer->inbound_nodes) {
      const auto node = weak.lock();
      if (node && model.contains(node.get())) numbers[node.get()] = kept++;
    }
  }
  return numbers;
}

nlohmann::json tensor_ref(const SymbolicTensor& t, const std::map<const Node*, int>& numbers) {
  return nlohmann::json::array({t.node()->layer->name(), numbers.at(t.node().get()), t.index()});
}

}  // namespace

nlohmann::json FunctionalImpl::config() const {
  nlohmann::json layers = nlohmann::json::array();
  if (is_sequential()) {
    for (const auto& layer : layers_) {
      layers.push_back({{"class_name", layer->class_name()}, {"config", layer_config(*layer)}});
    }
    return {{"name", name()}, {"layers", layers}};
  }
  const std::map<const Node*, int> numbers = node_numbers(*this);
  for (const auto& layer : layers_) {
    nlohmann::json inbound = nlohmann::json::array();
    for (const auto& weak : layer->inbound_nodes) {
      const auto node = weak.lock();
      if (!node || !contains(node.get()) || node->is_input()) continue;
      // The call's keyword arguments: an op's numbers (`x + 3.0`), named by Keras's parameters.
      const auto* op = dynamic_cast<const OpLayer*>(layer.get());
      const nlohmann::json kwargs = op != nullptr ? op->call_numbers() : nlohmann::json::object();
      nlohmann::json entries =
          layer->call_entries(*node, [&](const SymbolicTensor& t) { return tensor_ref(t, numbers); });
      if (!entries.is_null()) {
        inbound.push_back(std::move(entries));
        continue;
      }
      nlohmann::json call = nlohmann::json::array();
      nlohmann::json node_kwargs = kwargs;
      if (node->mask_input) node_kwargs["mask"] = tensor_ref(node->inputs.back(), numbers);
      for (const SymbolicTensor& t : node->arguments()) {
        nlohmann::json ref = tensor_ref(t, numbers);
        ref.push_back(node_kwargs);
        call.push_back(ref);
      }
      inbound.push_back(call);
    }
    nlohmann::json entry = {{"class_name", layer->class_name()},
                            {"config", layer_config(*layer)},
                            {"name", layer->name()},
                            {"inbound_nodes", inbound}};
    // Keras 3 writes every entry's module; strata's Keras 2 form only an op's, which shares class names with
    // layers (an Add op is not an Add layer).
    if (const auto* op = dynamic_cast<const OpLayer*>(layer.get())) entry["module"] = op->module();
    layers.push_back(std::move(entry));
  }
  nlohmann::json inputs = nlohmann::json::array(), outputs = nlohmann::json::array();
  for (const SymbolicTensor& t : inputs_) inputs.push_back(tensor_ref(t, numbers));
  for (const SymbolicTensor& t : outputs_) outputs.push_back(tensor_ref(t, numbers));
  return {{"name", name()}, {"layers", layers}, {"input_layers", inputs}, {"output_layers", outputs}};
}

}  // namespace strata::detail
