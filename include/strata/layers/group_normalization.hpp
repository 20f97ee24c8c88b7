#pragma once
/// @file group_normalization.hpp
/// `strata::layers::GroupNormalization`.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `GroupNormalization` keyword arguments, in Keras's order.
struct GroupNormalizationOptions {
  /// Groups the channels are split into (a divisor of their count); -1 is one group per channel (instance
  /// normalization), 1 is layer normalization over every axis but the batch.
  int groups = 32;
  /// The channel axis: the last (-1), as strata's channels-last layout has it.
  int axis = -1;
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
  // follow declaration order): `GroupNormalizationOptions{}.set_name(...).set_groups(...)`.
  /// Sets `groups`; returns this struct for chaining.
  GroupNormalizationOptions& set_groups(int value) {
    groups = std::move(value);
    return *this;
  }
  /// Sets `axis`; returns this struct for chaining.
  GroupNormalizationOptions& set_axis(int value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `epsilon`; returns this struct for chaining.
  GroupNormalizationOptions& set_epsilon(float value) {
    epsilon = std::move(value);
    return *this;
  }
  /// Sets `center`; returns this struct for chaining.
  GroupNormalizationOptions& set_center(bool value) {
    center = std::move(value);
    return *this;
  }
  /// Sets `scale`; returns this struct for chaining.
  GroupNormalizationOptions& set_scale(bool value) {
    scale = std::move(value);
    return *this;
  }
  /// Sets `beta_initializer`; returns this struct for chaining.
  GroupNormalizationOptions& set_beta_initializer(Initializer value) {
    beta_initializer = std::move(value);
    return *this;
  }
  /// Sets `gamma_initializer`; returns this struct for chaining.
  GroupNormalizationOptions& set_gamma_initializer(Initializer value) {
    gamma_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  GroupNormalizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Per sample and group of channels, over every other axis: `(x - mean) / sqrt(variance + epsilon)`, then
/// `gamma` and `beta` per channel, as `keras.layers.GroupNormalization`. Weights, in order: `gamma` (if
/// `scale`), `beta` (if `center`), each of shape (channels,). Compiles to oneDNN steps: the groups moved
/// in front of the other axes (a reorder; none for one group or no spatial axes), a layer normalization
/// over each group, the reverse reorder, and a per-channel scale and shift.
class GroupNormalization : public Layer {
 public:
  /// Creates the layer. Throws ValueError for groups of 0 or below -1, a negative epsilon or an unknown
  /// initializer.
  explicit GroupNormalization(GroupNormalizationOptions options = {});
  /// Calls the layer. Throws ValueError for an axis other than the last, and ShapeError for an input of rank
  /// below 2, unknown channels, or channels the groups do not divide.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
