#pragma once
/// @file pooling2d.hpp
/// `MaxPooling2D` and `AveragePooling2D`, Keras's 2D pooling layers.

#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras pooling keyword arguments after `pool_size`, in Keras's order.
struct Pooling2DOptions {
  /// Stride; not given means equal to the pool size, as in Keras.
  Size2 strides = {};
  /// "valid" or "same". Average pooling leaves padded cells out of the divisor.
  std::string padding = "valid";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Pooling2DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Pooling2DOptions& set_strides(Size2 value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Pooling2DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Pooling2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Max pooling over NHWC input, as `keras.layers.MaxPooling2D(pool_size, ...)`.
class MaxPooling2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a pool size or stride of zero or less, or an unknown padding.
  MaxPooling2D(Size2 pool_size = 2, Pooling2DOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError for another rank or an output size of zero or less.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Average pooling over NHWC input, as `keras.layers.AveragePooling2D(pool_size, ...)`.
class AveragePooling2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a pool size or stride of zero or less, or an unknown padding.
  AveragePooling2D(Size2 pool_size = 2, Pooling2DOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError for another rank or an output size of zero or less.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
