#pragma once
/// @file masking.hpp
/// `strata::layers::Masking`: marks the steps of a sequence to skip.

#include <string>
#include <utility>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Masking` arguments.
struct MaskingOptions {
  /// A step whose features all equal this value is masked.
  float mask_value = 0.0f;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `MaskingOptions{}.set_name(...).set_mask_value(...)`.
  /// Sets `mask_value`; returns this struct for chaining.
  MaskingOptions& set_mask_value(float value) {
    mask_value = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  MaskingOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `keras.layers.Masking(mask_value)`: on (batch, steps, features) (or any rank of 2 or more), a step counts
/// when any of its features differs from `mask_value`. The output is the input with the masked steps set to
/// 0; its mask (SymbolicTensor::mask) is `ops::any(ops::not_equal(x, mask_value), -1)`, recorded in the graph
/// as Keras records it (`not_equal`, then `any`), for the recurrent, pooling and attention layers after it.
/// No weights; the output runs as plain C++ element-wise steps and a oneDNN reduction.
class Masking : public Layer {
 public:
  /// Creates the layer.
  explicit Masking(MaskingOptions options = {});
  /// Calls the layer. Throws ShapeError for an input of rank below 2 and ValueError for an integer one.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
