#include "graph/functional.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "layers/op_layer.hpp"
#include "runtime/compiled_model_impl.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

bool same_tensor(const SymbolicTensor& a, const SymbolicTensor& b) { return a == b; }

struct GraphWalk {
  const std::vector<SymbolicTensor>& model_inputs;
  std::string model_prefix;
  std::set<const Node*> finished;
  std::set<const Node*> in_progress;
  std::vector<std::shared_ptr<Node>> decreasing_depth;  // post-order: parents before children
  std::map<const LayerImpl*, int> layer_index;          // order first met walking back from the outputs
  // Keras's own walk: the call's inputs only, not the masks a layer reads inside its call
  // (Node::hidden_masks).
  bool call_inputs_only = false;

  std::vector<SymbolicTensor> parents(const Node& node) const {
    return call_inputs_only ? node.call_inputs() : node.inputs;
  }

  // Keras's depth assignment over the nodes walked: a node is one deeper than its deepest consumer; a layer
  // is as deep as its deepest node.
  void assign_depths(std::map<const Node*, int>& node_depth,
                     std::map<const LayerImpl*, int>& layer_depth) const {
    for (auto it = decreasing_depth.rbegin(); it != decreasing_depth.rend(); ++it) {
      const Node* node = it->get();
      const int depth = std::max(node_depth[node], layer_depth[node->layer.get()]);
      layer_depth[node->layer.get()] = depth;
      node_depth[node] = depth;
      if (is_model_input(SymbolicTensor(*it, 0)) && node->is_input()) continue;
      for (const SymbolicTensor& parent : parents(*node)) {
        int& d = node_depth[parent.node().get()];
        d = std::max(d, depth + 1);
      }
    }
  }

  bool is_model_input(const SymbolicTensor& t) const {
    return std::any_of(model_inputs.begin(), model_inputs.end(), [&](const auto& x) { return same_tensor(x, t); });
  }

  // Keras's `_build_map_helper`, plus the disconnection check at the point where it is found, so the message
  // can name the layer that needs the missing input.
  void visit(const SymbolicTensor& tensor, const Node* consumer) {
    const std::shared_ptr<Node>& node = tensor.node();
    if (finished.contains(node.get())) return;
    if (in_progress.contains(node.get())) {
      throw GraphError(fmt::format("{} The graph has a cycle through layer '{}'", model_prefix, node->layer->name()));
    }
    if (node->is_input() && !is_model_input(tensor)) {
      throw GraphError(fmt::format(
          "{} Graph disconnected: cannot find parent for tensor {} (shape {}) at layer '{}'. It is the output of "
          "Input '{}', which is not among the model's inputs. The following previous layers were accessed "
          "without issue: [{}]",
          model_prefix, tensor.name(), tensor.shape().to_string(), consumer ? consumer->layer->name() : "(output)",
          node->layer->name(), accessed_names()));
    }
    layer_index.emplace(node->layer.get(), static_cast<int>(layer_index.size()));
    in_progress.insert(node.get());
    if (!is_model_input(tensor)) {
      for (const SymbolicTensor& parent : parents(*node)) visit(parent, node.get());
    }
    in_progress.erase(node.get());
    finished.insert(node.get());
    decreasing_depth.push_back(node);
  }

  std::string accessed_names() const {
    std::vector<std::string> names;
    for (const auto& n : decreasing_depth) names.push_back("'" + n->layer->name() + "'");
    return fmt::format("{}", fmt::join(names, ", "));
  }
};

}  // namespace

FunctionalImpl::FunctionalImpl(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                               const std::string& name, std::string class_name)
    : LayerImpl(std::move(class_name), name),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {
  map_graph();
  mark_built();
}

