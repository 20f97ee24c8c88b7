#pragma once
/// @file normalization.hpp
/// `strata::layers::Normalization`, Keras's feature-wise standardization preprocessing layer.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::layers {

/// Keras `Normalization` keyword arguments, in Keras's order.
struct NormalizationOptions {
  /// The axes that keep their own mean and variance (Keras's "feature" axes): `-1` (the default, one per
  /// channel), several (`{2, 3}`), or `strata::Axes{}` for Keras's `None` (one mean and variance for all
  /// values); any axes but the batch axis.
  Axes axis = -1;
  /// The means, row-major over the kept axes: one number for all, one per element of the kept axes, or
  /// one per element of their last few (broadcast over the others, as Keras aligns shapes from the right).
  /// Unset: the layer holds the statistics as weights `mean`, `variance` and `count`, as Keras does after
  /// `adapt` (strata does not adapt; the weights come from a Keras file or `set_weights`).
  std::optional<std::vector<float>> mean = std::nullopt;
  /// The variances, as `mean` (both set or neither).
  std::optional<std::vector<float>> variance = std::nullopt;
  /// Undo a normalization instead: `mean + x * sqrt(variance)`.
  bool invert = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `NormalizationOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  NormalizationOptions& set_axis(Axes value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `mean`; returns this struct for chaining.
  NormalizationOptions& set_mean(std::optional<std::vector<float>> value) {
    mean = std::move(value);
    return *this;
  }
  /// Sets `variance`; returns this struct for chaining.
  NormalizationOptions& set_variance(std::optional<std::vector<float>> value) {
    variance = std::move(value);
    return *this;
  }
  /// Sets `invert`; returns this struct for chaining.
  NormalizationOptions& set_invert(bool value) {
    invert = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  NormalizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `(x - mean) / max(sqrt(variance), 1e-7)` per feature, as `keras.layers.Normalization` at inference
/// (`invert`: `mean + x * max(sqrt(variance), 1e-7)`). With `mean` and `variance` given the layer has no
/// weights; without them it has Keras's non-trainable weights `mean` and `variance` (the kept axes' shape)
/// and `count` (a scalar Keras stores as an integer; it does not change outputs). Compiles to one
/// scale-and-shift per feature (a oneDNN batch normalization, folded into a convolution before it), or to
/// one element-wise step when the statistics are one number.
class Normalization : public Layer {
 public:
  /// Creates the layer. Throws ValueError when only one of mean and variance is given, they differ in
  /// size, are empty, hold NaN, or a variance is negative.
  explicit Normalization(NormalizationOptions options = {});
  /// Calls the layer. Throws ValueError for an axis out of range or the batch axis, and ShapeError for a kept
  /// axis of unknown size or statistics that do not fit the kept axes.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
