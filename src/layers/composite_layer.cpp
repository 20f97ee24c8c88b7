// Composite layers: a user's `call` made of strata layers and ops, run once per input signature on
// symbolic inputs. The graph it builds is kept as an inner functional graph and inlined by the compiler
// wherever the layer is called, exactly as a nested model is, so nothing of it runs outside oneDNN's
// fused steps. The layer's weights are those of the layers it tracks, nested under their attribute names
// as Keras 3's saving walks a subclassed layer's attributes.
#include "strata/composite_layer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "core/session.hpp"
#include "graph/functional.hpp"
#include "graph/node.hpp"
#include "layers/user_layers.hpp"
#include "strata/error.hpp"

namespace strata {

SymbolicTensor CompositeLayerDefinition::call(const SymbolicTensor&) const {
  throw ValueError(
      fmt::format("[{}] The definition overrides neither call(input) nor call_all(inputs)", class_name()));
}

std::vector<SymbolicTensor> CompositeLayerDefinition::call_all(
    const std::vector<SymbolicTensor>& inputs) const {
  if (inputs.size() != 1) {
    throw ValueError(fmt::format(
        "Expected 1 input, received {}; a layer of several inputs overrides call_all", inputs.size()));
  }
  return {call(inputs.front())};
}

std::string CompositeLayerDefinition::get_config() const {
  return "{}";
}

void CompositeLayerDefinition::add_tracked(std::string attribute, std::vector<Layer> layers, bool list) {
  if (attribute.empty()) throw ValueError("[track] Expected an attribute name, received \"\"");
  for (const Tracked& t : tracked_) {
    if (t.attribute == attribute)
      throw ValueError(fmt::format("[track] The attribute '{}' is tracked twice", attribute));
  }
  for (const Layer& layer : layers) {
    if (!layer)
      throw ValueError(fmt::format("[track] The attribute '{}' holds an empty Layer handle", attribute));
  }
  tracked_.push_back({std::move(attribute), std::move(layers), list});
}

namespace detail {
namespace {

// One run of the definition's `call`: the input signature it ran on and the graph it built.
struct Expansion {
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  std::shared_ptr<FunctionalImpl> graph;
};

template <class E>
[[noreturn]] void rethrow_with(const std::string& prefix, const E& e) {
  const std::string message = e.what();
  if (message.starts_with(prefix)) throw e;
  throw E(fmt::format("{} {}", prefix, message));
}

// Rethrows the exception being handled with `prefix` in front, keeping its strata type; any other exception
// becomes a ValueError (a ResourceError when memory ran out).
[[noreturn]] void rethrow_named(const std::string& prefix) {
  try {
    throw;
  } catch (const ShapeError& e) {
    rethrow_with(prefix, e);
  } catch (const GraphError& e) {
    rethrow_with(prefix, e);
  } catch (const ValueError& e) {
    rethrow_with(prefix, e);
  } catch (const ResourceError& e) {
    rethrow_with(prefix, e);
  } catch (const FileError& e) {
    rethrow_with(prefix, e);
  } catch (const InternalError& e) {
    rethrow_with(prefix, e);
  } catch (const std::bad_alloc&) {
    throw ResourceError(fmt::format("{} Out of memory while running call()", prefix));
  } catch (const std::exception& e) {
    throw ValueError(fmt::format("{} call() threw {}", prefix, e.what()));
  }
}

class CompositeLayerImpl : public LayerImpl {
 public:
  CompositeLayerImpl(std::shared_ptr<const CompositeLayerDefinition> definition, const std::string& name)
      : LayerImpl(definition->class_name(), name), definition_(std::move(definition)) {
    std::set<const LayerImpl*> seen;
    for (const auto& group : definition_->tracked()) {
      for (const Layer& layer : group.layers) {
        if (seen.insert(layer.impl().get()).second) tracked_.push_back(layer.impl());
      }
    }
  }

  // The graph of `call` on inputs of these shapes and types, made on first use.
  std::shared_ptr<const FunctionalImpl> expansion(const std::vector<Shape>& shapes,
                                                  const std::vector<DType>& dtypes) const {
    {
      std::lock_guard lock(mutex_);
      for (const Expansion& e : expansions_) {
        if (e.shapes == shapes && e.dtypes == dtypes) return e.graph;
      }
    }
    std::shared_ptr<FunctionalImpl> graph = expand(shapes, dtypes);
    std::lock_guard lock(mutex_);
    expansions_.push_back({shapes, dtypes, graph});
    return graph;
  }

