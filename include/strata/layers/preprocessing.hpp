#pragma once
/// @file preprocessing.hpp
/// Preprocessing layers that live inside models: `Rescaling`, `CategoryEncoding`.

#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Rescaling` arguments after `scale`.
struct RescalingOptions {
  /// Added after scaling: one number, or one per channel (the last axis).
  std::vector<float> offset = {0.0f};
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `RescalingOptions{}.set_name(...).set_offset(...)`.
  /// Sets `offset`; returns this struct for chaining.
  RescalingOptions& set_offset(std::vector<float> value) {
    offset = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  RescalingOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x * scale + offset`, as `keras.layers.Rescaling(scale, offset)`: `Rescaling(1.0 / 255)`, or per channel
/// `Rescaling({1 / 58.4f, 1 / 57.1f, 1 / 57.4f}, {.offset = {-2.1f, -2.0f, -1.8f}})`. A number compiles to
/// one element-wise step that fuses into the op before it; per-channel values to a scale-and-shift that
/// folds into a convolution before it (or a oneDNN batch normalization after an input).
class Rescaling : public Layer {
 public:
  /// One scale for every value. Throws ValueError for a NaN scale or offset.
  explicit Rescaling(double scale, RescalingOptions options = {});
  /// One scale per channel (or one in a list). Throws ValueError for an empty list.
  explicit Rescaling(std::vector<float> scale, RescalingOptions options = {});
  /// Calls the layer. Throws ShapeError when a per-channel list does not match the last axis.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `CategoryEncoding` keyword arguments.
struct CategoryEncodingOptions {
  /// "multi_hot" (a 1 at each value a sample holds; Keras 2's "binary" reads as it), "one_hot" (a row per
  /// value) or "count" (how many times each value occurs).
  std::string output_mode = "multi_hot";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `CategoryEncodingOptions{}.set_name(...).set_output_mode(...)`.
  /// Sets `output_mode`; returns this struct for chaining.
  CategoryEncodingOptions& set_output_mode(std::string value) {
    output_mode = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  CategoryEncodingOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras's `CategoryEncoding(num_tokens, output_mode)`: integer values in [0, num_tokens) encoded as float32
/// rows of num_tokens. "one_hot": (batch, ..., n) becomes (batch, ..., n, num_tokens), or (batch, ...,
/// num_tokens) when n is 1; "multi_hot" and "count": (batch, n) becomes (batch, num_tokens). No weights.
/// Float and bool inputs are cast to int32 first, as Keras casts them. Compiles to a plain C++ step on the
/// plan's threads.
class CategoryEncoding : public Layer {
 public:
  /// Creates the layer. Throws ValueError for num_tokens below 1 or an unknown output_mode.
  explicit CategoryEncoding(int num_tokens, CategoryEncodingOptions options = {});
  /// Calls the layer. Throws ShapeError for a "multi_hot" or "count" input of a rank other than 2. Predicting
  /// throws ValueError, naming the layer, the value and its position, for a value outside [0, num_tokens).
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
