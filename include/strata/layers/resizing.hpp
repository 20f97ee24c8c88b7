#pragma once
/// @file resizing.hpp
/// Image resizing layers that live inside models: `Resizing` and `CenterCrop`.

#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Resizing` keyword arguments after height and width, in Keras's order.
struct ResizingOptions {
  /// "bilinear" or "nearest" (Keras 3's rules: TensorFlow's `tf.image.resize`, half-pixel centres). Keras's
  /// bicubic, area and lanczos methods are a ValueError.
  std::string interpolation = "bilinear";
  /// Crop the largest centred window of the target's aspect ratio before resizing, so the image is not
  /// distorted.
  bool crop_to_aspect_ratio = false;
  /// Pad to the target's aspect ratio with `fill_value` instead (as many rows, or columns, on both sides),
  /// then resize. At most one of the two is true.
  bool pad_to_aspect_ratio = false;
  /// Only "constant", Keras's only mode.
  std::string fill_mode = "constant";
  /// The padding value of pad_to_aspect_ratio.
  float fill_value = 0.0f;
  /// Antialiasing when shrinking: strata has none, so true is a ValueError where an axis shrinks (it changes
  /// nothing where the image grows, as in Keras).
  bool antialias = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ResizingOptions{}.set_name(...).set_interpolation(...)`.
  /// Sets `interpolation`; returns this struct for chaining.
  ResizingOptions& set_interpolation(std::string value) {
    interpolation = std::move(value);
    return *this;
  }
  /// Sets `crop_to_aspect_ratio`; returns this struct for chaining.
  ResizingOptions& set_crop_to_aspect_ratio(bool value) {
    crop_to_aspect_ratio = std::move(value);
    return *this;
  }
  /// Sets `pad_to_aspect_ratio`; returns this struct for chaining.
  ResizingOptions& set_pad_to_aspect_ratio(bool value) {
    pad_to_aspect_ratio = std::move(value);
    return *this;
  }
  /// Sets `fill_mode`; returns this struct for chaining.
  ResizingOptions& set_fill_mode(std::string value) {
    fill_mode = std::move(value);
    return *this;
  }
  /// Sets `fill_value`; returns this struct for chaining.
  ResizingOptions& set_fill_value(float value) {
    fill_value = std::move(value);
    return *this;
  }
  /// Sets `antialias`; returns this struct for chaining.
  ResizingOptions& set_antialias(bool value) {
    antialias = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ResizingOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Resizes images to (height, width), as `keras.layers.Resizing`. Compiles to an optional crop (no copy
/// when it is the whole image) and one oneDNN resampling step (`resampling_linear` or `resampling_nearest`).
class Resizing : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a size of zero or less or an unsupported option.
  Resizing(int height, int width, ResizingOptions options = {});
  /// Calls the layer on images (rank 4, channels last). Throws ShapeError for another rank, and ValueError
  /// for antialias with a shrinking or unknown spatial size.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `CenterCrop` keyword arguments after height and width.
struct CenterCropOptions {
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `CenterCropOptions{}.set_name(...)`.
  /// Sets `name`; returns this struct for chaining.
  CenterCropOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// The centred (height, width) window of each image, as `keras.layers.CenterCrop`: an odd margin leaves its
/// extra row or column at the bottom or right. Where the image is smaller than the target on an axis, Keras
/// (and strata) instead crops the largest centred window of the target's aspect ratio and resizes it
/// bilinearly. Compiles to a crop, plus a `resampling_linear` step in that case.
class CenterCrop : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a size of zero or less.
  CenterCrop(int height, int width, CenterCropOptions options = {});
  /// Calls the layer on images (rank 4, channels last) of known height and width; ShapeError otherwise.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
