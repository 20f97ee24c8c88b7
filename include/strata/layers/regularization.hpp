#pragma once
/// @file regularization.hpp
/// Layers that change nothing at inference: `Identity`, `GaussianNoise`, `GaussianDropout`, `AlphaDropout`,
/// `SpatialDropout1D`, `ActivityRegularization` (Dropout and SpatialDropout2D are in reshaping.hpp). Each
/// checks its arguments and its input as Keras does, keeps its config, and compiles to nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "strata/layer.hpp"
#include "strata/layers/reshaping.hpp"

namespace strata::layers {

/// The identity, as `keras.layers.Identity()`.
class Identity : public Layer {
 public:
  /// Creates the layer.
  explicit Identity(LayerOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Arguments of the noise layers after their first: Keras's `seed`.
struct NoiseOptions {
  /// Kept for Keras compatibility; inference draws no noise.
  std::optional<int64_t> seed = std::nullopt;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `NoiseOptions{}.set_name(...).set_seed(...)`.
  /// Sets `seed`; returns this struct for chaining.
  NoiseOptions& set_seed(std::optional<int64_t> value) {
    seed = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  NoiseOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Adds zero-mean Gaussian noise in training, the identity at inference:
/// `keras.layers.GaussianNoise(stddev)`.
class GaussianNoise : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= stddev <= 1 (Keras's check).
  explicit GaussianNoise(float stddev, NoiseOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Multiplies by Gaussian noise of mean 1 in training, the identity at inference:
/// `keras.layers.GaussianDropout(rate)`.
class GaussianDropout : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= rate <= 1.
  explicit GaussianDropout(float rate, NoiseOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// SELU-preserving dropout in training, the identity at inference: `keras.layers.AlphaDropout(rate)`.
class AlphaDropout : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= rate <= 1.
  explicit AlphaDropout(float rate, DropoutOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Drops whole feature channels of a sequence in training, the identity at inference:
/// `keras.layers.SpatialDropout1D(rate)`.
class SpatialDropout1D : public Layer {
 public:
  /// Creates the layer. Throws ValueError unless 0 <= rate < 1.
  explicit SpatialDropout1D(float rate, NoiseOptions options = {});
  /// Calls the layer on a rank-3 input (batch, steps, channels); the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `ActivityRegularization` arguments.
struct ActivityRegularizationOptions {
  /// The L1 factor of the training loss term.
  float l1 = 0.0f;
  /// The L2 factor.
  float l2 = 0.0f;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ActivityRegularizationOptions{}.set_name(...).set_l1(...)`.
  /// Sets `l1`; returns this struct for chaining.
  ActivityRegularizationOptions& set_l1(float value) {
    l1 = std::move(value);
    return *this;
  }
  /// Sets `l2`; returns this struct for chaining.
  ActivityRegularizationOptions& set_l2(float value) {
    l2 = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ActivityRegularizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Adds an activity penalty to the training loss; the identity at inference:
/// `keras.layers.ActivityRegularization(l1, l2)`.
class ActivityRegularization : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a negative or NaN factor.
  explicit ActivityRegularization(ActivityRegularizationOptions options = {});
  /// Calls the layer; the output is the input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
