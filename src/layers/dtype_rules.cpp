#include "layers/dtype_rules.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "strata/error.hpp"

namespace strata::detail {
namespace {

// Rank on Keras's promotion chain restricted to strata's types (weak types between the strong ones).
int rank_of(const OperandType& t) {
  switch (t.weak) {
    case OperandType::Weak::kInt:
      return 1;
    case OperandType::Weak::kFloat:
      return 4;
    case OperandType::Weak::kNone:
      break;
  }
  switch (t.dtype) {
    case DType::kBool:
      return 0;
    case DType::kInt32:
      return 2;
    case DType::kInt64:
      return 3;
    case DType::kFloat32:
      break;
  }
  return 5;
}

}  // namespace

DType result_type(const std::vector<OperandType>& operands) {
  int highest = 0;
  for (const OperandType& t : operands) highest = std::max(highest, rank_of(t));
  static constexpr DType kByRank[] = {DType::kBool,  DType::kInt32,   DType::kInt32,
                                      DType::kInt64, DType::kFloat32, DType::kFloat32};
  return kByRank[highest];
}

ir::ValueId emit_cast(ir::Graph& graph, ir::ValueId value, DType to, const std::string& layer) {
  const ir::DataType type = ir::data_type_of(to);
  if (graph.values[value].dtype == type) return value;
  std::vector<int64_t> dims = graph.values[value].dims;
  const ir::ValueId out = graph.add_value(std::move(dims), layer + "/cast");
  graph.values[out].dtype = type;
  graph.ops.push_back(
      ir::Op{ir::ElementwiseOp{ir::ElementwiseOp::Kind::kCast, {}}, {value}, {out}, {}, {layer}});
  return out;
}

void expect_float_inputs(const std::string& prefix, const std::vector<DType>& dtypes) {
  for (size_t i = 0; i < dtypes.size(); ++i) {
    if (dtypes[i] == DType::kFloat32) continue;
    throw ValueError(
        fmt::format("{} Expected float32 inputs, received {} for input {}: this computes in "
                    "float32 only; convert with ops::cast(x, \"float32\") first",
                    prefix, dtype_name(dtypes[i]), i));
  }
}

IntegerIds emit_integer_ids(ir::Graph& graph, ir::ValueId value, const std::string& layer) {
  const ir::DataType type = graph.values[value].dtype;
  if (type == ir::DataType::kInt32 || type == ir::DataType::kInt64) return {value, false};
  return {emit_cast(graph, value, DType::kInt32, layer), true};
}

}  // namespace strata::detail
