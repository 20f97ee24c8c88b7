#pragma once
/// @file prelu.hpp
/// `strata::layers::PReLU`, the parametric rectified linear unit.

#include <string>
#include <utility>
#include <vector>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `PReLU` keyword arguments, in Keras's order.
struct PReLUOptions {
  /// Initializer of alpha (Keras's default "zeros": the layer starts as a ReLU).
  Initializer alpha_initializer = "zeros";
  /// Axes (1 = the first after the batch) along which one alpha is shared: `{1, 2}` gives an image one
  /// alpha per channel. Empty: Keras's None, one alpha per input element.
  std::vector<int> shared_axes = {};
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `PReLUOptions{}.set_name(...).set_alpha_initializer(...)`.
  /// Sets `alpha_initializer`; returns this struct for chaining.
  PReLUOptions& set_alpha_initializer(Initializer value) {
    alpha_initializer = std::move(value);
    return *this;
  }
  /// Sets `shared_axes`; returns this struct for chaining.
  PReLUOptions& set_shared_axes(std::vector<int> value) {
    shared_axes = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  PReLUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// `x` where x >= 0, else `alpha * x`, as `keras.layers.PReLU`. One weight, `alpha`, of the input's shape
/// without the batch, with 1 on each shared axis. Compiles to one oneDNN `prelu` step.
class PReLU : public Layer {
 public:
  /// Creates the layer. Throws ValueError for an unknown initializer.
  explicit PReLU(PReLUOptions options = {});
  /// Calls the layer. Throws ValueError for a shared axis that is not one of the input's axes after the
  /// batch, and ShapeError for an unshared axis of unknown size or an input unlike the first call's.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
