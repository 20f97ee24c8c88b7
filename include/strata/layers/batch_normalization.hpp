#pragma once
/// @file batch_normalization.hpp
/// `strata::layers::BatchNormalization`, in inference mode.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `BatchNormalization` keyword arguments, in Keras's order.
struct BatchNormalizationOptions {
  /// The normalized (channel) axis; only the last axis (-1, or rank - 1) is supported.
  int axis = -1;
  /// Kept for Keras compatibility; inference does not use it.
  float momentum = 0.99f;
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
  /// Initializer of the moving mean.
  Initializer moving_mean_initializer = "zeros";
  /// Initializer of the moving variance.
  Initializer moving_variance_initializer = "ones";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `BatchNormalizationOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  BatchNormalizationOptions& set_axis(int value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `momentum`; returns this struct for chaining.
  BatchNormalizationOptions& set_momentum(float value) {
    momentum = std::move(value);
    return *this;
  }
  /// Sets `epsilon`; returns this struct for chaining.
  BatchNormalizationOptions& set_epsilon(float value) {
    epsilon = std::move(value);
    return *this;
  }
  /// Sets `center`; returns this struct for chaining.
  BatchNormalizationOptions& set_center(bool value) {
    center = std::move(value);
    return *this;
  }
  /// Sets `scale`; returns this struct for chaining.
  BatchNormalizationOptions& set_scale(bool value) {
    scale = std::move(value);
    return *this;
  }
  /// Sets `beta_initializer`; returns this struct for chaining.
  BatchNormalizationOptions& set_beta_initializer(Initializer value) {
    beta_initializer = std::move(value);
    return *this;
  }
  /// Sets `gamma_initializer`; returns this struct for chaining.
  BatchNormalizationOptions& set_gamma_initializer(Initializer value) {
    gamma_initializer = std::move(value);
    return *this;
  }
  /// Sets `moving_mean_initializer`; returns this struct for chaining.
  BatchNormalizationOptions& set_moving_mean_initializer(Initializer value) {
    moving_mean_initializer = std::move(value);
    return *this;
  }
  /// Sets `moving_variance_initializer`; returns this struct for chaining.
  BatchNormalizationOptions& set_moving_variance_initializer(Initializer value) {
    moving_variance_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  BatchNormalizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta` per channel, as Keras's
/// BatchNormalization at inference. Weights, in order: gamma (if scale), beta (if center), moving_mean,
/// moving_variance; the last two are non-trainable. The compiler folds it into the convolution or dense
/// layer before it when that layer's output has no other reader.
class BatchNormalization : public Layer {
 public:
  /// Creates the layer. Throws ValueError for an axis other than the last, or a negative epsilon.
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  /// Calls the layer. Throws ShapeError when the channel dimension is unknown or differs from an earlier call's.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
