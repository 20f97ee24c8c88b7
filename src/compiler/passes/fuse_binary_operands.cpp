#include <algorithm>
#include <optional>

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

// Is `operand` one value, or one per channel of `out` (Keras's last axis), once broadcast to it?
bool scalar_or_per_channel(const std::vector<int64_t>& operand, const std::vector<int64_t>& out) {
  if (operand.size() > out.size() || operand.empty()) return false;
  for (size_t i = 0; i + 1 < operand.size(); ++i) {
    if (operand[i] != 1) return false;
  }
  return operand.back() == 1 || operand.back() == out.back();
}

// The fused op for binary op `index` with `full` the convolution's result and `operand` the other input, or
// nothing.
std::optional<Op> fused_op(const Graph& graph, const std::vector<std::vector<int>>& readers,
                           const std::vector<int>& producers, int index, ValueId full, ValueId operand,
                           int threads, const PostOpCheck& accepts, const BinaryFusionCheck& fuses) {
  const Op& binary = graph.ops[index];
  const int p = producers[full];
  if (p < 0 || !std::holds_alternative<ConvOp>(graph.ops[p].attrs)) return std::nullopt;
  if (readers[full].size() != 1 || graph.is_output(full) || full == operand) return std::nullopt;
  const Value& out = graph.values[binary.output()];
  if (graph.values[full].dims != out.dims || !scalar_or_per_channel(graph.values[operand].dims, out.dims)) {
    return std::nullopt;
  }
  if (graph.values[full].dtype != out.dtype || !is_float(out.dtype) ||
      graph.values[operand].dtype != out.dtype) {
    return std::nullopt;
  }
  // Run at the binary op's place when the operand comes later; nothing in between may write in place into
  // a buffer the convolution reads.
  if (producers[operand] > p) {
    for (int k = p + 1; k < index; ++k) {
      if (graph.values[graph.ops[k].output()].in_place_of < 0) continue;
      const ValueId root = graph.buffer_root(graph.ops[k].output());
      for (ValueId in : graph.ops[p].inputs) {
        if (graph.buffer_root(in) == root) return std::nullopt;
      }
    }
  }
  Op fused = graph.ops[p];
  PostOp post{PostOp::Kind::kBinary, {}, operand, nullptr};
  post.binary = std::get<BinaryOp>(binary.attrs).kind;
  fused.post_ops.push_back(post);
  fused.post_ops.insert(fused.post_ops.end(), binary.post_ops.begin(), binary.post_ops.end());
  fused.outputs = binary.outputs;
  for (const std::string& layer : binary.layers) {
    if (std::find(fused.layers.begin(), fused.layers.end(), layer) == fused.layers.end()) {
      fused.layers.push_back(layer);
    }
  }
  if (!accepts(fused.post_ops) || !fuses(graph, fused, threads)) return std::nullopt;
  return fused;
}

}  // namespace

void fuse_binary_operands(Graph& graph, int threads, const PostOpCheck& accepts,
                          const BinaryFusionCheck& fuses) {
  for (int i = 0; i < static_cast<int>(graph.ops.size()); ++i) {
    const Op& binary = graph.ops[i];
    const auto* b = std::get_if<BinaryOp>(&binary.attrs);
    if (b == nullptr || b->kind == BinaryOp::Kind::kPower || binary.inputs.size() != 2) continue;
    const std::vector<std::vector<int>> readers = graph.readers();
    const std::vector<int> producers = graph.producers();
    // oneDNN's binary post-op computes dst op operand: the full tensor must come first, unless the op
    // commutes.
    const bool commutes = b->kind != BinaryOp::Kind::kSubtract && b->kind != BinaryOp::Kind::kDivide;
    std::optional<Op> fused;
    for (const bool swapped : {false, true}) {
      if (swapped && !commutes) break;
      const ValueId full = binary.inputs[swapped ? 1 : 0], operand = binary.inputs[swapped ? 0 : 1];
      fused = fused_op(graph, readers, producers, i, full, operand, threads, accepts, fuses);
      if (!fused) continue;
      // The convolution stays in its place when the operand exists by then (a model input, a constant, an
      // earlier result); else it runs at the binary op's place, where its inputs exist too.
      const int p = producers[full];
      graph.values[binary.output()].in_place_of = graph.values[full].in_place_of;
      if (producers[operand] < p) {
        graph.ops[p] = std::move(*fused);
        graph.ops.erase(graph.ops.begin() + i);
      } else {
        graph.ops[i] = std::move(*fused);
        graph.ops.erase(graph.ops.begin() + p);
      }
      --i;
      break;
    }
  }
}

}  // namespace strata::ir
