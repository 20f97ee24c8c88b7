// model_from_config: Keras's Sequential.from_config and functional_from_config
// (keras/src/models/sequential.py, keras/src/models/functional.py), on strata's layer registry.

#include "graph/functional_from_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "core/error_context.hpp"
#include "core/session.hpp"
#include "graph/functional.hpp"
#include "layers/config_call.hpp"
#include "layers/input_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_from_config.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

using json = nlohmann::json;

constexpr int kMaxModelDepth = 32;

// A value for a message: JSON text, cut short.
std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

const json& member(const json& object, const std::string& key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw ValueError(fmt::format("{}: expected the key '{}', the config has {}", where, key,
                                 object.is_object() ? "none" : "no object: " + shown(object)));
  }
  return object[key];
}

std::string string_member(const json& object, const std::string& key, const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_string()) {
    throw ValueError(fmt::format("{}: expected '{}' to be a string, received {}", where, key, shown(value)));
  }
  return value.get<std::string>();
}

bool is_model_class(const std::string& class_name) {
  return class_name == "Functional" || class_name == "Model" || class_name == "Sequential";
}

// Keras 2's hard_sigmoid is clip(0.2 x + 0.5, 0, 1); Keras 3 renamed nothing but changed the slope to 1/6.
// A Keras 2 file computes with the first, so its layers get strata's name for it.
void rename_keras2_activations(json& value) {
  if (value.is_array()) {
    for (json& item : value) rename_keras2_activations(item);
    return;
  }
  if (!value.is_object()) return;
  for (auto& [key, item] : value.items()) {
    if ((key == "activation" || key == "recurrent_activation") && item == "hard_sigmoid") {
      item = "keras2_hard_sigmoid";
    } else {
      rename_keras2_activations(item);
    }
  }
}

// A config's mask op that a call's automatic one took over (canonical_mask) may have other readers (an op
// on the mask as well as the LSTM that uses it): they, and the outputs, read the automatic op instead, so
// that the computation is in the model once, under the config's names.
void read_canonical_twins(std::vector<SymbolicTensor>& outputs) {
  const auto twin_of = [](SymbolicTensor& t) {
    if (!t) return;
    if (const std::shared_ptr<Node> twin = t.node()->canonical_twin.lock())
      t = SymbolicTensor(twin, t.index());
  };
  std::set<const Node*> seen;
  std::vector<std::shared_ptr<Node>> stack;
  for (SymbolicTensor& t : outputs) {
    twin_of(t);
    if (t) stack.push_back(t.node());
  }
  while (!stack.empty()) {
    const std::shared_ptr<Node> node = stack.back();
    stack.pop_back();
    if (!seen.insert(node.get()).second) continue;
    for (SymbolicTensor& t : node->inputs) {
      twin_of(t);
      stack.push_back(t.node());
    }
  }
}

// A Keras 3 `__keras_tensor__` object's history, or a Keras 2 reference `[layer, node, tensor]`.
struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t index = 0;
};

std::optional<TensorRef> keras3_tensor(const json& value, const std::string& where) {
  if (!value.is_object() || value.value("class_name", json()) != "__keras_tensor__") return std::nullopt;
  const json& history = member(member(value, "config", where), "keras_history", where);
  if (!history.is_array() || history.size() != 3 || !history[0].is_string() ||
      !history[1].is_number_integer() || !history[2].is_number_integer()) {
    throw ValueError(
        fmt::format("{}: expected keras_history [layer name, node index, tensor index], received {}", where,
                    shown(history)));
  }
  return TensorRef{history[0].get<std::string>(), history[1].get<int64_t>(), history[2].get<int64_t>()};
}

bool is_legacy_ref(const json& value) {
  return value.is_array() && value.size() == 3 && value[0].is_string() && value[1].is_number_integer() &&
         value[2].is_number_integer();
}

