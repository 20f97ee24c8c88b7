#include <map>

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

// Ops whose output no op reads and the model does not return: a convert back to the plain layout becomes
// one when every reader of the plain value was a Winograd convolution that took the blocked value instead.
void remove_unread_converts(Graph& graph) {
  for (bool removed = true; removed;) {
    removed = false;
    const std::vector<std::vector<int>> readers = graph.readers();
    for (size_t i = 0; i < graph.ops.size(); ++i) {
      const Op& op = graph.ops[i];
      if (std::holds_alternative<ConvertOp>(op.attrs) && readers[op.output].empty() &&
          !graph.is_output(op.output)) {
        graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
        removed = true;
        break;
      }
    }
  }
}

}  // namespace

void choose_layouts(Graph& graph, const WinogradCheck& prefers_winograd) {
  std::vector<Op> ops;
  // A plain value's blocked copy, made once however many Winograd convolutions read it; and, for a plain
  // value converted from a blocked one, that blocked original, which a reader can take directly.
  std::map<ValueId, ValueId> blocked_of;
  auto blocked_value = [&](ValueId plain) {
    const ValueId b = graph.add_value(graph.values[plain].dims, graph.values[plain].name + ".blocked16");
    graph.values[b].dtype = graph.values[plain].dtype;
    graph.values[b].layout = Layout::kBlocked16;
    return b;
  };
  for (Op& op : graph.ops) {
    auto* conv = std::get_if<Conv2DOp>(&op.attrs);
    const bool fused_depthwise = conv != nullptr && ir::fused_depthwise(op) != nullptr;
    // A value written in place (a fused residual add) must keep the layout of the buffer it lands in.
    if (conv == nullptr || graph.values[op.output].in_place_of >= 0 ||
        (!fused_depthwise && !prefers_winograd(graph, op))) {
      ops.push_back(std::move(op));
      continue;
    }
    if (!fused_depthwise) conv->algorithm = Conv2DOp::Algorithm::kWinograd;
    const ValueId in = op.inputs[0];
    if (!blocked_of.contains(in)) {
      blocked_of[in] = blocked_value(in);
      ops.push_back(Op{ConvertOp{}, {in}, blocked_of[in], {}, op.layers});
    }
    op.inputs[0] = blocked_of[in];
    const ValueId out = op.output;
    op.output = blocked_value(out);
    blocked_of[out] = op.output;
    const std::vector<std::string> layers = op.layers;
    const ValueId blocked_out = op.output;
    ops.push_back(std::move(op));
    ops.push_back(Op{ConvertOp{}, {blocked_out}, out, {}, layers});
  }
  graph.ops = std::move(ops);
  remove_unread_converts(graph);
}

}  // namespace strata::ir