void FunctionalImpl::map_graph() {
  const std::string where = fmt::format("[Model \"{}\"]", this->name());
  if (inputs_.empty()) throw GraphError(where + " Expected at least one input, received none");
  if (outputs_.empty()) throw GraphError(where + " Expected at least one output, received none");
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (!inputs_[i]) throw ValueError(fmt::format("{} Input {} is an empty SymbolicTensor", where, i));
    if (!inputs_[i].node()->is_input()) {
      throw GraphError(fmt::format("{} Model inputs must be tensors made by strata::Input; input {} is {}, the "
                                   "output of layer '{}' ({})",
                                   where, i, inputs_[i].name(), inputs_[i].node()->layer->name(),
                                   inputs_[i].node()->layer->class_name()));
    }
    for (size_t j = 0; j < i; ++j) {
      if (inputs_[j] == inputs_[i]) {
        throw GraphError(fmt::format("{} Input {} is given twice (positions {} and {})", where, inputs_[i].name(), j, i));
      }
    }
  }
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (!outputs_[i]) throw ValueError(fmt::format("{} Output {} is an empty SymbolicTensor", where, i));
    // Every input's batch is unknown; a known one comes from ops::arange alone, which one pass computes once
    // whatever the batch (and predict's batch_size would stitch copies of).
    const Shape& s = outputs_[i].shape();
    if (s.rank() > 0 && s[0]) {
      throw GraphError(
          fmt::format("{} Output {} ({}) has a batch of {}: it does not depend on the model's "
                      "inputs (ops::arange alone makes it); add it to a batched tensor first",
                      where, i, outputs_[i].name(), *s[0]));
    }
  }

  GraphWalk walk{inputs_, where, {}, {}, {}, {}};
  for (const SymbolicTensor& out : outputs_) walk.visit(out, nullptr);

  std::map<const Node*, int> node_depth;
  std::map<const LayerImpl*, int> layer_depth;
  walk.assign_depths(node_depth, layer_depth);
  // Inputs the outputs do not need still belong to the model, at depth 0, ahead of the other depth-0 layers.
  for (const SymbolicTensor& in : inputs_) {
    const LayerImpl* layer = in.node()->layer.get();
    if (!layer_depth.contains(layer)) {
      layer_depth[layer] = 0;
      walk.layer_index[layer] = -1;
      node_depth[in.node().get()] = 0;
      walk.decreasing_depth.insert(walk.decreasing_depth.begin(), in.node());
    }
  }

  // The layers' order, which summaries, configs and weight lists show, is Keras's: its walk, depths and ties
  // follow only the edges its graph has (the call's inputs), so a mask op that a Multiply reads deep in the
  // graph keeps the place its visible readers give it. Lowering keeps the order over every input (below),
  // which runs each node after them all.
  GraphWalk listing{inputs_, where, {}, {}, {}, {}, true};
  for (const SymbolicTensor& out : outputs_) listing.visit(out, nullptr);
  const std::set<const Node*>& visible = listing.finished;
  std::map<const LayerImpl*, int> listed_depth;
  {
    std::map<const Node*, int> listed_node_depth;
    listing.assign_depths(listed_node_depth, listed_depth);
  }
  // Layers only hidden edges reach (removed below, unless the user made them) and unused inputs keep the full
  // walk's place.
  const auto depth_for_listing = [&](const LayerImpl* layer) {
    const auto found = listed_depth.find(layer);
    return found != listed_depth.end() ? found->second : layer_depth[layer];
  };
  const auto index_for_listing = [&](const LayerImpl* layer) {
    const auto found = listing.layer_index.find(layer);
    return found != listing.layer_index.end() ? found->second : walk.layer_index[layer];
  };

  std::vector<std::shared_ptr<LayerImpl>> layers;
  std::vector<std::shared_ptr<Node>> order = walk.decreasing_depth;
  std::set<const LayerImpl*> seen;
  for (const auto& node : order) {
    if (seen.insert(node->layer.get()).second) layers.push_back(node->layer);
  }
  std::stable_sort(layers.begin(), layers.end(), [&](const auto& a, const auto& b) {
    const int da = depth_for_listing(a.get()), db = depth_for_listing(b.get());
    if (da != db) return da > db;
    return index_for_listing(a.get()) < index_for_listing(b.get());
  });
  std::map<const Node*, int> post_order;
  for (size_t i = 0; i < order.size(); ++i) post_order[order[i].get()] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const int da = node_depth[a.get()], db = node_depth[b.get()];
    if (da != db) return da > db;
    return post_order[a.get()] < post_order[b.get()];
  });

  // A mask op that only a hidden mask input reads (Keras's Multiply reads its inputs' masks inside its call,
  // so Keras's graph has no edge to them) is computed but is no layer of the model: not in its summary,
  // config or generated code, as in Keras.
  std::erase_if(layers, [&](const std::shared_ptr<LayerImpl>& layer) {
    return std::all_of(order.begin(), order.end(), [&](const auto& node) {
      return node->layer != layer || (node->automatic_mask && !visible.contains(node.get()));
    });
  });

  // Keras's Sequential lists the layers added to it: not the mask ops their calls make (Embedding's
  // not_equal), which stay in the graph and are made again when it is rebuilt.
  if (class_name() == "Sequential") {
    std::erase_if(layers, [&](const std::shared_ptr<LayerImpl>& layer) {
      if (dynamic_cast<const OpLayer*>(layer.get()) == nullptr) return false;
      return std::all_of(order.begin(), order.end(),
                         [&](const auto& node) { return node->layer != layer || node->automatic_mask; });
    });
  }

  std::map<std::string, int> name_count;
  for (const auto& layer : layers) ++name_count[layer->name()];
  for (const auto& layer : layers) {
    const int n = name_count[layer->name()];
    if (n > 1) {
      throw GraphError(fmt::format("{} The name \"{}\" is used {} times in the model. All layer names should be "
                                   "unique.",
                                   where, layer->name(), n));
    }
  }

  // Keras prints the Connected-to column unless every depth has one node with at most one input and no
  // layer is called twice within the model.
  std::map<int, int> nodes_at_depth;
  for (const auto& node : order) ++nodes_at_depth[node_depth[node.get()]];
  sequential_like_ = true;
  for (const auto& node : order) {
    if (nodes_at_depth[node_depth[node.get()]] > 1 || node->inputs.size() > 1) sequential_like_ = false;
  }
  std::map<const LayerImpl*, int> calls_in_model;
  for (const auto& node : order) {
    if (++calls_in_model[node->layer.get()] > 1) sequential_like_ = false;
  }

  layers_ = std::move(layers);
  nodes_ = std::move(order);
  node_depth_ = std::move(node_depth);
}

