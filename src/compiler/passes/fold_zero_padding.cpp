#include "compiler/passes/passes.hpp"

namespace strata::ir {

namespace {

// True when every element of `v` is >= 0: the output of a plain relu (no negative slope, threshold >= 0),
// relu6, sigmoid, hard sigmoid or softplus activation op, or of a softmax (as the ONNX exporter's test).
bool non_negative(const Graph& graph, ValueId v) {
  const int p = graph.producers()[v];
  if (p < 0) return false;
  const Op& op = graph.ops[p];
  if (std::holds_alternative<SoftmaxOp>(op.attrs)) return true;
  const auto* a = std::get_if<ActivationOp>(&op.attrs);
  if (a == nullptr) return false;
  switch (a->activation.kind) {
    case detail::ActivationKind::kRelu:
      return a->activation.alpha == 0.0f && a->activation.threshold >= 0.0f;
    case detail::ActivationKind::kRelu6:
    case detail::ActivationKind::kSigmoid:
    case detail::ActivationKind::kHardSigmoid:
    case detail::ActivationKind::kHardSigmoidKeras2:
    case detail::ActivationKind::kSoftplus:
      return true;
    default:
      return false;
  }
}

// Folds pad op `i` into the max poolings that are its only readers (ResNet50's pool1_pad before pool1_pool,
// after conv1_relu) when the padded values are non-negative: a window's maximum is then the same whether its
// padded cells hold 0 or are left out, as a pooling's own padding leaves them out. Each side's total padding
// stays below the window, so no window lies wholly in the padding. Saves a copy of the whole image. Returns
// whether it folded (and erased op `i`).
bool fold_into_max_pools(Graph& graph, size_t i, const std::vector<int>& readers) {
  const auto pad = std::get<PadOp>(graph.ops[i].attrs);
  const ValueId src = graph.ops[i].inputs[0];
  if (readers.empty() || !non_negative(graph, src)) return false;
  for (int r : readers) {
    const auto* pool = std::get_if<PoolOp>(&graph.ops[r].attrs);
    if (pool == nullptr || pool->kind != PoolOp::Kind::kMax ||
        graph.ops[r].inputs[0] != graph.ops[i].output() || pool->window.rank() != pad.padding.rank()) {
      return false;
    }
    const Window& w = pool->window;
    for (int a = 0; a < w.rank(); ++a) {
      if (w.padding.before[a] + pad.padding.before[a] >= w.size[a] ||
          w.padding.after[a] + pad.padding.after[a] >= w.size[a]) {
        return false;
      }
    }
  }
  for (int r : readers) {
    Op& pool_op = graph.ops[r];
    std::get<PoolOp>(pool_op.attrs).window.padding += pad.padding;
    pool_op.inputs[0] = src;
    for (const std::string& layer : graph.ops[i].layers) pool_op.layers.insert(pool_op.layers.begin(), layer);
  }
  graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
  return true;
}

}  // namespace

void fold_zero_padding(Graph& graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const auto* pad = std::get_if<PadOp>(&graph.ops[i].attrs);
    if (pad == nullptr || pad->value != 0.0f) continue;  // a fill value is no convolution's padding
    const ValueId padded = graph.ops[i].output();
    if (graph.is_output(padded)) continue;
    const std::vector<std::vector<int>> readers = graph.readers();
    bool all_convs = !readers[padded].empty();
    for (int r : readers[padded]) {
      const Op& reader = graph.ops[r];
      const auto* conv = std::get_if<ConvOp>(&reader.attrs);
      all_convs = all_convs && conv != nullptr && reader.inputs[0] == padded &&
                  conv->window.rank() == pad->padding.rank();
    }
    if (!all_convs) {
      if (fold_into_max_pools(graph, i, readers[padded])) --i;
      continue;
    }
    const ValueId src = graph.ops[i].inputs[0];
    // A convolution pads with zeros too, so explicit zeros before it are the same as more implicit padding.
    for (int r : readers[padded]) {
      Op& conv = graph.ops[r];
      std::get<ConvOp>(conv.attrs).window.padding += pad->padding;
      conv.inputs[0] = src;
      for (const std::string& layer : graph.ops[i].layers) conv.layers.insert(conv.layers.begin(), layer);
    }
    graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
    --i;
  }
}

}  // namespace strata::ir
