#pragma once
/// @file layer.hpp
/// `strata::Layer`, the common handle to every layer, and the options shared by all layers.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/symbolic_tensor.hpp"
#include "strata/tensor.hpp"

namespace strata {

namespace detail {
class LayerImpl;
}

/// Options of layers that take nothing but a name, e.g. `Add({.name = "merge"})`.
struct LayerOptions {
  /// The layer's name; empty means the default (`add`, `add_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `LayerOptions{}.set_name(...).set_name(...)`.
  /// Sets `name`; returns this struct for chaining.
  LayerOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A cheap, copyable handle to a layer's shared state (its configuration, weights and calls). Copies
/// refer to the same layer, so calling a copy shares weights, as calling one Keras layer twice does.
class Layer {
 public:
  /// An empty handle.
  Layer() = default;

  /// The layer's unique name, e.g. `conv2d_1`.
  const std::string& name() const;
  /// The Keras class name, e.g. `Conv2D`.
  std::string class_name() const;
  /// The weights in Keras's order and layouts (Conv2D: kernel HWIO, then bias). Empty before the layer
  /// is built (called for the first time).
  std::vector<Tensor> get_weights() const;
  /// Replaces the weights, given in the order and shapes `get_weights` returns. Throws ValueError naming
  /// the layer, the variable and both shapes on a wrong count or shape; the old weights then stay.
  void set_weights(const std::vector<Tensor>& weights);
  /// The number of scalars in all weights (0 before the layer is built).
  int64_t count_params() const;
  /// The output of the layer's first call; for a model, as Keras's `model.output`, the output it was built
  /// with (called or not). Throws GraphError if the layer was never called or that call's graph no longer
  /// exists, or for a model with several outputs.
  SymbolicTensor output() const;
  /// The input of the layer's first call; for a model, the input it was built with. Throws GraphError as
  /// `output()` does.
  SymbolicTensor input() const;
  /// The inputs of the layer's first call, one or several (Keras's `layer.input`, a list for a merge layer);
  /// for a model, the inputs it was built with. A call's mask argument is not among them. Throws GraphError
  /// as `output()` does.
  std::vector<SymbolicTensor> inputs() const;
  /// Keras's `layer.get_config()` as JSON text: the keys Keras 3 writes for this class, in Keras's
  /// spelling (`{"name": "conv1", "trainable": true, "dtype": {...DTypePolicy...}, "filters": 32, ...}`).
  /// `layer_from_config(class_name(), get_config())` makes an equal layer. Throws ValueError for a model
  /// (its config is its topology).
  std::string get_config() const;
  /// Keras's `trainable` flag: when false, the summary counts every weight as non-trainable.
  bool trainable() const;
  /// Sets Keras's `trainable` flag.
  void set_trainable(bool trainable);
  /// Keras's `layer(inputs, mask=mask)` for a layer whose call takes a mask (the recurrent layers,
  /// Bidirectional, TimeDistributed, GlobalAveragePooling1D, Softmax, BatchNormalization): `mask` replaces
  /// the one the call would take from its input. Returns every output. Throws ValueError naming the layer for
  /// another layer or an empty mask, and ShapeError for a mask whose shape is not the first input's without
  /// its last axis.
  std::vector<SymbolicTensor> call_masked(const std::vector<SymbolicTensor>& inputs,
                                          const SymbolicTensor& mask) const;
  /// True when this handle refers to a layer.
  explicit operator bool() const { return impl_ != nullptr; }

  /// Same layer.
  friend bool operator==(const Layer& a, const Layer& b) { return a.impl_ == b.impl_; }

  /// @internal The shared state behind the handle.
  const std::shared_ptr<detail::LayerImpl>& impl() const { return impl_; }
  /// @internal Wraps existing state.
  explicit Layer(std::shared_ptr<detail::LayerImpl> impl) : impl_(std::move(impl)) {}

 protected:
  /// Calls the layer on `inputs`, adding a node to the graph; returns its outputs.
  std::vector<SymbolicTensor> call(const std::vector<SymbolicTensor>& inputs) const;

  std::shared_ptr<detail::LayerImpl> impl_;
};

}  // namespace strata