// Sequential's first layer carries the model's input shape in Keras 2 (`batch_input_shape`); tf.keras also
// writes the model's `build_input_shape`, Keras 3 the model entry's `build_config`.
std::optional<json> sequential_input_shape(const json& first_config, const json& model_config,
                                           const json& model_entry) {
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (first_config.is_object() && first_config.contains(key) && !first_config[key].is_null())
      return first_config[key];
  }
  if (first_config.is_object() && first_config.contains("input_shape") &&
      first_config["input_shape"].is_array()) {
    json shape = json::array({nullptr});
    for (const json& d : first_config["input_shape"]) shape.push_back(d);
    return shape;
  }
  if (model_config.is_object() && model_config.contains("build_input_shape") &&
      model_config["build_input_shape"].is_array())
    return model_config["build_input_shape"];
  if (model_entry.contains("build_config") && model_entry["build_config"].is_object() &&
      model_entry["build_config"].contains("input_shape") &&
      model_entry["build_config"]["input_shape"].is_array())
    return model_entry["build_config"]["input_shape"];
  return std::nullopt;
}

// The input dtype Keras gives a Sequential built from its first layer: that layer's dtype (a name or a
// DTypePolicy object); float32 for a float policy.
std::string sequential_input_dtype(const json& first_config) {
  if (!first_config.is_object() || !first_config.contains("dtype")) return "float32";
  json dtype = first_config["dtype"];
  if (dtype.is_object() && dtype.contains("config") && dtype["config"].is_object())
    dtype = dtype["config"].value("name", json());
  if (dtype == "int32" || dtype == "int64") return dtype.get<std::string>();
  return "float32";
}

// A layer of the config: made, and, for a Sequential that has no input yet, kept as a Sequential so that its
// first call builds it (Keras's deferred build).
struct MadeLayer {
  std::shared_ptr<LayerImpl> impl;
  std::optional<Sequential> unbuilt;
  std::optional<Model> model;  // for a model, its handle
  // For a Keras operation (module keras.src.ops.*): what makes each call, through strata::ops.
  struct Op {
    std::string class_name, module;
    json config;
  };
  std::optional<Op> op;
};

class Reader {
 public:
  explicit Reader(const ConfigOrigin& origin) : origin_(origin) {}

  MadeLayer model(const json& entry, const std::string& where, int depth) {
    if (depth > kMaxModelDepth) {
      throw ValueError(fmt::format("{}: models nested more than {} deep", where, kMaxModelDepth));
    }
    const std::string class_name = string_member(entry, "class_name", where);
    const json& config = member(entry, "config", where);
    if (class_name == "Sequential") return sequential(entry, config, where, depth);
    if (class_name == "Functional" || class_name == "Model") {
      Model made = functional(config, where, depth);
      return {made.impl(), {}, made, {}};
    }
    throw ValueError(fmt::format(
        "{}: expected a model of class Functional, Model or Sequential, received '{}'", where, class_name));
  }

 private:
  // Keras 3 marks an object its config holds twice (a layer of a nested model that the outer model calls
  // too) with the same `shared_object_id` (serialization_lib.record_object_after_serialization): the first
  // entry makes it, the others reuse it, so its weights stay one.
  MadeLayer layer(const json& entry, const std::string& where, int depth) {
    const json* shared = entry.is_object() && entry.contains("shared_object_id") &&
                                 entry["shared_object_id"].is_number_integer()
                             ? &entry["shared_object_id"]
                             : nullptr;
    if (shared != nullptr) {
      if (const auto it = shared_.find(shared->get<int64_t>()); it != shared_.end()) return it->second;
    }
    MadeLayer made = new_layer(entry, where, depth);
    if (shared != nullptr && !made.op) shared_.emplace(shared->get<int64_t>(), made);
    return made;
  }