bool FunctionalImpl::contains(const Node* node) const { return node_depth_.contains(node); }

uint64_t FunctionalImpl::weights_version() const {
  return held_weights_version(layers_);
}

std::vector<Variable> FunctionalImpl::weights() const {
  return held_weights(layers_);
}

std::vector<SublayerGroup> FunctionalImpl::sublayers() const {
  SublayerGroup group{"layers", true, {}};
  for (const auto& layer : layers_) {
    if (is_sequential() && layer->class_name() == "InputLayer") continue;
    // Keras saves `model.layers`, which holds no Operation (`x + y`): no group, no count in the paths.
    if (dynamic_cast<const OpLayer*>(layer.get()) != nullptr) continue;
    group.layers.push_back(layer.get());
  }
  return {group};
}

size_t FunctionalImpl::release_weights(const ReleaseFn& release) {
  return release_held_weights(layers_, release);
}

void FunctionalImpl::set_weights(const std::vector<Tensor>& values) {
  set_held_weights(prefix(), layers_, values);
}

std::vector<Shape> FunctionalImpl::compute_output_shapes(const std::vector<Shape>& inputs) const {
  if (inputs.size() != inputs_.size()) {
    throw ValueError(fmt::format("{} The model expects {} input{}, received {}", prefix(), inputs_.size(),
                                 inputs_.size() == 1 ? "" : "s", inputs.size()));
  }
  // Run every inner shape rule again on the new input shapes: a model built for (None, None, 3) called on
  // (None, 32, 32, 3) gives Keras's concrete output shapes.
  std::map<std::pair<const Node*, int>, Shape> shape_of;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& want = inputs_[i].shape();
    const Shape& got = inputs[i];
    bool ok = got.rank() == want.rank();
    for (int d = 1; ok && d < want.rank(); ++d) ok = !want[d] || !got[d] || *want[d] == *got[d];
    if (!ok) {
      throw ShapeError(fmt::format("{} Input {} ('{}') expected shape {}, received {}", prefix(), i,
                                   inputs_[i].node()->layer->name(), want.to_string(), got.to_string()));
    }
    std::vector<Dim> merged = got.dims();
    for (int d = 1; d < want.rank(); ++d) {
      if (!merged[d]) merged[d] = want[d];
    }
    shape_of[{inputs_[i].node().get(), inputs_[i].index()}] = Shape(merged);
  }
  for (const auto& node : nodes_) {
    if (node->is_input()) continue;
    std::vector<Shape> in;
    for (const SymbolicTensor& t : node->arguments()) in.push_back(shape_of.at({t.node().get(), t.index()}));
    const std::vector<Shape> out = node->layer->compute_output_shapes(in);
    for (size_t k = 0; k < out.size(); ++k) shape_of[{node.get(), static_cast<int>(k)}] = out[k];
  }
  std::vector<Shape> outputs;
  for (const SymbolicTensor& t : outputs_) outputs.push_back(shape_of.at({t.node().get(), t.index()}));
  return outputs;
}

