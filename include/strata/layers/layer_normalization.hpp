#pragma once
/// @file layer_normalization.hpp
/// `strata::layers::LayerNormalization`.

#include <string>

#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::layers {

/// Keras `LayerNormalization` keyword arguments, in Keras's order.
struct LayerNormalizationOptions {
  /// The normalized axes: one (`-1`, the default) or several (`{2, 3}`). strata normalizes trailing axes
  /// (the last one, or the last few together); the batch axis never.
  Axes axis = -1;
  /// Added to the variance before the square root.
  float epsilon = 1e-3f;
  /// Whether there is a `beta` offset.
  bool center = true;
  /// Whether there is a `gamma` scale.
  bool scale = true;
  /// Initializer of beta.
  std::string beta_initializer = "zeros";
  /// Initializer of gamma.
  std::string gamma_initializer = "ones";
  /// The layer's name; empty means the default.
  std::string name = "";
};

/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, the statistics taken per sample over `axis`, as
/// `keras.layers.LayerNormalization`. Weights, in order: gamma (if scale), beta (if center), each of the
/// normalized axes' shape. Compiles to oneDNN layer normalization over rows of the normalized axes.
class LayerNormalization : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative epsilon or an unknown initializer.
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  /// Calls the layer. Throws ValueError for an axis out of range, the batch axis, repeated axes or axes that
  /// are not the trailing ones; ShapeError when a normalized dimension is unknown or differs from the first
  /// call's.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