  MadeLayer new_layer(const json& entry, const std::string& where, int depth) {
    const std::string class_name = string_member(entry, "class_name", where);
    if (entry.contains("module") && entry["module"].is_string() &&
        is_op_module(entry["module"].get<std::string>())) {
      // An operation (`x + y` is an Add of keras.src.ops.numpy), made by its call.
      return {nullptr,
              {},
              {},
              MadeLayer::Op{class_name, entry["module"].get<std::string>(), member(entry, "config", where)}};
    }
    if (is_model_class(class_name)) return model(entry, where, depth + 1);
    json config = member(entry, "config", where);
    if (!config.is_object()) {
      throw ValueError(
          fmt::format("{}: expected 'config' to be an object, received {}", where, shown(config)));
    }
    if (origin_.keras_major == 2) rename_keras2_activations(config);
    std::string cls = class_name;
    // Keras 3 writes a registered class as "package>Name" beside its class name.
    if (find_layer_class(cls) == nullptr && entry.contains("registered_name") &&
        entry["registered_name"].is_string() &&
        find_layer_class(entry["registered_name"].get<std::string>()) != nullptr)
      cls = entry["registered_name"].get<std::string>();
    if (find_layer_class(cls) == nullptr) {
      throw ValueError(
          fmt::format("{}: the class '{}' is not one strata has. Register an implementation before loading: "
                      "strata::register_custom_layer(\"{}\", factory) (custom_layer.hpp) or "
                      "strata::register_composite_layer (composite_layer.hpp), where the factory receives "
                      "the layer's config "
                      "as JSON",
                      where, class_name, class_name));
    }
    return {with_error_context(where + ": ", [&] { return layer_from_config(cls, config); }), {}, {}, {}};
  }

  MadeLayer sequential(const json& entry, const json& config, const std::string& where, int depth) {
    // Keras 2.0 to 2.2 wrote a Sequential's config as the list of its layers.
    const json& layers = config.is_array() ? config : member(config, "layers", where);
    std::string name;
    if (config.is_object() && config.contains("name")) name = string_member(config, "name", where);
    if (name.empty()) name = unique_name("sequential");
    if (!layers.is_array()) {
      throw ValueError(fmt::format("{}: expected 'layers' to be a list, received {}", where, shown(layers)));
    }
    Sequential model({}, name);
    const std::string model_where = fmt::format("{}, Sequential '{}'", where, name);
    for (size_t i = 0; i < layers.size(); ++i) {
      const json& data = layers[i];
      const json* layer_name = data.is_object() && data.contains("config") && data["config"].is_object() &&
                                       data["config"].contains("name")
                                   ? &data["config"]["name"]
                                   : nullptr;
      const std::string at = layer_name != nullptr && layer_name->is_string()
                                 ? fmt::format("{}, layer '{}'", model_where, layer_name->get<std::string>())
                                 : fmt::format("{}, layer #{}", model_where, i);
      MadeLayer made = layer(layers[i], at, depth);
      if (made.unbuilt) {
        throw ValueError(fmt::format("{}: a Sequential without an input shape inside a Sequential", at));
      }
      if (i == 0 && std::dynamic_pointer_cast<InputLayer>(made.impl) == nullptr) {
        const json first_config =
            layers[i].is_object() ? layers[i].value("config", json::object()) : json::object();
        if (const std::optional<json> shape = sequential_input_shape(first_config, config, entry)) {
          // Keras 2 names the input after the first layer ("dense_1_input"); Keras 3 reads the same configs
          // so.
          const json input = {{"batch_shape", *shape},
                              {"dtype", sequential_input_dtype(first_config)},
                              {"name", made.impl->name() + "_input"}};
          with_error_context(at + ": ", [&] { model.add(Layer(layer_from_config("InputLayer", input))); });
        }
      }
      with_error_context(at + ": ", [&] { model.add(Layer(made.impl)); });
    }
    if (!model.impl()) {
      if (depth == 0) {
        throw ValueError(
            fmt::format("{}: the model has no input shape (no InputLayer, no batch_input_shape on its "
                        "first layer, no build_input_shape), so its weights cannot be made",
                        model_where));
      }
      return {nullptr, model, {}, {}};
    }
    return {model.impl(), {}, model, {}};
  }

  // One layer entry of a functional config and the calls made of it so far.
  struct Entry {
    MadeLayer made;
    std::vector<json> nodes;
    size_t next = 0;  // the next node to call
    // Where the call numbers of Keras 2's node lists and of input_layers/output_layers start: 1 for a nested
    // model, whose own node Keras counts first. Keras 3's __keras_tensor__ histories count from 0.
    int offset = 0;
    std::vector<std::vector<SymbolicTensor>> calls;
  };

