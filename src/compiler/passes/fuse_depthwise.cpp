#include <algorithm>
#include <memory>

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

bool only_activations(const std::vector<PostOp>& chain) {
  return std::all_of(chain.begin(), chain.end(),
                     [](const PostOp& p) { return p.kind == PostOp::Kind::kActivation; });
}

// A 1x1 convolution that keeps the image's size: stride 1, no padding, no groups, nothing but activations
// fused so far.
bool is_pointwise(const Op& op) {
  const auto* c = std::get_if<ConvOp>(&op.attrs);
  return c != nullptr && c->window.size == std::vector<int>{1, 1} &&
         c->window.strides == std::vector<int>{1, 1} && c->window.padding.is_zero() && c->groups == 1 &&
         c->algorithm == ConvOp::Algorithm::kDirect && only_activations(op.post_ops);
}

// A 3x3 depthwise convolution with one output channel per input channel.
bool is_depthwise_3x3(const Graph& graph, const Op& op) {
  const auto* c = std::get_if<ConvOp>(&op.attrs);
  if (c == nullptr || c->window.size != std::vector<int>{3, 3}) return false;
  const auto& k = c->kernel->dims();  // (3, 3, 1, channels)
  const int64_t channels = graph.values[op.inputs[0]].dims.back();
  return k[2] == 1 && k[3] == channels && c->groups == channels &&
         c->window.dilations == std::vector<int>{1, 1} && only_activations(op.post_ops);
}

}  // namespace

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
