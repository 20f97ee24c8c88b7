#pragma once
/// @file global_pooling2d.hpp
/// `GlobalAveragePooling2D` and `GlobalMaxPooling2D`.

#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras global pooling keyword arguments.
struct GlobalPooling2DOptions {
  /// Keep the spatial axes as size 1: output `(N, 1, 1, C)` instead of `(N, C)`.
  bool keepdims = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `GlobalPooling2DOptions{}.set_name(...).set_keepdims(...)`.
  /// Sets `keepdims`; returns this struct for chaining.
  GlobalPooling2DOptions& set_keepdims(bool value) {
    keepdims = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  GlobalPooling2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The mean over height and width, as `keras.layers.GlobalAveragePooling2D()`.
class GlobalAveragePooling2D : public Layer {
 public:
  /// Creates the layer.
  explicit GlobalAveragePooling2D(GlobalPooling2DOptions options = {});
  /// Calls the layer on a rank-4 input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// The maximum over height and width, as `keras.layers.GlobalMaxPooling2D()`.
class GlobalMaxPooling2D : public Layer {
 public:
  /// Creates the layer.
  explicit GlobalMaxPooling2D(GlobalPooling2DOptions options = {});
  /// Calls the layer on a rank-4 input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
