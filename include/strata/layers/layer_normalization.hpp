#pragma once
/// @file layer_normalization.hpp
/// `strata::layers::LayerNormalization`.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::layers {

/// Keras `LayerNormalization` keyword arguments, in Keras's order.
struct LayerNormalizationOptions {
  /// The normalized axes: one (`-1`, the default) or several (`{2, 3}`, `{1, 3}`); the batch axis never.
  Axes axis = -1;
  /// Added to the variance before the square root.
  float epsilon = 1e-3f;
  /// Whether there is a `beta` offset.
  bool center = true;
  /// Whether there is a `gamma` scale.
  bool scale = true;
  /// Initializer of beta.
  Initializer beta_initializer = "zeros";
  /// Initializer of gamma.
  Initializer gamma_initializer = "ones";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `LayerNormalizationOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  LayerNormalizationOptions& set_axis(Axes value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `epsilon`; returns this struct for chaining.
  LayerNormalizationOptions& set_epsilon(float value) {
    epsilon = std::move(value);
    return *this;
  }
  /// Sets `center`; returns this struct for chaining.
  LayerNormalizationOptions& set_center(bool value) {
    center = std::move(value);
    return *this;
  }
  /// Sets `scale`; returns this struct for chaining.
  LayerNormalizationOptions& set_scale(bool value) {
    scale = std::move(value);
    return *this;
  }
  /// Sets `beta_initializer`; returns this struct for chaining.
  LayerNormalizationOptions& set_beta_initializer(Initializer value) {
    beta_initializer = std::move(value);
    return *this;
  }
  /// Sets `gamma_initializer`; returns this struct for chaining.
  LayerNormalizationOptions& set_gamma_initializer(Initializer value) {
    gamma_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  LayerNormalizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, the statistics taken per sample over `axis`, as
/// `keras.layers.LayerNormalization`. Weights, in order: gamma (if scale), beta (if center), each of the
/// normalized axes' shape. Compiles to oneDNN layer normalization over rows of the normalized axes.
class LayerNormalization : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative epsilon or an unknown initializer.
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  /// Calls the layer. Throws ValueError for an axis out of range, the batch axis or repeated axes;
  /// ShapeError when a normalized dimension is unknown or differs from the first call's.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
