// Strided 1x1 convolutions as a subsampling and a unit-stride convolution, where the backend runs them so
// faster (Xception's shortcuts on odd-sized maps).
#include <string>

#include "compiler/passes/passes.hpp"

namespace strata::ir {

bool is_strided_pointwise(const Graph& graph, const Op& op) {
  const auto* c = std::get_if<ConvOp>(&op.attrs);
  if (c == nullptr || c->window.rank() != 2 || c->groups != 1 || op.inputs.size() != 1) return false;
  const std::vector<int> ones{1, 1};
  return c->window.size == ones && c->window.dilations == ones && c->window.strides != ones &&
         c->window.padding.is_zero() && fused_depthwise(op) == nullptr &&
         graph.values[op.inputs[0]].layout == Layout::kPlain;
}

void subsample_strided_pointwise(Graph& graph, const SubsampleCheck& prefers) {
  if (!prefers) return;
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    if (!is_strided_pointwise(graph, graph.ops[i]) || !prefers(graph, graph.ops[i])) continue;
    const ValueId input = graph.ops[i].inputs[0];
    // The input's cells the convolution reads: its output's grid, with the input's channels.
    std::vector<int64_t> dims = graph.values[graph.ops[i].output()].dims;
    dims.back() = graph.values[input].dims.back();
    const ValueId subsampled = graph.add_value(dims, graph.values[input].name + "/subsampled");
    graph.values[subsampled].dtype = graph.values[input].dtype;
    auto& conv = std::get<ConvOp>(graph.ops[i].attrs);
    // A 1x1 max pooling with the convolution's strides copies exactly the cells it reads.
    PoolOp subsample{PoolOp::Kind::kMax, Window::dense({1, 1})};
    subsample.window.strides = conv.window.strides;
    conv.window.strides = {1, 1};
    graph.ops[i].inputs[0] = subsampled;
    Op pool{subsample, {input}, {subsampled}, {}, graph.ops[i].layers};
    graph.ops.insert(graph.ops.begin() + static_cast<long>(i), std::move(pool));
    ++i;
  }
}

}  // namespace strata::ir
