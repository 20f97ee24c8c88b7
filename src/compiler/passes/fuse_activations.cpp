#include <algorithm>

#include "compiler/passes/passes.hpp"

namespace strata::ir {

void fuse_activations(Graph& graph, const PostOpCheck& accepts) {
  bool changed = true;
  while (changed) {
    changed = false;
    const std::vector<std::vector<int>> readers = graph.readers();
    const std::vector<int> producers = graph.producers();
    for (size_t i = 0; i < graph.ops.size(); ++i) {
      Op& act = graph.ops[i];
      const auto* a = std::get_if<ActivationOp>(&act.attrs);
      if (a == nullptr) continue;
      if (!detail::is_standard_eltwise(a->activation)) continue;
      const ValueId src = act.inputs[0];
      const int p = producers[src];
      // Convolutions, dense layers and binary ops take post-ops; their result must have no other use, since
      // after fusion it no longer exists on its own.
      if (p < 0) continue;
      const OpAttrs& producer = graph.ops[p].attrs;
      const bool takes_post_ops = std::holds_alternative<Conv2DOp>(producer) ||
                                  std::holds_alternative<DenseOp>(producer) || std::holds_alternative<BinaryOp>(producer);
      if (!takes_post_ops) continue;
      if (readers[src].size() != 1 || graph.is_output(src)) continue;
      Op& conv = graph.ops[p];
      std::vector<PostOp> chain = conv.post_ops;
      chain.push_back(PostOp{PostOp::Kind::kActivation, a->activation, -1, nullptr});
      if (!accepts(chain)) continue;
      conv.post_ops = std::move(chain);
      // An in-place conv keeps writing into its target buffer under the new value.
      graph.values[act.output].in_place_of = graph.values[src].in_place_of;
      conv.output = act.output;
      for (const std::string& layer : act.layers) {
        if (std::find(conv.layers.begin(), conv.layers.end(), layer) == conv.layers.end()) conv.layers.push_back(layer);
      }
      graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
      changed = true;
      break;
    }
  }
}

}  // namespace strata::ir
