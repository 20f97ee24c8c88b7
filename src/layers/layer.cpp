#include "strata/layer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "graph/node.hpp"
#include "layers/input_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"
#include "strata/layer_registry.hpp"

namespace strata {

namespace {

const detail::LayerImpl& checked(const std::shared_ptr<detail::LayerImpl>& impl) {
  if (!impl) throw ValueError("[Layer] This Layer handle is empty");
  return *impl;
}

std::shared_ptr<detail::Node> first_call(const std::shared_ptr<detail::LayerImpl>& impl, const char* what) {
  const detail::LayerImpl& layer = checked(impl);
  if (auto input = std::dynamic_pointer_cast<detail::InputLayer>(impl)) return detail::input_tensor(input).node();
  if (layer.inbound_nodes.empty()) {
    throw GraphError(fmt::format("{} The layer has never been called, so it has no {}", layer.prefix(), what));
  }
  auto node = layer.inbound_nodes.front().lock();
  if (!node) {
    throw GraphError(fmt::format("{} The graph of the layer's first call no longer exists, so it has no {}",
                                 layer.prefix(), what));
  }
  return node;
}

}  // namespace

const std::string& Layer::name() const { return checked(impl_).name(); }

std::string Layer::class_name() const { return checked(impl_).class_name(); }

std::string Layer::get_config() const {
  const detail::LayerImpl& layer = checked(impl_);
  if (dynamic_cast<const detail::FunctionalImpl*>(&layer) != nullptr) {
    throw ValueError(fmt::format("{} A model's config is its topology, not a layer config", layer.prefix()));
  }
  return detail::get_layer_config(layer).dump();
}

Layer layer_from_config(const std::string& class_name, const std::string& config_json) {
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(config_json);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number past double
    throw ValueError(fmt::format("[{}] The config is not valid JSON: {}", class_name, e.what()));
  }
  return Layer(detail::layer_from_config(class_name, config));
}

std::vector<std::string> registered_layer_classes() {
  return detail::registered_layer_classes();
}

std::vector<LayerArgument> layer_arguments(const std::string& class_name) {
  const detail::LayerEntry* entry = detail::find_layer_class(class_name);
  if (entry == nullptr) {
    throw ValueError(fmt::format("Unknown layer class '{}'; strata has {}", class_name,
                                 fmt::join(detail::registered_layer_classes(), ", ")));
  }
  std::vector<LayerArgument> out;
  if (entry->schema == nullptr) return out;
  for (const detail::ArgumentInfo& a : entry->schema->infos()) {
    out.push_back({a.key, a.type, a.cpp_default, a.place == detail::ArgumentPlace::kPositional});
  }
  return out;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> weights;
  for (const detail::Variable& v : checked(impl_).weights()) weights.push_back(*v.tensor());
  return weights;
}

void Layer::set_weights(const std::vector<Tensor>& weights) {
  checked(impl_);
  impl_->set_weights(weights);
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const detail::Variable& v : checked(impl_).weights()) n += v.size();
  return n;
}

namespace {

// Keras's Functional.input and .output are the tensors the model was built from, called or not (what
// `base_model.output` in transfer learning relies on).
const std::vector<SymbolicTensor>* own_tensors(const std::shared_ptr<detail::LayerImpl>& impl, bool outputs) {
  const auto* model = dynamic_cast<const detail::FunctionalImpl*>(impl.get());
  if (!model) return nullptr;
  return outputs ? &model->outputs() : &model->inputs();
}

SymbolicTensor single_own_tensor(const detail::LayerImpl& model, const std::vector<SymbolicTensor>& tensors,
                                 const char* what) {
  if (tensors.size() != 1) {
    throw GraphError(fmt::format("{} The model has {} {}s; {}() needs exactly one (use {}s())",
                                 model.prefix(), tensors.size(), what, what, what));
  }
  return tensors.front();
}

}  // namespace

SymbolicTensor Layer::output() const {
  if (const auto* own = own_tensors(impl_, /*outputs=*/true))
    return single_own_tensor(*impl_, *own, "output");
  auto node = first_call(impl_, "output");
  if (node->output_shapes.size() != 1) {
    throw GraphError(fmt::format("{} The layer has {} outputs; output() needs exactly one", impl_->prefix(),
                                 node->output_shapes.size()));
  }
  return SymbolicTensor(node, 0);
}

