#pragma once
/// @file preprocessing.hpp
/// Preprocessing layers that live inside models: `Rescaling`.

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

}  // namespace strata::layers
