#include "compiler/passes/passes.hpp"

namespace strata::ir {

void fold_zero_padding(Graph& graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const auto* pad = std::get_if<PadOp>(&graph.ops[i].attrs);
    if (pad == nullptr) continue;
    const ValueId padded = graph.ops[i].output;
    if (graph.is_output(padded)) continue;
    const std::vector<std::vector<int>> readers = graph.readers();
    bool all_convs = !readers[padded].empty();
    for (int r : readers[padded]) {
      const Op& reader = graph.ops[r];
      all_convs = all_convs && std::holds_alternative<Conv2DOp>(reader.attrs) && reader.inputs[0] == padded;
    }
    if (!all_convs) continue;
    const ValueId src = graph.ops[i].inputs[0];
    // A convolution pads with zeros too, so explicit zeros before it are the same as more implicit padding.
    for (int r : readers[padded]) {
      Op& conv = graph.ops[r];
      Padding2D& p = std::get<Conv2DOp>(conv.attrs).padding;
      p.top += pad->padding.top;
      p.bottom += pad->padding.bottom;
      p.left += pad->padding.left;
      p.right += pad->padding.right;
      conv.inputs[0] = src;
      for (const std::string& layer : graph.ops[i].layers) conv.layers.insert(conv.layers.begin(), layer);
    }
    graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
    --i;
  }
}

}  // namespace strata::ir
