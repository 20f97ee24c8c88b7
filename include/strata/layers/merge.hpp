#pragma once
/// @file merge.hpp
/// Merge layers, which combine several tensors: Add, Subtract, Multiply, Average, Maximum, Minimum,
/// Concatenate, and their lower-case helpers.

#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Element-wise sum of two or more tensors, as `keras.layers.Add()`. Shapes must be equal, or equal after
/// Keras's broadcasting of size-1 dimensions.
class Add : public Layer {
 public:
  /// Creates the layer.
  explicit Add(LayerOptions options = {});
  /// Calls the layer. Throws ValueError for fewer than two inputs, ShapeError for incompatible shapes
  /// ("Inputs have incompatible shapes. Received shapes (30, 30, 64) and (15, 15, 64)").
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Element-wise difference of exactly two tensors, as `keras.layers.Subtract()`.
class Subtract : public Layer {
 public:
  /// Creates the layer.
  explicit Subtract(LayerOptions options = {});
  /// Calls the layer. Throws ValueError unless there are exactly two inputs; ShapeError as Add.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Element-wise product, as `keras.layers.Multiply()`.
class Multiply : public Layer {
 public:
  /// Creates the layer.
  explicit Multiply(LayerOptions options = {});
  /// Calls the layer. Errors as Add.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Element-wise mean, as `keras.layers.Average()`.
class Average : public Layer {
 public:
  /// Creates the layer.
  explicit Average(LayerOptions options = {});
  /// Calls the layer. Errors as Add.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Element-wise maximum, as `keras.layers.Maximum()`.
class Maximum : public Layer {
 public:
  /// Creates the layer.
  explicit Maximum(LayerOptions options = {});
  /// Calls the layer. Errors as Add.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Element-wise minimum, as `keras.layers.Minimum()`.
class Minimum : public Layer {
 public:
  /// Creates the layer.
  explicit Minimum(LayerOptions options = {});
  /// Calls the layer. Errors as Add.
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Keras `Concatenate` arguments.
struct ConcatenateOptions {
  /// The axis to join along; negative counts from the end. The batch axis (0) is not allowed.
  int axis = -1;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ConcatenateOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  ConcatenateOptions& set_axis(int value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ConcatenateOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Joins tensors along one axis, as `keras.layers.Concatenate(axis)`.
class Concatenate : public Layer {
 public:
  /// Creates the layer.
  explicit Concatenate(ConcatenateOptions options = {});
  /// Calls the layer. Throws ValueError for fewer than two inputs; ShapeError when ranks differ, the axis is
  /// out of range, or another dimension differs ("A Concatenate layer requires inputs with matching shapes
  /// except for the concatenation axis").
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Keras's `layers.add([a, b])`: a new `Add` layer called on `inputs`.
SymbolicTensor add(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.subtract([a, b])`.
SymbolicTensor subtract(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.multiply([...])`.
SymbolicTensor multiply(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.average([...])`.
SymbolicTensor average(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.maximum([...])`.
SymbolicTensor maximum(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.minimum([...])`.
SymbolicTensor minimum(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});
/// Keras's `layers.concatenate([...], axis)`.
SymbolicTensor concatenate(const std::vector<SymbolicTensor>& inputs, ConcatenateOptions options = {});

}  // namespace strata::layers
