#pragma once
/// @file activations.hpp
/// Activation layers: `Activation`, `ReLU`, `LeakyReLU`, `ELU`, `ThresholdedReLU`, `Softmax`.

#include <optional>
#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Applies an activation by Keras name, as `keras.layers.Activation("relu")`.
class Activation : public Layer {
 public:
  /// Creates the layer. Throws ValueError for an unknown activation, listing the valid names.
  explicit Activation(const std::string& activation, LayerOptions options = {});
  /// Calls the layer; the output has the input's shape. Softmax and log_softmax apply over the last axis.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `ReLU` arguments, in Keras's order.
struct ReLUOptions {
  /// Upper bound of the output; none means unbounded. `ReLU({.max_value = 6})` is relu6.
  std::optional<float> max_value = std::nullopt;
  /// Slope below the threshold.
  float negative_slope = 0.0f;
  /// Inputs at or below it are mapped to `negative_slope * (x - threshold)`.
  float threshold = 0.0f;
  /// The layer's name; empty means the default (`re_lu`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ReLUOptions{}.set_name(...).set_max_value(...)`.
  /// Sets `max_value`; returns this struct for chaining.
  ReLUOptions& set_max_value(std::optional<float> value) {
    max_value = std::move(value);
    return *this;
  }
  /// Sets `negative_slope`; returns this struct for chaining.
  ReLUOptions& set_negative_slope(float value) {
    negative_slope = std::move(value);
    return *this;
  }
  /// Sets `threshold`; returns this struct for chaining.
  ReLUOptions& set_threshold(float value) {
    threshold = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ReLUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras's parametrised ReLU: `x` above `threshold` (capped at `max_value`), `negative_slope * (x -
/// threshold)` at or below it.
class ReLU : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative max_value, negative_slope or threshold.
  explicit ReLU(ReLUOptions options = {});
  /// Calls the layer; the output has the input's shape. Throws ValueError for the batch axis or an axis out
  /// of range.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `LeakyReLU` arguments.
struct LeakyReLUOptions {
  /// Slope for negative inputs (Keras 3's default is 0.3).
  float negative_slope = 0.3f;
  /// The layer's name; empty means the default (`leaky_re_lu`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `LeakyReLUOptions{}.set_name(...).set_negative_slope(...)`.
  /// Sets `negative_slope`; returns this struct for chaining.
  LeakyReLUOptions& set_negative_slope(float value) {
    negative_slope = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  LeakyReLUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x` for non-negative inputs, `negative_slope * x` otherwise, as `keras.layers.LeakyReLU`.
class LeakyReLU : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative slope.
  explicit LeakyReLU(LeakyReLUOptions options = {});
  /// Calls the layer; the output has the input's shape.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `ELU` arguments.
struct ELUOptions {
  /// The scale of the negative part, `alpha * (exp(x) - 1)`.
  float alpha = 1.0f;
  /// The layer's name; empty means the default (`elu`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ELUOptions{}.set_name(...).set_alpha(...)`.
  /// Sets `alpha`; returns this struct for chaining.
  ELUOptions& set_alpha(float value) {
    alpha = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ELUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x` above 0, `alpha * (exp(x) - 1)` otherwise, as `keras.layers.ELU`.
class ELU : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a NaN alpha.
  explicit ELU(ELUOptions options = {});
  /// Calls the layer; the output has the input's shape.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras 2 `ThresholdedReLU` arguments (Keras 3 removed the layer; `ReLU({.threshold})` is the same).
struct ThresholdedReLUOptions {
  /// Inputs at or below it become 0.
  float theta = 1.0f;
  /// The layer's name; empty means the default (`thresholded_re_lu`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ThresholdedReLUOptions{}.set_name(...).set_theta(...)`.
  /// Sets `theta`; returns this struct for chaining.
  ThresholdedReLUOptions& set_theta(float value) {
    theta = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ThresholdedReLUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x` above `theta`, 0 otherwise, as Keras 2's `ThresholdedReLU`, so that Keras 2 models load.
class ThresholdedReLU : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative theta.
  explicit ThresholdedReLU(ThresholdedReLUOptions options = {});
  /// Calls the layer; the output has the input's shape.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `Softmax` arguments.
struct SoftmaxOptions {
  /// The axis to normalize: any but the batch (negative counts from the end).
  int axis = -1;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `SoftmaxOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  SoftmaxOptions& set_axis(int value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  SoftmaxOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Softmax over `axis` (the last by default), as `keras.layers.Softmax(axis)`; one oneDNN softmax step.
class Softmax : public Layer {
 public:
  /// Creates the layer.
  explicit Softmax(SoftmaxOptions options = {});
  /// Calls the layer; the output has the input's shape. Throws ValueError for the batch axis or an axis out
  /// of range.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
