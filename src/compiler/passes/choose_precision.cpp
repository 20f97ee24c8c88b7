#include <map>

#include "compiler/passes/passes.hpp"
#include "core/overloaded.hpp"

namespace strata::ir {
namespace {

// Ops oneDNN runs natively in bfloat16, and the byte-copying steps (pad, crop, upsample); the rest (custom
// kernels and other plain C++ steps) read and write float32. Every kind answers: a new one must decide.
bool runs_in_bf16(const Graph& graph, const Op& op) {
  auto yes = [](const auto&) { return true; };
  auto no = [](const auto&) { return false; };
  return std::visit(
      detail::Overloaded{
          [&](const ConvOp& c) { return yes(c); }, [&](const DenseOp& d) { return yes(d); },
          [&](const TransposedConvOp& t) { return yes(t); }, [&](const PoolOp& p) { return yes(p); },
          [&](const SoftmaxOp& s) { return yes(s); }, [&](const BatchNormOp& b) { return yes(b); },
          [&](const ConcatOp& c) { return yes(c); }, [&](const PadOp& p) { return p.value == 0.0f; },
          [&](const ReduceOp& r) { return yes(r); }, [&](const TransposeOp& t) { return yes(t); },
          // Statistics in float32: the variance of bfloat16 inputs loses too much.
          [&](const LayerNormOp& l) { return no(l); }, [&](const MatMulOp& m) { return yes(m); },
          [&](const PReluOp& p) { return no(p); },  // oneDNN 2.6's prelu takes weights of the data's type
          [&](const CropOp& c) { return yes(c); }, [&](const UpsampleOp& u) { return yes(u); },
          [&](const ResizeOp& r) { return yes(r); },
          [&](const ActivationOp& a) { return detail::is_standard_eltwise(a.activation); },
          [&](const BinaryOp& b) {
            // oneDNN's binary needs one input of the output's full size; a double broadcast is a C++ step,
            // and so is a power.
            if (b.kind == BinaryOp::Kind::kPower) return false;
            const auto& out = graph.values[op.output()].dims;
            for (ValueId v : op.inputs) {
              if (graph.values[v].dims == out) return true;
            }
            return false;
          },
          [&](const CustomOp& c) { return no(c); }, [&](const ConvertOp& c) { return no(c); },
          [&](const ElementwiseOp& e) { return no(e); },  // plain C++ over float32, integers and bools
          [&](const GatherOp& g) { return no(g); },       // plain C++, rows of a float32 table
          [&](const OneHotOp& o) { return no(o); },       // plain C++, float32 rows of counts
          [&](const ConstantOp& c) { return no(c); },     // a copy of the tensor as it is
          // The state feeds back through every step: bfloat16 rounding would compound over the sequence.
          [&](const RecurrentOp& r) { return no(r); },
          [&](const ReshapeOp& r) { return no(r); },  // a view: choose_precision gives it its input's type
      },
      op.attrs);
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
    ops.push_back(Op{ConvertOp{}, {v}, {out}, {}, {}});
    converted[{v, to}] = out;
    return out;
  };
  for (Op& op : graph.ops) {
    if (std::holds_alternative<ReshapeOp>(op.attrs)) {
      graph.values[op.output()].dtype = graph.values[op.inputs[0]].dtype;  // a view keeps its input's type
      ops.push_back(std::move(op));
      continue;
    }
    const DataType want = runs_in_bf16(graph, op) ? DataType::kBFloat16 : DataType::kFloat32;
    // Integer and bool values keep their type: only the float ones change precision.
    for (ValueId& in : op.inputs) {
      if (is_float(graph.values[in].dtype) && graph.values[in].dtype != want) in = convert(in, want);
    }
    for (ValueId out : op.outputs) {
      if (is_float(graph.values[out].dtype)) graph.values[out].dtype = want;
    }
    ops.push_back(std::move(op));
  }
  for (ValueId& out : graph.outputs) {
    if (graph.values[out].dtype == DataType::kBFloat16) out = convert(out, DataType::kFloat32);
  }
  graph.ops = std::move(ops);
}

}  // namespace strata::ir