SymbolicTensor Layer::input() const {
  if (const auto* own = own_tensors(impl_, /*outputs=*/false))
    return single_own_tensor(*impl_, *own, "input");
  auto node = first_call(impl_, "input");
  if (node->is_input()) return SymbolicTensor(node, 0);
  if (node->arguments().size() != 1) {
    throw GraphError(fmt::format("{} The layer's first call had {} inputs; input() needs exactly one",
                                 impl_->prefix(), node->arguments().size()));
  }
  return node->inputs.front();
}

std::vector<SymbolicTensor> Layer::inputs() const {
  if (const auto* own = own_tensors(impl_, /*outputs=*/false)) return *own;
  auto node = first_call(impl_, "input");
  if (node->is_input()) return {SymbolicTensor(node, 0)};
  return node->arguments();
}

bool Layer::trainable() const { return checked(impl_).trainable; }

void Layer::set_trainable(bool trainable) {
  checked(impl_);
  impl_->trainable = trainable;
}

std::vector<SymbolicTensor> Layer::call(const std::vector<SymbolicTensor>& inputs) const {
  checked(impl_);
  return detail::call_layer(impl_, inputs);
}

std::vector<SymbolicTensor> Layer::call_masked(const std::vector<SymbolicTensor>& inputs,
                                               const SymbolicTensor& mask) const {
  checked(impl_);
  if (!mask) {
    throw ValueError(fmt::format("{} call_masked: the mask is an empty SymbolicTensor", impl_->prefix()));
  }
  return detail::call_layer(impl_, inputs, mask);
}

