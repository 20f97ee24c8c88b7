#pragma once
// Keras's weight initializers, drawing from the process-wide seeded generator.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::detail {

/// Throws ValueError (prefixed with `where`) when `name` is not an initializer strata knows.
void check_initializer(const std::string& name, const std::string& where);

/// A tensor initialized as Keras's initializer `name` does, with the given fans (Keras's
/// `compute_fans`: for a conv kernel, receptive field times in and out channels).
Tensor initialize(const std::string& name, std::vector<int64_t> dims, double fan_in, double fan_out);

}  // namespace strata::detail
