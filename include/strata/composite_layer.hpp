#pragma once
/// @file composite_layer.hpp
/// Layers built from strata layers and ops, as Keras's subclassed layers whose `call` calls other layers.
/// They compile like the layers they are made of: the compiler inlines each call's graph, so its
/// convolutions fuse with their activations and neighbours and run as oneDNN primitives on every thread.
/// See docs/custom_layers.md.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata {

/// Subclass this to define a layer whose `call` composes strata layers and ops. Make the layers that hold
/// weights in the constructor and `track` them under the attribute names Keras would see (`self.reduce =
/// Conv2D(...)` is `track("reduce", layers::Conv2D(...))`): Keras 3's weight files store them at
/// `<layer path>/<attribute>/vars`, and `get_weights` lists them in tracking order. `call` uses them on
/// symbolic tensors. Each call of the CompositeLayer on inputs of new shapes runs `call` once, on inputs of
/// those shapes, and keeps the graph it builds. A layer with weights that `call` uses without tracking it
/// is an error (its weights could be neither saved nor loaded). The object is shared by every call of the
/// layer, so `call` must not change it.
class CompositeLayerDefinition {
 public:
  /// Layers tracked under one attribute: one layer, or a list (`self.blocks = [...]`), which Keras's
  /// files store under `<attribute>/<snake_case class name>[_N]`.
  struct Tracked {
    /// The attribute's name, e.g. "reduce".
    std::string attribute;
    /// The layer, or the list's layers in order.
    std::vector<Layer> layers;
    /// True for a list.
    bool list = false;
  };

  virtual ~CompositeLayerDefinition() = default;
  /// The class name shown by summaries and used for default names (`"SqueezeExcite"` -> `squeeze_excite`).
  virtual std::string class_name() const = 0;
  /// The body of a layer with one input and one output: the output from `input` (a symbolic tensor of the
  /// call's shape). The default throws ValueError: override this or call_all.
  virtual SymbolicTensor call(const SymbolicTensor& input) const;
  /// The body of a layer with any number of inputs or outputs (Keras's `call` taking or returning a list).
  /// The default requires one input and returns `{call(inputs[0])}`.
  virtual std::vector<SymbolicTensor> call_all(const std::vector<SymbolicTensor>& inputs) const;
  /// The layer's own arguments as a JSON object (text), Keras's `get_config()` without the name,
  /// `trainable` and `dtype` strata adds. The default is `{}`. A factory given to
  /// `register_composite_layer` reads them back.
  virtual std::string get_config() const;
  /// The tracked attributes, in tracking order.
  const std::vector<Tracked>& tracked() const { return tracked_; }

 protected:
  /// Tracks `layer` as the attribute `attribute` and returns it, for a member initializer:
  /// `reduce_(track("reduce", layers::Conv2D(8, 1)))`. Throws ValueError for an empty name or handle, or an
  /// attribute tracked twice.
  template <class L>
  L track(std::string attribute, L layer) {
    add_tracked(std::move(attribute), {Layer(layer)}, false);
    return layer;
  }
  /// Tracks a list of layers as the attribute `attribute` and returns it.
  template <class L>
  std::vector<L> track(std::string attribute, std::vector<L> layers) {
    add_tracked(std::move(attribute), std::vector<Layer>(layers.begin(), layers.end()), true);
    return layers;
  }

 private:
  void add_tracked(std::string attribute, std::vector<Layer> layers, bool list);
  std::vector<Tracked> tracked_;
};

/// Makes a definition from a layer's whole config (JSON text: the layer's own keys and the `name`,
/// `trainable` and `dtype` every layer has).
using CompositeLayerFactory =
    std::function<std::shared_ptr<const CompositeLayerDefinition>(const std::string& config_json)>;

/// Registers a composite layer class, so that `layer_from_config` (and model files) can make it. Throws
/// ValueError for an empty class name, a null factory, or a class name already registered. The factory's
/// definition must report `class_name`.
void register_composite_layer(const std::string& class_name, CompositeLayerFactory factory);

/// The layer handle for a CompositeLayerDefinition: call it like any built-in layer.
class CompositeLayer : public Layer {
 public:
  /// Wraps `definition`. Throws ValueError for a null definition or an empty class name.
  explicit CompositeLayer(std::shared_ptr<const CompositeLayerDefinition> definition,
                          LayerOptions options = {});
  /// Calls the layer on one input. Throws ValueError for a layer of several outputs (use call_all).
  SymbolicTensor operator()(const SymbolicTensor& input) const;
  /// Calls the layer on several inputs. Throws ValueError for a layer of several outputs (use call_all).
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
  /// Calls the layer on `inputs` and returns every output, in `call_all`'s order.
  std::vector<SymbolicTensor> call_all(const std::vector<SymbolicTensor>& inputs) const;
};

}  // namespace strata
