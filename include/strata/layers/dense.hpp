#pragma once
/// @file dense.hpp
/// `strata::layers::Dense`, Keras's densely connected layer.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Dense` keyword arguments after `units`, in Keras's order.
struct DenseOptions {
  /// Activation applied after the bias, by Keras name.
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Kernel initializer name (see Conv2DOptions).
  Initializer kernel_initializer = "glorot_uniform";
  /// Bias initializer name.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`dense`, `dense_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `DenseOptions{}.set_name(...).set_activation(...)`.
  /// Sets `activation`; returns this struct for chaining.
  DenseOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  DenseOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  DenseOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  DenseOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  DenseOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `output = activation(dot(input, kernel) + bias)` over the last axis, as `keras.layers.Dense(units)`.
/// On inputs of rank above 2 it applies to the last axis, as Keras does. Kernel `(in, units)`, bias `(units,)`.
class Dense : public Layer {
 public:
  /// Creates the layer. Throws ValueError for units of zero or less or an unknown activation or initializer.
  Dense(int units, DenseOptions options = {});
  /// Calls the layer. Throws ShapeError for an input of rank below 2, an unknown last dimension, or one that
  /// differs from an earlier call's.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
