#include <algorithm>
#include <memory>

#include "compiler/passes/passes.hpp"

namespace strata::ir {

void fuse_depthwise(Graph& graph, const DepthwiseFusionCheck& accepts) {
  for (bool changed = true; changed;) {
    changed = false;
    const std::vector<std::vector<int>> readers = graph.readers();
    for (size_t i = 0; i < graph.ops.size() && !changed; ++i) {
      const Op& pointwise = graph.ops[i];
      const ValueId mid = pointwise.output();
      // The 1x1 result exists only inside the fused step, so nothing else may read it.
      if (!is_pointwise(pointwise) || readers[mid].size() != 1 || graph.is_output(mid) ||
          graph.values[mid].in_place_of >= 0) {
        continue;
      }
      const int d = readers[mid].front();
      const Op& depthwise = graph.ops[d];
      if (!is_depthwise_3x3(graph, depthwise) || depthwise.inputs[0] != mid ||
          !accepts(graph, pointwise, depthwise)) {
        continue;
      }
      // The depthwise op runs later than the pointwise one; everything reading its output runs later still.
      Op fused = with_depthwise_post_op(pointwise, depthwise);
      graph.ops[i] = std::move(fused);
      graph.ops.erase(graph.ops.begin() + d);
      changed = true;
    }
  }
}

}  // namespace strata::ir
