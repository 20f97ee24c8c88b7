#pragma once
// Runs a user-defined layer's kernel on raw buffers. Both backends use it: a custom kernel is the user's
// code, so there is no independent oracle for it anyway.

#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {

/// One input of a custom op: its dims, element type (float32, int32, int64 or bool) and data.
struct CustomInput {
  std::vector<int64_t> dims;
  ir::DataType type;
  const void* data;
};

/// Copies the inputs into Tensors, calls the definition, checks the outputs kept their shapes, copies them
/// out (float32).
void run_custom_op(const ir::CustomOp& op, const std::vector<CustomInput>& inputs,
                   const std::vector<std::vector<int64_t>>& output_dims, const std::vector<float*>& outputs);

}  // namespace strata::detail
