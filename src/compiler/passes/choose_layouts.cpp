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
      if (std::holds_alternative<ConvertOp>(op.attrs) && readers[op.output()].empty() &&
          !graph.is_output(op.output())) {
        graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
        removed = true;
        break;
      }
    }
  }
}

PostOp* sum_post_op(Op& op) {
  for (PostOp& p : op.post_ops) {
    if (p.kind == PostOp::Kind::kSum) return &p;
  }
  return nullptr;
}

}  // namespace

void choose_layouts(Graph& graph, const WinogradCheck& prefers_winograd, const BlockedCheck& runs_blocked) {
  std::vector<Op> ops;
  // A plain value's blocked copy, made once however many blocked convolutions read it; and, for a plain
  // value converted from a blocked one, that blocked original, which a reader can take directly.
  std::map<ValueId, ValueId> blocked_of;
  auto blocked_value = [&](ValueId plain) {
    const ValueId b = graph.add_value(graph.values[plain].dims, graph.values[plain].name + ".blocked16");
    graph.values[b].dtype = graph.values[plain].dtype;
    graph.values[b].layout = Layout::kBlocked16;
    return b;
  };
  for (Op& op : graph.ops) {
    auto* conv = std::get_if<ConvOp>(&op.attrs);
    if (conv == nullptr) {
      ops.push_back(std::move(op));
      continue;
    }
    const ValueId in = op.inputs[0];
    PostOp* sum = sum_post_op(op);
    bool blocked = false;
    if (ir::fused_depthwise(op) != nullptr) {
      blocked = sum == nullptr;
    } else if (sum == nullptr && prefers_winograd(graph, op)) {
      conv->algorithm = ConvOp::Algorithm::kWinograd;
      blocked = true;
    } else {
      // A direct convolution stays blocked when its input already is, which saves converting it back, where
      // the backend has a good blocked kernel; it never starts a chain (converting MobileNetV2's first
      // depthwise input cost more than the blocked kernel saved). A fused residual add writes into its
      // operand's buffer, so it runs blocked only where that operand already is blocked (never converted just
      // to be overwritten).
      const bool operand_blocked = sum == nullptr || blocked_of.contains(sum->operand);
      blocked = operand_blocked && blocked_of.contains(in) && runs_blocked(graph, op);
    }
    if (!blocked) {
      ops.push_back(std::move(op));
      continue;
    }
    if (!blocked_of.contains(in)) {
      blocked_of[in] = blocked_value(in);
      ops.push_back(Op{ConvertOp{}, {in}, {blocked_of[in]}, {}, op.layers});
    }
    op.inputs[0] = blocked_of[in];
    const ValueId out = op.output();
    op.outputs = {blocked_value(out)};
    if (sum != nullptr) {
      sum->operand = blocked_of[sum->operand];
      graph.values[op.output()].in_place_of = sum->operand;
      // The plain result is now the convert's own buffer, not the plain operand's.
      graph.values[out].in_place_of = -1;
    }
    blocked_of[out] = op.output();
    const std::vector<std::string> layers = op.layers;
    const ValueId blocked_out = op.output();
    ops.push_back(std::move(op));
    ops.push_back(Op{ConvertOp{}, {blocked_out}, {out}, {}, layers});
  }
  graph.ops = std::move(ops);
  remove_unread_converts(graph);
}

}  // namespace strata::ir
