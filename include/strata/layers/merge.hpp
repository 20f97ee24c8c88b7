#pragma once
/// @file merge.hpp
/// Merge layers, which combine several tensors of compatible shapes: `Add` and the `add` helper.

#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// Element-wise sum of two or more tensors, as `keras.layers.Add()`. Shapes must be equal, or equal after
/// Keras's broadcasting of size-1 dimensions.
class Add : public Layer {
 public:
  /// Creates the layer.
  explicit Add(LayerOptions options = {});
  /// Calls the layer. Throws ValueError for fewer than two inputs, ShapeError for incompatible shapes
  /// ("Inputs have incompatible shapes. Received shapes (30, 30, 64) and (15, 15, 64)").
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

/// Keras's `layers.add([a, b])`: a new `Add` layer called on `inputs`.
SymbolicTensor add(const std::vector<SymbolicTensor>& inputs, LayerOptions options = {});

}  // namespace strata::layers
