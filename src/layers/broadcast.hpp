#pragma once
// Keras's size-1 broadcasting of merge-layer inputs.

#include <cstdint>
#include <optional>
#include <vector>

#include "strata/shape.hpp"

namespace strata::detail {

/// Keras's `_compute_elemwise_op_output_shape` on shapes without the batch: dimensions align at the
/// end; a 1 stretches to the other's size; unknown stays unknown. Returns nullopt when incompatible.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

/// The same rule on concrete dimensions (batch included). Returns nullopt when incompatible.
std::optional<std::vector<int64_t>> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b);

}  // namespace strata::detail
