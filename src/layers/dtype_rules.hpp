#pragma once
// Keras 3's dtype rules for ops (keras.src.backend.common.dtypes.result_type) over the types strata has,
// and the casts that lowering inserts so that an op's operands share one type.

#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

/// An operand as Keras's type promotion sees it: a tensor of a dtype, or a Python number, which is weakly
/// typed (it takes the type of the tensor beside it when that can hold it).
struct OperandType {
  enum class Weak { kNone, kInt, kFloat };
  DType dtype = DType::kFloat32;  ///< a tensor's dtype (unused for a number)
  Weak weak = Weak::kNone;        ///< kInt for an integral number, kFloat for another
  static OperandType tensor(DType d) { return {d, Weak::kNone}; }
  static OperandType number(bool integral) { return {DType::kFloat32, integral ? Weak::kInt : Weak::kFloat}; }
};

/// Keras's `result_type` of the operands with the TensorFlow backend's 64-bit integers: on strata's types
/// Keras's lattice is the chain bool < (weak int) < int32 < int64 < (weak float) < float32, the result is
/// the highest operand, and a weak result resolves to int32 or float32.
DType result_type(const std::vector<OperandType>& operands);

/// `value` converted to `to` by one cast step (TensorFlow's cast), or `value` itself when it already has
/// that type.
ir::ValueId emit_cast(ir::Graph& graph, ir::ValueId value, DType to, const std::string& layer);

/// Integer ids from `value`: itself when int32 or int64, else a cast to int32 (Keras casts float and bool
/// ids so, floats toward zero). `cast` tells which, for the lookup's error message.
struct IntegerIds {
  ir::ValueId value;
  bool cast = false;
};
IntegerIds emit_integer_ids(ir::Graph& graph, ir::ValueId value, const std::string& layer);

/// Throws ValueError, starting with `prefix`, unless every one of `dtypes` is float32: for the ops that
/// compute only in float32 (activations, reductions, softmax, matmul), naming input `i` and the fix.
void expect_float_inputs(const std::string& prefix, const std::vector<DType>& dtypes);

}  // namespace strata::detail