  Model functional(const json& config, const std::string& where, int depth) {
    std::string name;
    if (config.contains("name")) name = string_member(config, "name", where);
    const std::string model_where = fmt::format("{}, model '{}'", where, name);
    const json& layers = member(config, "layers", model_where);
    if (!layers.is_array()) {
      throw ValueError(
          fmt::format("{}: expected 'layers' to be a list, received {}", model_where, shown(layers)));
    }
    std::vector<std::string> order;
    std::map<std::string, Entry> entries;
    for (size_t i = 0; i < layers.size(); ++i) {
      const json& data = layers[i];
      const std::string at = fmt::format("{}, layer #{}", model_where, i);
      const std::string layer_name = data.contains("name")
                                         ? string_member(data, "name", at)
                                         : string_member(member(data, "config", at), "name", at);
      const std::string layer_at = fmt::format("{}, layer '{}'", model_where, layer_name);
      if (entries.contains(layer_name)) {
        throw ValueError(fmt::format("{}: two layers are named '{}'", model_where, layer_name));
      }
      Entry entry;
      entry.made = layer(data, layer_at, depth);
      const json& nodes = member(data, "inbound_nodes", layer_at);
      if (!nodes.is_array()) {
        throw ValueError(
            fmt::format("{}: expected 'inbound_nodes' to be a list, received {}", layer_at, shown(nodes)));
      }
      if (auto input = std::dynamic_pointer_cast<InputLayer>(entry.made.impl)) {
        entry.calls.push_back({input_tensor(input)});
      } else {
        entry.nodes.assign(nodes.begin(), nodes.end());
        // Keras counts a functional model's own node (its inputs to its outputs) first. A Sequential built
        // from an input has one too in Keras 2 (and strata's configs), where it is a functional model; in
        // Keras 3 it is not. Which Keras wrote the config: its version, else whether entries carry a module.
        if (entry.made.impl && dynamic_cast<FunctionalImpl*>(entry.made.impl.get()) != nullptr) {
          const bool keras3 = origin_.keras_major != 0 ? origin_.keras_major >= 3 : data.contains("module");
          entry.offset = entry.made.impl->class_name() == "Sequential" && keras3 ? 0 : 1;
        }
      }
      order.push_back(layer_name);
      entries.emplace(layer_name, std::move(entry));
    }
    // Keras's loop makes each layer's calls in order while their inputs exist, pass after pass over the
    // layers. The same calls in the same per-layer order, driven by what each blocked call waits for, so that
    // a config listed backwards costs one attempt per call and dependency, not one pass per call.
    std::deque<std::string> ready(order.begin(), order.end());
    std::map<std::string, std::vector<std::string>> waiting;  // layer -> layers blocked on its next call
    while (!ready.empty()) {
      const std::string layer_name = ready.front();
      ready.pop_front();
      Entry& entry = entries.at(layer_name);
      bool made = false;
      while (entry.next < entry.nodes.size()) {
        const std::string at = fmt::format("{}, layer '{}', node #{}", model_where, layer_name, entry.next);
        blocked_on_.clear();
        std::optional<ConfigCall> call =
            read_node(entry.nodes[entry.next], entries, at, entry.made.op.has_value());
        if (!call) {
          waiting[blocked_on_].push_back(layer_name);
          break;
        }
        entry.calls.push_back(make_call(entry, *call, at, entries));
        if (entry.made.impl == nullptr && entry.made.unbuilt) entry.made.impl = entry.made.unbuilt->impl();
        ++entry.next;
        made = true;
      }
      if (made) {
        const auto it = waiting.find(layer_name);
        if (it != waiting.end()) {
          ready.insert(ready.end(), it->second.begin(), it->second.end());
          waiting.erase(it);
        }
      }
    }
    std::vector<std::string> stuck;
    for (const std::string& layer_name : order) {
      const Entry& entry = entries.at(layer_name);
      if (entry.next < entry.nodes.size())
        stuck.push_back(fmt::format("'{}' node #{}", layer_name, entry.next));
    }
    if (!stuck.empty()) {
      if (stuck.size() > 12) stuck.resize(12), stuck.push_back("...");
      throw ValueError(fmt::format("{}: the graph has a cycle: these calls wait for each other's outputs: {}",
                                   model_where, fmt::join(stuck, ", ")));
    }
    const std::vector<SymbolicTensor> inputs =
        endpoints(member(config, "input_layers", model_where), entries, model_where + ", input_layers");
    std::vector<SymbolicTensor> outputs =
        endpoints(member(config, "output_layers", model_where), entries, model_where + ", output_layers");
    read_canonical_twins(outputs);
    Model model(inputs, outputs, name);
    if (config.contains("trainable") && config["trainable"].is_boolean())
      model.set_trainable(config["trainable"]);
    return model;
  }

