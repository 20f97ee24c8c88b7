#pragma once
// Runs an ElementwiseOp (casts, comparisons, logical ops, where, integer arithmetic) on raw buffers. Both
// backends use it: oneDNN 2.6 has no 64-bit integers, no bool type and no select, and these ops are memory
// bound, so one plain C++ loop serves. Its oracle is outside strata (the tfjs tests).

#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {

/// One input of an elementwise op: its dims (any rank up to the output's; shorter ones align from the
/// right), its element type and its data.
struct ElementwiseInput {
  std::vector<int64_t> dims;
  ir::DataType type;
  const void* data;
};

/// Computes `op` for every element of the output (`dst_dims`, `dst_type`), broadcasting the inputs, on the
/// calling thread's OpenMP team when the output is large. Throws InternalError when the types are not the
/// ones lowering guarantees.
void run_elementwise(const ir::ElementwiseOp& op, const std::vector<ElementwiseInput>& inputs,
                     const std::vector<int64_t>& dst_dims, ir::DataType dst_type, void* dst);

/// TensorFlow's cast of one float to an integer type: toward zero; NaN and values outside the type's range
/// give its minimum (x86's "integer indefinite", what TensorFlow and numpy produce on these CPUs), never
/// undefined behaviour.
int32_t cast_to_int32(float x);
int64_t cast_to_int64(float x);

}  // namespace strata::detail
