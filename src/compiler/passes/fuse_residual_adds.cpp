#include <algorithm>

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

ValueId buffer_root(const Graph& graph, ValueId v) { return graph.buffer_root(v); }

// Can the add at `add_index` become a sum post-op of the conv producing `branch`, writing into `other`?
bool can_fuse(const Graph& graph, const std::vector<std::vector<int>>& readers, const std::vector<int>& producers,
              int add_index, ValueId branch, ValueId other, const PostOpCheck& accepts) {
  const Op& add = graph.ops[add_index];
  const int p = producers[branch];
  if (p < 0 || producers[other] < 0) return false;  // never overwrite a model input
  const Op& conv = graph.ops[p];
  // A Dense on an image runs as a 1x1 convolution in the oneDNN backend, which takes the sum post-op.
  const bool dense_on_image =
      std::holds_alternative<DenseOp>(conv.attrs) && graph.values[conv.inputs[0]].dims.size() == 4;
  if (!std::holds_alternative<ConvOp>(conv.attrs) && !dense_on_image) return false;
  // A 1x1 conv with padding (a ZeroPadding2D folded into it) given sum + eltwise post-ops crashes inside
  // oneDNN 2.6's brgconv kernel (random graph seed 1380: zero padding (1, 0), 1x1 stride-2 shortcut, add,
  // relu). Such convs are rare; the add stays a separate op for them.
  if (const auto* c = std::get_if<ConvOp>(&conv.attrs);
      c != nullptr &&
      std::all_of(c->window.size.begin(), c->window.size.end(), [](int k) { return k == 1; }) &&
      !c->window.padding.is_zero()) {
    return false;
  }
  if (std::any_of(conv.post_ops.begin(), conv.post_ops.end(), [](const PostOp& po) { return po.kind == PostOp::Kind::kSum; })) {
    return false;
  }
  if (readers[branch].size() != 1 || graph.is_output(branch) || graph.is_output(other)) return false;
  std::vector<PostOp> chain = conv.post_ops;
  chain.push_back(PostOp{PostOp::Kind::kSum, {}, other, nullptr});
  chain.insert(chain.end(), add.post_ops.begin(), add.post_ops.end());
  if (!accepts(chain)) return false;
  const auto& out_dims = graph.values[add.output()].dims;
  if (graph.values[branch].dims != out_dims || graph.values[other].dims != out_dims) return false;
  const DataType type = graph.values[add.output()].dtype;
  if (graph.values[branch].dtype != type || graph.values[other].dtype != type) return false;
  // Every other reader of `other`'s buffer (it may be a reshape's view too) must have run before the add,
  // since the conv overwrites it there.
  const ValueId other_root = buffer_root(graph, other);
  for (ValueId v = 0; v < static_cast<ValueId>(graph.values.size()); ++v) {
    if (buffer_root(graph, v) != other_root) continue;
    if (v != other && graph.is_output(v)) return false;
    for (int r : readers[v]) {
      if (r > add_index) return false;
    }
  }
  // The conv must not read the buffer it writes into.
  const ValueId target = buffer_root(graph, other);
  for (ValueId in : conv.inputs) {
    if (buffer_root(graph, in) == target) return false;
  }
  // Moving the conv from p to the add's place must not let an in-place writer in between clobber its inputs.
  for (int k = p + 1; k < add_index; ++k) {
    const Value& written = graph.values[graph.ops[k].output()];
    if (written.in_place_of < 0) continue;
    const ValueId root = buffer_root(graph, graph.ops[k].output());
    for (ValueId in : conv.inputs) {
      if (buffer_root(graph, in) == root) return false;
    }
  }
  return true;
}

}  // namespace

void fuse_residual_adds(Graph& graph, const PostOpCheck& accepts) {
  for (int i = 0; i < static_cast<int>(graph.ops.size()); ++i) {
    const Op& add = graph.ops[i];
    const auto* binary = std::get_if<BinaryOp>(&add.attrs);
    if (binary == nullptr || binary->kind != BinaryOp::Kind::kAdd || add.inputs.size() != 2) continue;
    const std::vector<std::vector<int>> readers = graph.readers();
    const std::vector<int> producers = graph.producers();
    // Prefer the branch computed last: its conv moves the least.
    std::pair<ValueId, ValueId> candidates[2] = {{add.inputs[1], add.inputs[0]}, {add.inputs[0], add.inputs[1]}};
    if (producers[add.inputs[0]] > producers[add.inputs[1]]) std::swap(candidates[0], candidates[1]);
    for (const auto& [branch, other] : candidates) {
      if (!can_fuse(graph, readers, producers, i, branch, other, accepts)) continue;
      const int p = producers[branch];
      Op conv = graph.ops[p];
      conv.post_ops.push_back(PostOp{PostOp::Kind::kSum, {}, other, nullptr});
      // Activations already fused into the add (ResNet's add -> relu) follow the sum.
      conv.post_ops.insert(conv.post_ops.end(), add.post_ops.begin(), add.post_ops.end());
      conv.outputs = add.outputs;
      graph.values[add.output()].in_place_of = other;
      for (const std::string& layer : add.layers) {
        if (std::find(conv.layers.begin(), conv.layers.end(), layer) == conv.layers.end()) conv.layers.push_back(layer);
      }
      graph.ops[i] = std::move(conv);
      graph.ops.erase(graph.ops.begin() + p);
      --i;  // the op now at i-1 is the fused conv; continue after it
      break;
    }
  }
}

}  // namespace strata::ir
