#pragma once
/// @file unit_normalization.hpp
/// `strata::layers::UnitNormalization`.

#include <string>
#include <utility>

#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::layers {

/// Keras `UnitNormalization` arguments.
struct UnitNormalizationOptions {
  /// The axes whose L2 norm becomes 1: one (`-1`, the default) or several; never the batch.
  Axes axis = -1;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `UnitNormalizationOptions{}.set_name(...).set_axis(...)`.
  /// Sets `axis`; returns this struct for chaining.
  UnitNormalizationOptions& set_axis(Axes value) {
    axis = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  UnitNormalizationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x * rsqrt(max(sum(x^2), 1e-24))` over `axis`, as `keras.layers.UnitNormalization` (Keras's
/// `ops.normalize` with order 2 and epsilon 1e-12). No weights. Compiles to a square, a reduction (or a
/// pooling window over axes with kept ones after them), a clipped reciprocal square root and a broadcast
/// multiply, all oneDNN steps.
class UnitNormalization : public Layer {
 public:
  /// Creates the layer.
  explicit UnitNormalization(UnitNormalizationOptions options = {});
  /// Calls the layer. Throws ValueError for an axis out of range, the batch axis or a repeated axis.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
