#pragma once
/// @file reshaping.hpp
/// Layers that move or reshape data without arithmetic: ZeroPadding2D, Cropping2D, UpSampling2D, Flatten,
/// Reshape, and the inference-time identities Dropout and SpatialDropout2D.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Adds rows and columns of zeros around an NHWC image, as `keras.layers.ZeroPadding2D(padding)`.
class ZeroPadding2D : public Layer {
 public:
  /// `padding`: an int, `{h, w}`, or `{{top, bottom}, {left, right}}`. Throws ValueError for a negative margin.
  explicit ZeroPadding2D(Margins2D padding = 1, LayerOptions options = {});
  /// Calls the layer on a rank-4 input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Removes rows and columns at the borders of an NHWC image, as `keras.layers.Cropping2D(cropping)`.
class Cropping2D : public Layer {
 public:
  /// `cropping`: an int, `{h, w}`, or `{{top, bottom}, {left, right}}`. Throws ValueError for a negative margin.
  explicit Cropping2D(Margins2D cropping = 0, LayerOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError when nothing would remain.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `UpSampling2D` keyword arguments after `size`.
struct UpSampling2DOptions {
  /// "nearest" (rows and columns repeated) or "bilinear" (Keras 3's `ops.image.resize`: TensorFlow's
  /// half-pixel rule, not align-corners); anything else is a ValueError.
  std::string interpolation = "nearest";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `UpSampling2DOptions{}.set_name(...).set_interpolation(...)`.
  /// Sets `interpolation`; returns this struct for chaining.
  UpSampling2DOptions& set_interpolation(std::string value) {
    interpolation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  UpSampling2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Scales the image by whole factors, as `keras.layers.UpSampling2D(size, interpolation)`: nearest repeats
/// rows and columns, bilinear interpolates (one oneDNN `resampling_linear` step).
class UpSampling2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a size of zero or less or another interpolation.
  explicit UpSampling2D(Size2 size = 2, UpSampling2DOptions options = {});
  /// Calls the layer on a rank-4 input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Flattens all dimensions but the batch, in row-major (H, W, C) order as Keras does. Free at run time.
class Flatten : public Layer {
 public:
  /// Creates the layer.
  explicit Flatten(LayerOptions options = {});
  /// Calls the layer. Throws ShapeError when a non-batch dimension is unknown.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Reshapes all dimensions but the batch, as `keras.layers.Reshape(target_shape)`; one dimension may be -1.
/// Free at run time.
class Reshape : public Layer {
 public:
  /// Creates the layer. Throws ValueError for zero or negative dimensions other than a single -1.
  explicit Reshape(std::vector<int64_t> target_shape, LayerOptions options = {});
  /// Calls the layer. Throws ShapeError when the element counts differ or cannot be known.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Reorders the axes after the batch, as `keras.layers.Permute(dims)`: `dims` are 1-based (`{2, 1}` swaps
/// the two axes of a sequence). Compiles to one oneDNN reorder.
class Permute : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless `dims` is a permutation of 1..n.
  explicit Permute(std::vector<int> dims, LayerOptions options = {});
  /// Calls the layer. Throws ValueError when the input's rank is not 1 + dims.size().
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Repeats a vector `n` times, as `keras.layers.RepeatVector(n)`: (batch, features) to (batch, n, features).
/// Compiles to one oneDNN concat.
class RepeatVector : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless n >= 1.
  explicit RepeatVector(int n, LayerOptions options = {});
  /// Calls the layer on a rank-2 input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras dropout arguments after `rate`.
struct DropoutOptions {
  /// The shape of the dropout mask (`{strata::None, 1, 1, strata::None}` drops whole channels), None
  /// entries taken from the input; empty means the input's shape. Kept for Keras compatibility: inference
  /// draws no mask.
  std::vector<Dim> noise_shape = {};
  /// Kept for Keras compatibility; inference does not draw random numbers.
  std::optional<int64_t> seed = std::nullopt;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `DropoutOptions{}.set_name(...).set_noise_shape(...)`.
  /// Sets `noise_shape`; returns this struct for chaining.
  DropoutOptions& set_noise_shape(std::vector<Dim> value) {
    noise_shape = std::move(value);
    return *this;
  }
  /// Sets `seed`; returns this struct for chaining.
  DropoutOptions& set_seed(std::optional<int64_t> value) {
    seed = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  DropoutOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Dropout: the identity at inference (the compiler removes it), as `keras.layers.Dropout(rate)`.
class Dropout : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= rate < 1.
  explicit Dropout(float rate, DropoutOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// SpatialDropout2D: the identity at inference, as `keras.layers.SpatialDropout2D(rate)`.
class SpatialDropout2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= rate < 1.
  explicit SpatialDropout2D(float rate, DropoutOptions options = {});
  /// Calls the layer on a rank-4 input; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