  // call_layer's first step: the body runs on this call's shapes and types, which the shape and type rules
  // after it then find.
  void prepare_call(const std::vector<Shape>& shapes, const std::vector<DType>& dtypes) override {
    expansion(shapes, dtypes);
    std::lock_guard lock(mutex_);
    prepared_ = Expansion{shapes, dtypes, nullptr};
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    // The types are not given here: those of the call being prepared, else of the layer's first call (a
    // model holding this layer called on other shapes), float32 for a first use.
    std::vector<DType> dtypes(inputs.size(), DType::kFloat32);
    {
      std::lock_guard lock(mutex_);
      if (prepared_.shapes == inputs) {
        dtypes = prepared_.dtypes;
      } else if (!expansions_.empty() && expansions_.front().dtypes.size() == inputs.size()) {
        dtypes = expansions_.front().dtypes;
      }
    }
    return expansion(inputs, dtypes)->compute_output_shapes(inputs);
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    std::vector<Shape> shapes;
    {
      std::lock_guard lock(mutex_);
      shapes = prepared_.shapes;
    }
    std::vector<DType> out;
    for (const SymbolicTensor& t : expansion(shapes, inputs)->outputs()) out.push_back(t.dtype());
    return out;
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    return graph_of(node)->lower_into(graph, inputs);
  }

  int64_t macs(const Node& node) const override {
    const std::shared_ptr<const FunctionalImpl> inner = graph_of(node);
    int64_t n = 0;
    for (const auto& inner_node : inner->nodes()) {
      if (!inner_node->is_input()) n += inner_node->layer->macs(*inner_node);
    }
    return n;
  }

  nlohmann::json config() const override { return parse_user_config(prefix(), definition_->get_config()); }

  std::vector<SublayerGroup> sublayers() const override {
    std::vector<SublayerGroup> groups;
    for (const auto& group : definition_->tracked()) {
      SublayerGroup g{group.attribute, group.list, {}};
      for (const Layer& layer : group.layers) g.layers.push_back(layer.impl().get());
      groups.push_back(std::move(g));
    }
    return groups;
  }

  // Keras's `layer.weights` of a subclassed layer: each tracked layer's weights in tracking order.
  std::vector<Variable> weights() const override { return held_weights(tracked_); }

  void set_weights(const std::vector<Tensor>& values) override {
    set_held_weights(prefix(), tracked_, values);
  }

  uint64_t weights_version() const override { return held_weights_version(tracked_); }

  size_t release_weights(const ReleaseFn& release) override {
    return release_held_weights(tracked_, release);
  }

  bool holds_graph() const override { return true; }

  // Keras's outputs of a subclassed layer keep the masks its inner layers gave them.
  std::vector<SymbolicTensor> compute_masks(const Node& node) const override {
    return refuse_inner_masks(prefix(), graph_of(node)->outputs());
  }

 private:
  // The graph of a node's call, made when the node was (call_layer prepares every call): compiling, which
  // concurrent predicts may do, never runs the user's body.
  std::shared_ptr<const FunctionalImpl> graph_of(const Node& node) const {
    std::vector<Shape> shapes;
    std::vector<DType> dtypes;
    for (const SymbolicTensor& t : node.inputs) {
      shapes.push_back(t.shape());
      dtypes.push_back(t.dtype());
    }
    std::lock_guard lock(mutex_);
    for (const Expansion& e : expansions_) {
      if (e.shapes == shapes && e.dtypes == dtypes) return e.graph;
    }
    throw InternalError(fmt::format("{} No graph of call() for a call of this layer", prefix()));
  }