  std::vector<SymbolicTensor> make_call(Entry& entry, const ConfigCall& call, const std::string& at,
                                        const std::map<std::string, Entry>& entries) {
    return with_error_context(at + ": ", [&] {
      if (entry.made.op) {
        // Keras calls one Operation once per node; strata makes an op per call. The first takes the config's
        // name, the others that name numbered, clear of every name in the config.
        json config = entry.made.op->config;
        if (!entry.calls.empty() && config.is_object() && config.contains("name") &&
            config["name"].is_string()) {
          const std::string base = config["name"].get<std::string>();
          std::string name;
          for (int k = static_cast<int>(entry.calls.size());
               name.empty() || entries.contains(name) || extra_op_names_.contains(name); ++k)
            name = fmt::format("{}_{}", base, k);
          extra_op_names_.insert(name);
          config["name"] = name;
        }
        return std::vector<SymbolicTensor>{
            op_from_config(entry.made.op->class_name, entry.made.op->module, config, call)};
      }
      if (entry.made.impl) return entry.made.impl->call_from_config(entry.made.impl, call);
      // A Sequential without an input shape yet: its first call builds it.
      for (const auto& [key, value] : call.kwargs.items()) {
        if (key != "training") {
          throw ValueError(fmt::format(
              "the call passes the keyword argument '{}', which a Sequential does not take", key));
        }
      }
      if (!call.tensor_kwargs.empty()) {
        throw ValueError(
            fmt::format("the call passes the tensor keyword argument '{}', which a Sequential does not "
                        "take",
                        call.tensor_kwargs.begin()->first));
      }
      return entry.made.unbuilt->call_all(call.inputs);
    });
  }

  // The tensor a reference names; nullopt while its call has not been made.
  std::optional<SymbolicTensor> resolve(const TensorRef& ref, const std::map<std::string, Entry>& entries,
                                        const std::string& at, bool keras3_history = false) const {
    const auto it = entries.find(ref.layer);
    if (it == entries.end() && ref.layer == "_CONSTANT_VALUE") {
      throw ValueError(
          fmt::format("{}: the call passes a constant (tf.keras's _CONSTANT_VALUE), which strata does "
                      "not read from configs",
                      at));
    }
    if (it == entries.end()) {
      throw ValueError(fmt::format(
          "{}: the call reads a tensor of layer '{}', which the model config does not have", at, ref.layer));
    }
    const Entry& source = it->second;
    const int64_t offset = keras3_history ? 0 : source.offset;
    const int64_t call = ref.node < offset ? -1 : ref.node - offset;
    const bool input = std::dynamic_pointer_cast<InputLayer>(source.made.impl) != nullptr;
    const size_t total = input ? 1 : source.nodes.size();
    if (call < 0 || call >= static_cast<int64_t>(total)) {
      throw ValueError(
          fmt::format("{}: the call reads node {} of layer '{}', which has {} call(s) in the config", at,
                      ref.node, ref.layer, total));
    }
    if (call >= static_cast<int64_t>(source.calls.size())) {
      blocked_on_ = ref.layer;
      return std::nullopt;
    }
    const std::vector<SymbolicTensor>& outputs = source.calls[call];
    if (ref.index < 0 || ref.index >= static_cast<int64_t>(outputs.size())) {
      throw ValueError(
          fmt::format("{}: the call reads output {} of layer '{}' (node {}), which has {} output(s)", at,
                      ref.index, ref.layer, ref.node, outputs.size()));
    }
    return outputs[ref.index];
  }