namespace detail {

namespace {

// Calls made while a layer computes its output masks (Embedding's not_equal): their nodes are automatic.
thread_local int computing_masks = 0;

// Keras's `mask` argument of a call, given or filled in: Layer.__call__ fills it in from the only tensor
// argument's mask. The recurrent and pooling layers read one mask per step, so it must have the first input's
// dims without the last.
SymbolicTensor call_mask(const LayerImpl& layer, const std::vector<SymbolicTensor>& inputs,
                         const SymbolicTensor& given) {
  if (given && !layer.takes_mask()) {
    throw ValueError(fmt::format("{} The call passes a mask ({}), but this layer takes none", layer.prefix(),
                                 given.name()));
  }
  for (const SymbolicTensor& t : inputs) {
    if (layer.holds_graph() && t && t.mask()) {
      throw ValueError(fmt::format(
          "{} Input {} carries a mask (from {}); Keras passes it on to the layers inside this call, which "
          "strata does not do for a model or subclassed layer called as a layer yet. Call its layers on the "
          "tensor instead",
          layer.prefix(), t.name(), t.mask().name()));
    }
  }
  SymbolicTensor mask = given;
  if (!mask && layer.takes_mask() && inputs.size() == 1) mask = inputs.front().mask();
  if (!mask) return mask;
  const Shape& x = inputs.front().shape();
  const Shape& m = mask.shape();
  // The batch must be the input's (both unknown, or one size); a step count may be unknown on either side,
  // which lowering checks on the plan's shapes.
  bool ok = m.rank() == x.rank() - 1 && m.rank() > 0 && m[0] == x[0];
  for (int d = 1; ok && d < m.rank(); ++d) ok = !m[d] || !x[d] || *m[d] == *x[d];
  if (!ok) {
    throw ShapeError(fmt::format(
        "{} Expected a mask of the input's shape without its last axis ({} for input shape {}), received "
        "{} of shape {}",
        layer.prefix(),
        Shape(std::vector<Dim>(x.dims().begin(), x.dims().end() - (x.rank() > 0 ? 1 : 0))).to_string(),
        x.to_string(), mask.name(), m.to_string()));
  }
  layer.check_mask(mask);
  return mask;
}

}  // namespace

std::vector<SymbolicTensor> call_layer(const std::shared_ptr<LayerImpl>& impl,
                                       const std::vector<SymbolicTensor>& inputs,
                                       const SymbolicTensor& given_mask) {
  const LayerImpl& layer = *impl;
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      throw ValueError(fmt::format("{} Input {} is an empty SymbolicTensor; expected the output of Input() or "
                                   "of a layer call",
                                   layer.prefix(), i));
    }
    shapes.push_back(inputs[i].shape());
  }
  if (inputs.empty() && !impl->takes_no_inputs()) {
    throw ValueError(fmt::format("{} Expected at least one input, received none", layer.prefix()));
  }
  if (inputs.empty() && given_mask) {
    throw ValueError(fmt::format("{} The call passes a mask but no input", layer.prefix()));
  }
  const SymbolicTensor mask = inputs.empty() ? SymbolicTensor() : call_mask(layer, inputs, given_mask);
  // Every tensor has an unknown batch but ops::arange's (1): only layers that broadcast may mix the two.
  if (!impl->broadcasts_batch()) {
    for (size_t i = 1; i < shapes.size(); ++i) {
      if (shapes[i].rank() > 0 && shapes[0].rank() > 0 && shapes[i][0] != shapes[0][0]) {
        throw ShapeError(fmt::format(
            "{} Expected inputs of one batch, received shapes {} and {}: a tensor made from ops::arange has "
            "a "
            "batch of 1, which only element-wise ops and merge layers broadcast (add it to a batched tensor "
            "first)",
            layer.prefix(), shapes[0].to_string(), shapes[i].to_string()));
      }
    }
  }
  // The shape rule runs first and may throw; only then is the layer built and the node added, so a failed
  // call leaves the layer as it was.
  std::vector<DType> input_dtypes;
  for (const SymbolicTensor& t : inputs) input_dtypes.push_back(t.dtype());
  impl->prepare_call(shapes, input_dtypes);
  std::vector<Shape> output_shapes = layer.compute_output_shapes(shapes);
  for (const Shape& s : output_shapes) check_shape_size(layer.prefix(), "output", s);
  std::vector<DType> output_dtypes = layer.compute_output_dtypes(input_dtypes, output_shapes.size());
  const bool was_built = impl->built();
  if (!was_built) {
    try {
      impl->build(shapes);
    } catch (const ResourceError& e) {
      impl->discard_build();
      throw ResourceError(fmt::format("{} {}", layer.prefix(), e.what()));
    } catch (const std::bad_alloc&) {
      impl->discard_build();
      throw ResourceError(
          fmt::format("{} Could not allocate memory for the layer's weights", layer.prefix()));
    } catch (const ValueError& e) {
      // An initializer that cannot make a weight of this shape (Identity of a rank-4 kernel).
      impl->discard_build();
      const std::string message = e.what();
      if (message.starts_with(layer.prefix())) throw;
      throw ValueError(fmt::format("{} {}", layer.prefix(), message));
    } catch (...) {
      impl->discard_build();
      throw;
    }
    impl->mark_built();
  }
  auto node = std::make_shared<Node>();
  node->layer = impl;
  node->inputs = inputs;
  if (mask) {
    node->inputs.push_back(mask);
    node->mask_input = true;
  }
  // Readers of Node::mask() find the mask argument before the hidden masks; no layer has both yet, and the
  // code that takes `inputs.back()` for the mask argument relies on it.
  if (layer.reads_input_masks() && layer.takes_mask()) {
    throw InternalError(fmt::format("{} takes a mask argument and reads its inputs' masks", layer.prefix()));
  }
  if (layer.reads_input_masks()) {
    for (const SymbolicTensor& t : inputs) {
      if (!t.mask()) continue;
      node->inputs.push_back(t.mask());
      ++node->hidden_masks;
    }
  }
  node->output_shapes = std::move(output_shapes);
  node->output_dtypes = std::move(output_dtypes);
  node->padding = layer.static_padding(shapes);
  node->index_in_layer = static_cast<int>(impl->inbound_nodes.size());
  node->automatic_mask = computing_masks > 0;
  impl->inbound_nodes.push_back(node);
  // Keras's _set_mask_metadata, after the call. A layer that refuses the masks it was given (a merge whose
  // masked arithmetic strata lacks) throws here; the call is then undone.
  try {
    ++computing_masks;
    node->output_masks = impl->compute_masks(*node);
    --computing_masks;
  } catch (...) {
    --computing_masks;
    impl->inbound_nodes.pop_back();
    if (!was_built) impl->discard_build();
    throw;
  }
  node->output_masks.resize(node->output_shapes.size());
  std::vector<SymbolicTensor> outputs;
  for (size_t i = 0; i < node->output_shapes.size(); ++i) outputs.emplace_back(node, static_cast<int>(i));
  return outputs;
}

}  // namespace detail

}  // namespace strata
