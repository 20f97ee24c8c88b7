#pragma once
/// @file custom_layer.hpp
/// User-defined layers: a shape rule, weights, and a plain C++ kernel that strata runs between oneDNN
/// primitives (and in the reference backend). See docs/custom_layers.md and samples/custom_layer.cpp.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "strata/layer.hpp"
#include "strata/parallel.hpp"

namespace strata {

/// One weight a custom layer creates when it is first called.
struct WeightSpec {
  /// The weight's name, e.g. "scale".
  std::string name;
  /// Its initial value; the shape fixes what `set_weights` accepts.
  Tensor initial;
  /// Whether the summary counts it as trainable.
  bool trainable = true;
};

/// Subclass this to define a layer with several outputs (a Keras layer whose `call` returns a list);
/// CustomLayerDefinition is the same with one. The object is shared by every call of the layer and by
/// compiled plans, so its methods must be const-safe to call from several threads at once.
class MultiOutputLayerDefinition {
 public:
  virtual ~MultiOutputLayerDefinition() = default;
  /// The class name shown by summaries and used for default names (`"ChannelScale"` -> `channel_scale`).
  virtual std::string class_name() const = 0;
  /// The shape rule: the shape of each output, in order, from the input shapes (batch first, dims possibly
  /// unknown); at least one. Throw strata::ShapeError for inputs the layer cannot take; strata adds the
  /// layer's name to the message.
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const = 0;
  /// The weights to create on the first call. The default creates none.
  virtual std::vector<WeightSpec> build(const std::vector<Shape>& inputs) const;
  /// The kernel: fill each of `outputs` (already sized to its shape) from the inputs and the current weights.
  virtual void call_outputs(const std::vector<const Tensor*>& inputs,
                            const std::vector<const Tensor*>& weights,
                            const std::vector<Tensor*>& outputs) const = 0;
  /// Multiply-accumulates per sample, for summaries with `show_costs`. The default is 0.
  virtual int64_t macs(const std::vector<Shape>& inputs) const;
  /// The layer's own arguments as a JSON object (text), Keras's `get_config()` without the name,
  /// `trainable` and `dtype` strata adds. The default is `{}`. A factory given to `register_custom_layer`
  /// reads them back.
  virtual std::string get_config() const;
};

/// Subclass this to define a layer with one output, the common case: a shape rule and a kernel for it.
class CustomLayerDefinition : public MultiOutputLayerDefinition {
 public:
  /// The shape rule: the output shape from the input shapes (batch first, dims possibly unknown). Throw
  /// strata::ShapeError for inputs the layer cannot take; strata adds the layer's name to the message.
  virtual Shape compute_output_shape(const std::vector<Shape>& inputs) const = 0;
  /// The kernel: fill `output` (already sized to the output shape) from the inputs and the current weights.
  virtual void call(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& weights,
                    Tensor& output) const = 0;
  /// One output: compute_output_shape's.
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const final;
  /// One output: filled by call.
  void call_outputs(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& weights,
                    const std::vector<Tensor*>& outputs) const final;
};

/// Makes a definition from a layer's whole config (JSON text: the custom layer's own keys and the `name`,
/// `trainable` and `dtype` every layer has).
using CustomLayerFactory =
    std::function<std::shared_ptr<const MultiOutputLayerDefinition>(const std::string& config_json)>;

/// Registers a custom layer class, so that `layer_from_config` (and, later, model files) can make it.
/// Throws ValueError for an empty class name, a null factory, or a class name already registered (a
/// built-in layer or an earlier registration). The factory's definition must report `class_name`.
void register_custom_layer(const std::string& class_name, CustomLayerFactory factory);

/// The layer handle for a CustomLayerDefinition (or MultiOutputLayerDefinition): call it like any built-in
/// layer.
class CustomLayer : public Layer {
 public:
  /// Wraps `definition`. Throws ValueError for a null definition or an empty class name.
  explicit CustomLayer(std::shared_ptr<const MultiOutputLayerDefinition> definition,
                       LayerOptions options = {});
  /// Calls the layer on one input. Throws ValueError for a layer of several outputs (use call_all).
  SymbolicTensor operator()(const SymbolicTensor& input) const;
  /// Calls the layer on several inputs. Throws ValueError for a layer of several outputs (use call_all).
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
  /// Calls the layer on `inputs` and returns every output, in the definition's order (Keras's list).
  std::vector<SymbolicTensor> call_all(const std::vector<SymbolicTensor>& inputs) const;
};

}  // namespace strata
