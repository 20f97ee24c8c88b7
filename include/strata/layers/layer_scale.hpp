#pragma once
/// @file layer_scale.hpp
/// `strata::layers::LayerScale`, the learned per-channel scale of Keras's ConvNeXt blocks.

#include "strata/layer.hpp"

namespace strata::layers {

/// `x * gamma`, as the `LayerScale(init_values, projection_dim)` that keras.applications' ConvNeXt defines
/// (keras.src.applications.convnext) at the end of each block's branch: one trainable weight `gamma` of
/// shape `(projection_dim,)`, initialized to `init_values`, scaling the last axis. The scale folds into the
/// Dense or convolution that computes the branch (its kernel scale and bias), so it costs no step of its
/// own. Saved as Keras writes it, so Keras loads the files strata saves.
class LayerScale : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a non-positive `projection_dim` or an `init_values` that is
  /// NaN, infinite or beyond float32's range.
  LayerScale(double init_values, int projection_dim, LayerOptions options = {});
  /// Calls the layer on `input`, of rank 2 or more. Throws ShapeError when its last axis is not
  /// `projection_dim` long.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
