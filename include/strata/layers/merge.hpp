#pragma once
/// @file merge.hpp
/// Merge layers, which combine several tensors: Add, Subtract, Multiply, Average, Maximum, Minimum,
/// Concatenate, Dot, and their lower-case helpers.

#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"
#include "strata/shape.hpp"

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

/// Keras `Dot` keyword arguments.
struct DotOptions {
  /// Whether each sample is L2-normalized along its dot axis first (`x * rsqrt(max(sum(x^2), 1e-14))`),
  /// making the output the cosine similarity.
  bool normalize = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `DotOptions{}.set_name(...).set_normalize(...)`.
  /// Sets `normalize`; returns this struct for chaining.
  DotOptions& set_normalize(bool value) {
    normalize = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  DotOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The dot product of two tensors' samples along one axis each, as `keras.layers.Dot(axes)` (Keras's
/// `batch_dot`): `axes` is one axis for both inputs (`Dot(1)`, negative counting from the end) or one per
/// input (`Dot({1, 2})`), never the batch axis. The output is the first input's shape without its axis, then
/// the second's without its batch and axis, `(batch, 1)` when that leaves only the batch: `(batch, 3, 5)`
/// and `(batch, 10, 3)` with axes (1, 2) give `(batch, 5, 10)`. No weights. Compiles to free reshapes, oneDNN
/// reorders when an axis must move, and one batched oneDNN matmul.
class Dot : public Layer {
 public:
  /// Creates the layer. Throws ValueError for axes that are not one int or two.
  explicit Dot(Axes axes, DotOptions options = {});
  /// Calls the layer on two float tensors of rank 2 or more. Throws ValueError for another number of inputs
  /// or integer inputs; ShapeError for a rank below 2, an axis out of range or the batch axis, and axes of
  /// different sizes ("Incompatible input shapes: axis values 3 (at axis 1) != 4 (at axis 2)").
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
/// Keras's `layers.dot([a, b], axes)`.
SymbolicTensor dot(const std::vector<SymbolicTensor>& inputs, Axes axes, DotOptions options = {});

}  // namespace strata::layers
