// Common subexpressions of the kinds Keras models repeat: element-wise activations and poolings.
#include <algorithm>
#include <string>

#include "compiler/passes/passes.hpp"

namespace strata::ir {

namespace {

// Whether `a` and `b` compute the same value: the same element-wise activation, or the same pooling, of
// the same input, with no post-ops yet. Both kinds are pure functions of their one input; the outputs'
// dims, type and layout are compared too, so that a merge never changes what a reader sees.
bool same_computation(const Graph& graph, const Op& a, const Op& b) {
  if (a.inputs != b.inputs || !a.post_ops.empty() || !b.post_ops.empty()) return false;
  const Value& x_out = graph.values[a.output()];
  const Value& y_out = graph.values[b.output()];
  if (x_out.dims != y_out.dims || x_out.dtype != y_out.dtype || x_out.layout != y_out.layout) return false;
  if (const auto* x = std::get_if<ActivationOp>(&a.attrs)) {
    const auto* y = std::get_if<ActivationOp>(&b.attrs);
    return y != nullptr && x->activation == y->activation;
  }
  if (const auto* x = std::get_if<PoolOp>(&a.attrs)) {
    const auto* y = std::get_if<PoolOp>(&b.attrs);
    return y != nullptr && x->kind == y->kind && x->window == y->window;
  }
  return false;
}

}  // namespace

void merge_duplicate_ops(Graph& graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const Op& op = graph.ops[i];
    const bool candidate =
        std::holds_alternative<ActivationOp>(op.attrs) || std::holds_alternative<PoolOp>(op.attrs);
    // A model output keeps its own op, so that the output stays the value the model names.
    if (!candidate || op.inputs.size() != 1 || op.outputs.size() != 1 || graph.is_output(op.output()))
      continue;
    const auto first = std::find_if(graph.ops.begin(), graph.ops.begin() + static_cast<long>(i),
                                    [&](const Op& earlier) { return same_computation(graph, earlier, op); });
    if (first == graph.ops.begin() + static_cast<long>(i)) continue;
    // Every reader of the duplicate runs after it, so after `first` too.
    const ValueId duplicate = op.output(), kept = first->output();
    for (Op& reader : graph.ops) {
      std::replace(reader.inputs.begin(), reader.inputs.end(), duplicate, kept);
      for (PostOp& post_op : reader.post_ops) {
        if (post_op.operand == duplicate) post_op.operand = kept;
      }
    }
    // Views of the duplicate (a reshape's output shares its input's buffer) become views of the kept value.
    for (Value& value : graph.values) {
      if (value.in_place_of == duplicate) value.in_place_of = kept;
    }
    for (const std::string& layer : op.layers) {
      // A shared layer called twice on one tensor is named once.
      if (std::find(first->layers.begin(), first->layers.end(), layer) == first->layers.end()) {
        first->layers.push_back(layer);
      }
    }
    graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
    --i;
  }
}

}  // namespace strata::ir
