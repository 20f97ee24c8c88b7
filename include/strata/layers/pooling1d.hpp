#pragma once
/// @file pooling1d.hpp
/// `strata::layers::MaxPooling1D`, `AveragePooling1D`, `GlobalMaxPooling1D` and `GlobalAveragePooling1D`:
/// Keras's pooling over the steps of a `(batch, steps, features)` input.

#include <optional>
#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `MaxPooling1D`/`AveragePooling1D` keyword arguments after `pool_size`, in Keras's order.
struct Pooling1DOptions {
  /// Stride along the steps; none means the pool size (Keras's `strides=None`).
  std::optional<int> strides = std::nullopt;
  /// "valid" (windows inside the input) or "same" (output ceil(steps / stride), padding split as TensorFlow
  /// does; an average counts only the input's values).
  std::string padding = "valid";
  /// The layer's name; empty means the default (`max_pooling1d`, `average_pooling1d`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Pooling1DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Pooling1DOptions& set_strides(std::optional<int> value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Pooling1DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Pooling1DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The maximum of each window of `pool_size` steps, as `keras.layers.MaxPooling1D(pool_size, ...)`.
class MaxPooling1D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a pool size or strides of zero or less and for an unknown
  /// padding.
  explicit MaxPooling1D(int pool_size = 2, Pooling1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError when the input is not rank 3, or when the output
  /// would have no steps.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// The mean of each window of `pool_size` steps, as `keras.layers.AveragePooling1D(pool_size, ...)`.
class AveragePooling1D : public Layer {
 public:
  /// Creates the layer. Throws as MaxPooling1D does.
  explicit AveragePooling1D(int pool_size = 2, Pooling1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws as MaxPooling1D does.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `GlobalMaxPooling1D`/`GlobalAveragePooling1D` keyword arguments.
struct GlobalPooling1DOptions {
  /// Keep the steps axis with size 1: `(batch, 1, features)` instead of `(batch, features)`.
  bool keepdims = false;
  /// The layer's name; empty means the default (`global_max_pooling1d`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `GlobalPooling1DOptions{}.set_name(...).set_keepdims(...)`.
  /// Sets `keepdims`; returns this struct for chaining.
  GlobalPooling1DOptions& set_keepdims(bool value) {
    keepdims = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  GlobalPooling1DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The maximum over all steps, as `keras.layers.GlobalMaxPooling1D()`.
class GlobalMaxPooling1D : public Layer {
 public:
  /// Creates the layer.
  explicit GlobalMaxPooling1D(GlobalPooling1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError when the input is not rank 3.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// The mean over all steps, as `keras.layers.GlobalAveragePooling1D()`.
class GlobalAveragePooling1D : public Layer {
 public:
  /// Creates the layer.
  explicit GlobalAveragePooling1D(GlobalPooling1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError when the input is not rank 3.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