  // Collects the tensors of a Keras 3 argument (a tensor, or lists and tuples of them) in order; false when
  // one is not made yet. Values that are not tensors go to `other`.
  bool collect(const json& value, const std::map<std::string, Entry>& entries, const std::string& at,
               std::vector<SymbolicTensor>& tensors, bool& other, bool legacy) const {
    std::optional<TensorRef> ref = legacy ? std::nullopt : keras3_tensor(value, at);
    if (!ref && legacy && is_legacy_ref(value))
      ref = TensorRef{value[0].get<std::string>(), value[1].get<int64_t>(), value[2].get<int64_t>()};
    if (ref) {
      std::optional<SymbolicTensor> t = resolve(*ref, entries, at, !legacy);
      if (!t) return false;
      tensors.push_back(*t);
      return true;
    }
    if (value.is_array()) {
      for (const json& item : value) {
        if (!collect(item, entries, at, tensors, other, legacy)) return false;
      }
      return true;
    }
    // Keras 3 serializes a tuple as {"class_name": "__tuple__", "config": {"value": [...]}}.
    if (value.is_object() && value.value("class_name", json()) == "__tuple__" && value.contains("config")) {
      return collect(member(value["config"], "value", at), entries, at, tensors, other, legacy);
    }
    if (!value.is_null()) other = true;
    return true;
  }

  // `values_allowed`: an operation's call, whose positional arguments may be numbers.
  std::optional<ConfigCall> read_node(const json& node, const std::map<std::string, Entry>& entries,
                                      const std::string& at, bool values_allowed) const {
    ConfigCall call;
    json kwargs = json::object();
    bool legacy = node.is_array();
    call.legacy = legacy;
    if (legacy) {
      // Keras 2: [[layer, node, tensor, kwargs], ...], one entry per input (the kwargs are the call's).
      if (node.empty())
        throw ValueError(fmt::format("{}: expected the call's inputs, the node lists none", at));
      for (const json& item : node) {
        if (!item.is_array() || (item.size() != 3 && item.size() != 4) ||
            !is_legacy_ref(json::array({item[0], item[1], item[2]}))) {
          throw ValueError(fmt::format(
              "{}: expected [layer name, node index, tensor index, kwargs], received {}", at, shown(item)));
        }
        std::optional<SymbolicTensor> t = resolve(
            {item[0].get<std::string>(), item[1].get<int64_t>(), item[2].get<int64_t>()}, entries, at);
        if (!t) return std::nullopt;
        call.inputs.push_back(*t);
        call.arguments.push_back({{*t}, false, json()});
        if (item.size() == 4) {
          if (!item[3].is_object()) {
            throw ValueError(fmt::format("{}: expected the call's kwargs to be an object, received {}", at,
                                         shown(item[3])));
          }
          kwargs = item[3];
        }
      }
    } else {
      // Keras 3: {"args": [...], "kwargs": {...}}.
      if (!node.is_object()) {
        throw ValueError(fmt::format(
            "{}: expected a node (a list, or an object with args and kwargs), received {}", at, shown(node)));
      }
      const json& args = member(node, "args", at);
      if (!args.is_array()) {
        throw ValueError(fmt::format("{}: expected 'args' to be a list, received {}", at, shown(args)));
      }
      for (const json& arg : args) {
        ConfigArgument argument;
        bool other = false;
        if (!collect(arg, entries, at, argument.tensors, other, false)) return std::nullopt;
        if (other && (!values_allowed || !argument.tensors.empty())) {
          throw ValueError(fmt::format("{}: the call passes positional arguments that are not tensors: {}",
                                       at, shown(args)));
        }
        argument.list = !argument.tensors.empty() && (arg.is_array() || arg.is_object()) &&
                        !keras3_tensor(arg, at).has_value();
        if (argument.tensors.empty()) argument.value = arg;
        call.inputs.insert(call.inputs.end(), argument.tensors.begin(), argument.tensors.end());
        call.arguments.push_back(std::move(argument));
      }
      if (node.contains("kwargs")) kwargs = node["kwargs"];
      if (!kwargs.is_object()) {
        throw ValueError(
            fmt::format("{}: expected 'kwargs' to be an object, received {}", at, shown(kwargs)));
      }
    }
    for (const auto& [key, value] : kwargs.items()) {
      if (value.is_null()) continue;
      std::vector<SymbolicTensor> tensors;
      bool other = false;
      // A list of tensors with None in places (Attention's mask=[None, value_mask]) keeps its places: a
      // None becomes an empty tensor, which only the layers that take one accept (expect_config_kwargs).
      const auto is_null = [](const json& v) { return v.is_null(); };
      // Keras 3 fills in mask=[None, None] for a layer whose call takes a mask and got none: no tensors.
      if (value.is_array() && !value.empty() && std::all_of(value.begin(), value.end(), is_null)) continue;
      const bool holes = value.is_array() && std::any_of(value.begin(), value.end(), is_null);
      if (holes) {
        for (const json& item : value) {
          if (item.is_null()) {
            tensors.emplace_back();
          } else if (!collect(item, entries, at, tensors, other, legacy)) {
            return std::nullopt;
          }
        }
      } else if (!collect(value, entries, at, tensors, other, legacy)) {
        return std::nullopt;
      }
      if (!tensors.empty() && other) {
        throw ValueError(fmt::format("{}: the keyword argument '{}' mixes tensors and other values: {}", at,
                                     key, shown(value)));
      }
      if (!tensors.empty()) {
        call.tensor_kwargs[key] = std::move(tensors);
      } else {
        call.kwargs[key] = value;
      }
    }
    return call;
  }