  // Runs `call` on fresh inputs of these shapes. Its ops and inputs take names of their own (LocalNames), as
  // Keras's trace of a subclassed layer names none; the layers it uses keep theirs.
  std::shared_ptr<FunctionalImpl> expand(const std::vector<Shape>& shapes,
                                         const std::vector<DType>& dtypes) const {
    std::set<std::string> reserved;
    for (const auto& layer : tracked_) reserved.insert(layer->name());
    LocalNames names(std::move(reserved));
    // A failed body leaves the tracked layers as they were: those it built are unbuilt again.
    std::vector<LayerImpl*> unbuilt;
    for (const auto& layer : tracked_) {
      if (!layer->built()) unbuilt.push_back(layer.get());
    }
    const auto undo = [&] {
      for (LayerImpl* layer : unbuilt) layer->discard_build();
    };
    std::vector<SymbolicTensor> inputs;
    std::shared_ptr<FunctionalImpl> graph;
    try {
      for (size_t i = 0; i < shapes.size(); ++i) {
        if (shapes[i].rank() < 2) {
          throw ShapeError(
              fmt::format("Input {} has shape {}; a composite layer's inputs have a batch axis and at "
                          "least one more",
                          i, shapes[i].to_string()));
        }
        std::vector<Dim> dims(shapes[i].dims().begin() + 1, shapes[i].dims().end());
        inputs.push_back(Input(std::move(dims), InputOptions{.name = unique_name("input_layer"),
                                                             .dtype = dtype_name(dtypes[i])}));
      }
      std::vector<SymbolicTensor> outputs = definition_->call_all(inputs);
      if (outputs.empty()) throw ValueError("call_all returned no outputs; expected at least one");
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (!outputs[i])
          throw ValueError(fmt::format("call returned an empty SymbolicTensor as output {}", i));
      }
      graph = std::make_shared<FunctionalImpl>(std::move(inputs), std::move(outputs), name());
    } catch (...) {
      undo();
      rethrow_named(prefix());
    }
    for (const auto& layer : graph->layers()) {
      if (layer->weights().empty()) continue;
      const bool is_tracked =
          std::any_of(tracked_.begin(), tracked_.end(), [&](const auto& t) { return t == layer; });
      if (!is_tracked) {
        undo();
        throw ValueError(
            fmt::format("{} call() uses layer '{}' ({}), which has weights but is not tracked: make it in "
                        "the constructor and "
                        "track it (track(\"attribute\", layer)) so that its weights are the layer's, saved "
                        "and loaded with it",
                        prefix(), layer->name(), layer->class_name()));
      }
    }
    return graph;
  }

  std::shared_ptr<const CompositeLayerDefinition> definition_;
  std::vector<std::shared_ptr<LayerImpl>> tracked_;  // each tracked layer once, in tracking order
  mutable std::mutex mutex_;
  mutable std::vector<Expansion> expansions_;
  Expansion prepared_;  // the call call_layer is making: its shapes and types (no graph)
};

std::shared_ptr<CompositeLayerImpl> make_composite(std::shared_ptr<const CompositeLayerDefinition> definition,
                                                   const std::string& name) {
  if (!definition) throw ValueError("[CompositeLayer] Expected a definition, received a null pointer");
  if (definition->class_name().empty())
    throw ValueError("[CompositeLayer] The definition's class_name() is empty");
  return std::make_shared<CompositeLayerImpl>(std::move(definition), name);
}

}  // namespace
}  // namespace detail

void register_composite_layer(const std::string& class_name, CompositeLayerFactory factory) {
  detail::register_user_class<CompositeLayerDefinition>(
      "register_composite_layer", class_name, std::move(factory),
      [](std::shared_ptr<const CompositeLayerDefinition> definition, const std::string& name) {
        return std::shared_ptr<detail::LayerImpl>(detail::make_composite(std::move(definition), name));
      });
}

CompositeLayer::CompositeLayer(std::shared_ptr<const CompositeLayerDefinition> definition,
                               LayerOptions options) {
  impl_ = detail::make_composite(std::move(definition), options.name);
}

SymbolicTensor CompositeLayer::operator()(const SymbolicTensor& input) const {
  return (*this)(std::vector{input});
}

namespace {

// Expands the layer with the inputs' types before call_layer asks its shape rule, which does not see them.
// Returns the number of outputs, or nothing for an empty input (call_layer's own message names it).
std::optional<size_t> prepare(const std::shared_ptr<detail::LayerImpl>& impl,
                              const std::vector<SymbolicTensor>& inputs) {
  if (!impl) throw ValueError("[Layer] This Layer handle is empty");
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (const SymbolicTensor& t : inputs) {
    if (!t) return std::nullopt;
    shapes.push_back(t.shape());
    dtypes.push_back(t.dtype());
  }
  return static_cast<const detail::CompositeLayerImpl&>(*impl).expansion(shapes, dtypes)->outputs().size();
}

}  // namespace

SymbolicTensor CompositeLayer::operator()(const std::vector<SymbolicTensor>& inputs) const {
  const std::optional<size_t> outputs = prepare(impl_, inputs);
  if (!outputs) return call(inputs).front();
  return detail::single_output(*impl_, *outputs, [&] { return call(inputs); });
}

std::vector<SymbolicTensor> CompositeLayer::call_all(const std::vector<SymbolicTensor>& inputs) const {
  return call(inputs);
}

}  // namespace strata
