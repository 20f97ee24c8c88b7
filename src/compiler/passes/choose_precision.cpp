#include <map>

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

// Ops oneDNN runs natively in bfloat16, and the byte-copying steps (pad, crop, upsample); the rest (custom
// kernels and other plain C++ steps) read and write float32.
bool runs_in_bf16(const Graph& graph, const Op& op) {
  if (std::holds_alternative<Conv2DOp>(op.attrs) || std::holds_alternative<DenseOp>(op.attrs) ||
      std::holds_alternative<Pool2DOp>(op.attrs) || std::holds_alternative<SoftmaxOp>(op.attrs) ||
      std::holds_alternative<BatchNormOp>(op.attrs) || std::holds_alternative<ConcatOp>(op.attrs) ||
      std::holds_alternative<PadOp>(op.attrs) || std::holds_alternative<CropOp>(op.attrs) ||
      std::holds_alternative<UpsampleOp>(op.attrs)) {
    return true;
  }
  if (const auto* a = std::get_if<ActivationOp>(&op.attrs)) return detail::is_standard_eltwise(a->activation);
  if (std::holds_alternative<BinaryOp>(op.attrs)) {
    // oneDNN's binary needs one input of the output's full size; a double broadcast is a C++ step.
    const auto& out = graph.values[op.output].dims;
    for (ValueId v : op.inputs) {
      if (graph.values[v].dims.size() == out.size() && graph.values[v].dims == out) return true;
    }
    return false;
  }
  return false;
}

}  // namespace

void choose_precision(Graph& graph) {
  std::vector<Op> ops;
  std::map<std::pair<ValueId, DataType>, ValueId> converted;
  auto convert = [&](ValueId v, DataType to) {
    auto it = converted.find({v, to});
    if (it != converted.end()) return it->second;
    const ValueId out = graph.add_value(graph.values[v].dims, graph.values[v].name + (to == DataType::kBFloat16 ? ".bf16" : ".f32"));
    graph.values[out].dtype = to;
    ops.push_back(Op{ConvertOp{}, {v}, out, {}, {}});
    converted[{v, to}] = out;
    return out;
  };
  for (Op& op : graph.ops) {
    if (std::holds_alternative<ReshapeOp>(op.attrs)) {
      graph.values[op.output].dtype = graph.values[op.inputs[0]].dtype;  // a view keeps its input's type
      ops.push_back(std::move(op));
      continue;
    }
    const DataType want = runs_in_bf16(graph, op) ? DataType::kBFloat16 : DataType::kFloat32;
    for (ValueId& in : op.inputs) {
      if (graph.values[in].dtype != want) in = convert(in, want);
    }
    graph.values[op.output].dtype = want;
    ops.push_back(std::move(op));
  }
  for (ValueId& out : graph.outputs) {
    if (graph.values[out].dtype != DataType::kFloat32) out = convert(out, DataType::kFloat32);
  }
  graph.ops = std::move(ops);
}

}  // namespace strata::ir