  // The references of a structure of them in Keras's flattened order (tree.flatten): lists in order, dicts
  // by sorted key (nlohmann's objects iterate so), nested up to 32 levels.
  static void flatten_refs(const json& node, std::vector<json>& refs, int depth, const std::string& at) {
    if (is_legacy_ref(node)) {
      refs.push_back(node);
      return;
    }
    if ((!node.is_array() && !node.is_object()) || depth > 32) {
      throw ValueError(fmt::format(
          "{}: expected [layer name, node index, tensor index], or a list or dict of them, received {}", at,
          shown(node)));
    }
    for (const json& child : node) flatten_refs(child, refs, depth + 1, at);
  }

  // input_layers and output_layers: one reference (Keras 3 for a single tensor), or a list or a dict of them
  // (Keras 3 for a model of dict inputs or outputs), flattened as Keras flattens them.
  std::vector<SymbolicTensor> endpoints(const json& list, const std::map<std::string, Entry>& entries,
                                        const std::string& at) const {
    std::vector<json> refs;
    flatten_refs(list, refs, 0, at);
    std::vector<SymbolicTensor> tensors;
    for (const json& ref : refs) {
      if (!is_legacy_ref(ref)) {
        throw ValueError(
            fmt::format("{}: expected [layer name, node index, tensor index], received {}", at, shown(ref)));
      }
      std::optional<SymbolicTensor> t =
          resolve({ref[0].get<std::string>(), ref[1].get<int64_t>(), ref[2].get<int64_t>()}, entries, at);
      if (!t) {
        throw ValueError(fmt::format("{}: {} names a call that the config never makes", at, shown(ref)));
      }
      tensors.push_back(*t);
    }
    return tensors;
  }

  ConfigOrigin origin_;
  std::map<int64_t, MadeLayer> shared_;  // by shared_object_id
  std::set<std::string> extra_op_names_;  // the names given to an operation's later calls
  // The layer whose call the last unresolved reference waits for.
  mutable std::string blocked_on_;
};

}  // namespace

Model model_from_config(const nlohmann::json& entry, const ConfigOrigin& origin) {
  Reader reader(origin);
  return *reader.model(entry, "model config", 0).model;
}

}  // namespace strata::detail
