#pragma once
// Keras's weight initializers, drawing from the process-wide seeded generator.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/initializers.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

/// Throws ValueError (prefixed with `where`) when `init` is not an initializer strata knows, or its arguments
/// are out of range (a negative scale or stddev, an unknown mode or distribution, minval above maxval).
void check_initializer(const Initializer& init, const std::string& where);

/// The named initializer (Glorot, He or Lecun, with `init`'s seed) that a VarianceScaling equals, as Keras
/// 2.0-2.2 wrote them; `init` itself otherwise.
Initializer as_named(const Initializer& init);

/// The snake_case name of a named initializer without arguments ("glorot_uniform"), or empty.
std::string initializer_name(const Initializer& init);

/// A tensor initialized as Keras's initializer `name` does, with the given fans (Keras's
/// `compute_fans`: for a conv kernel, receptive field times in and out channels).
/// Throws ValueError for an Identity initializer of a weight whose rank is not 2.
/// Inside a WeightsToBeLoaded scope on this thread: zeros, and nothing drawn from the generator.
Tensor initialize(const Initializer& init, std::vector<int64_t> dims, double fan_in, double fan_out);

/// While alive, `initialize` on this thread gives zeros: for models whose every weight is read from a file
/// next (load_model), where drawing 25 million random numbers for a ResNet50 took a third of the load.
/// Whoever opens one must make sure every weight is then assigned.
class WeightsToBeLoaded {
 public:
  WeightsToBeLoaded();
  ~WeightsToBeLoaded();
  WeightsToBeLoaded(const WeightsToBeLoaded&) = delete;
  WeightsToBeLoaded& operator=(const WeightsToBeLoaded&) = delete;

 private:
  bool outer_;
};

}  // namespace strata::detail