std::vector<DType> FunctionalImpl::compute_output_dtypes(const std::vector<DType>& inputs, size_t) const {
  for (size_t i = 0; i < inputs.size() && i < inputs_.size(); ++i) {
    if (inputs[i] == inputs_[i].dtype()) continue;
    throw ValueError(fmt::format("{} Input {} ('{}') expected dtype {}, received {}", prefix(), i,
                                 inputs_[i].node()->layer->name(), dtype_name(inputs_[i].dtype()),
                                 dtype_name(inputs[i])));
  }
  std::vector<DType> outputs;
  for (const SymbolicTensor& t : outputs_) outputs.push_back(t.dtype());
  return outputs;
}

std::vector<SymbolicTensor> refuse_inner_masks(const std::string& prefix,
                                               const std::vector<SymbolicTensor>& outputs) {
  for (const SymbolicTensor& t : outputs) {
    if (!t.mask()) continue;
    throw ValueError(fmt::format(
        "{} Output {} carries a mask (from {}); Keras passes it to the layers after this call, which strata "
        "does not do for a model or layer called inside another model yet. End the inner graph with a layer "
        "that drops the mask, or call its layers directly",
        prefix, t.name(), t.mask().name()));
  }
  return {};
}

std::vector<SymbolicTensor> FunctionalImpl::compute_masks(const Node&) const {
  return refuse_inner_masks(prefix(), outputs_);
}

std::vector<ir::ValueId> FunctionalImpl::lower_into(ir::Graph& graph, const std::vector<ir::ValueId>& inputs) const {
  std::map<std::pair<const Node*, int>, ir::ValueId> value_of;
  for (size_t i = 0; i < inputs_.size(); ++i) value_of[{inputs_[i].node().get(), inputs_[i].index()}] = inputs[i];
  for (const auto& node : nodes_) {
    if (node->is_input()) continue;
    std::vector<ir::ValueId> ins;
    for (const SymbolicTensor& t : node->inputs) {
      auto it = value_of.find({t.node().get(), t.index()});
      if (it == value_of.end()) {
        throw InternalError(fmt::format("lower: {} is used by '{}' before it is computed", t.name(), node->layer->name()));
      }
      ins.push_back(it->second);
    }
    const std::vector<ir::ValueId> outs = node->layer->lower(graph, *node, ins);
    for (size_t k = 0; k < outs.size(); ++k) value_of[{node.get(), static_cast<int>(k)}] = outs[k];
  }
  std::vector<ir::ValueId> outputs;
  for (const SymbolicTensor& out : outputs_) outputs.push_back(value_of.at({out.node().get(), out.index()}));
  return outputs;
}

std::vector<ir::ValueId> FunctionalImpl::lower(ir::Graph& graph, const Node&, const std::vector<ir::ValueId>& inputs) const {
  return lower_into(graph, inputs);
}

std::shared_ptr<CompiledModelImpl> FunctionalImpl::default_compiled() const {
  std::lock_guard lock(compiled_mutex_);
  // The cache lives inside this model, so it refers back without owning it (owning would be a cycle).
  if (!default_compiled_) default_compiled_ = std::make_shared<CompiledModelImpl>(this, nullptr, CompileOptions{});
  return default_compiled_;
}

}  // namespace strata::detail
