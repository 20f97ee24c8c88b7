#pragma once
/// @file input_layer.hpp
/// `strata::layers::InputLayer`, the layer behind `strata::Input`, for giving a Sequential its input shape.

#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `InputLayer` keyword arguments, in Keras's order.
struct InputLayerOptions {
  /// The element type: "float32", "int32" or "int64" (token ids for an Embedding).
  std::string dtype = "float32";
  /// The layer's name; empty means the default (`input_layer`, `input_layer_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `InputLayerOptions{}.set_name(...).set_dtype(...)`.
  /// Sets `dtype`; returns this struct for chaining.
  InputLayerOptions& set_dtype(std::string value) {
    dtype = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  InputLayerOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras's `InputLayer(shape)`: `Sequential({L::InputLayer({28, 28, 1}), L::Conv2D(8, 3)})`. Its `output()`
/// is the input tensor, the same thing `strata::Input` returns.
class InputLayer : public Layer {
 public:
  /// `shape` excludes the batch. Throws ValueError as `strata::Input` does (a dtype other than float32,
  /// int32 and int64 included).
  explicit InputLayer(std::vector<Dim> shape, InputLayerOptions options = {});
};

}  // namespace strata::layers
