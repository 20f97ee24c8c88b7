#pragma once
/// @file input_layer.hpp
/// `strata::layers::InputLayer`, the layer behind `strata::Input`, for giving a Sequential its input shape.

#include <string>
#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras's `InputLayer(shape)`: `Sequential({L::InputLayer({28, 28, 1}), L::Conv2D(8, 3)})`. Its `output()`
/// is the input tensor, the same thing `strata::Input` returns.
class InputLayer : public Layer {
 public:
  /// `shape` excludes the batch. Throws ValueError as `strata::Input` does.
  explicit InputLayer(std::vector<Dim> shape, LayerOptions options = {});
};

}  // namespace strata::layers
