#include <fmt/format.h>

#include <algorithm>

#include "compiler/passes/passes.hpp"
#include "strata/error.hpp"

namespace strata::ir {
namespace {

constexpr int64_t kAlignment = 64;  // a cache line, and what AVX-512 loads like

int64_t align_up(int64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

void plan_memory(Graph& graph) {
  const int n_values = static_cast<int>(graph.values.size());
  const int end_of_program = static_cast<int>(graph.ops.size());
  std::vector<ValueId> root(n_values);
  for (ValueId v = 0; v < n_values; ++v) {
    ValueId r = v;
    while (graph.values[r].in_place_of >= 0) r = graph.values[r].in_place_of;
    root[v] = r;
  }
  // A buffer lives from its first write to its last read; graph inputs are written before op 0 and outputs
  // are read after the last op. An input no op reads (the model takes it but its outputs do not need it)
  // still lives while the inputs are copied in, or it could share, and overwrite, another input's buffer.
  std::vector<int> first(n_values, end_of_program + 1), last(n_values, -2);
  std::vector<bool> used(n_values, false);
  for (ValueId v : graph.inputs) {
    first[root[v]] = -1;
    last[root[v]] = -1;
    used[root[v]] = true;
  }
  for (int i = 0; i < end_of_program; ++i) {
    const Op& op = graph.ops[i];
    // Every output is written, read later or not (a custom layer's second output may go unused).
    for (ValueId out : op.outputs) {
      const ValueId r = root[out];
      first[r] = std::min(first[r], i);
      last[r] = std::max(last[r], i);
      used[r] = true;
    }
    for (ValueId v : op.inputs) last[root[v]] = std::max(last[root[v]], i);
    for (const PostOp& p : op.post_ops) {
      if (p.operand >= 0) last[root[p.operand]] = std::max(last[root[p.operand]], i);
    }
  }
  for (ValueId v : graph.outputs) last[root[v]] = end_of_program;

  auto bytes = [&](ValueId v) { return align_up(graph.bytes(v)); };
  std::vector<ValueId> buffers;
  for (ValueId v = 0; v < n_values; ++v) {
    if (root[v] == v && used[v]) buffers.push_back(v);
    if (root[v] != v && bytes(v) != bytes(root[v])) {
      throw InternalError(fmt::format("plan_memory: value %{} shares the buffer of %{} but their sizes differ", v, root[v]));
    }
  }
  // Largest first, each at the lowest offset free for its whole lifetime.
  std::stable_sort(buffers.begin(), buffers.end(), [&](ValueId a, ValueId b) { return bytes(a) > bytes(b); });
  std::vector<ValueId> placed;
  std::vector<int64_t> offset(n_values, -1);
  int64_t arena = 0;
  for (ValueId b : buffers) {
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (ValueId o : placed) {
      const bool overlap = first[o] <= last[b] && first[b] <= last[o];
      if (overlap) busy.emplace_back(offset[o], offset[o] + bytes(o));
    }
    std::sort(busy.begin(), busy.end());
    int64_t candidate = 0;
    for (const auto& [lo, hi] : busy) {
      if (candidate + bytes(b) <= lo) break;
      candidate = std::max(candidate, hi);
    }
    offset[b] = candidate;
    arena = std::max(arena, candidate + bytes(b));
    placed.push_back(b);
  }
  for (ValueId v = 0; v < n_values; ++v) graph.values[v].offset = offset[root[v]];
  graph.arena_bytes = arena;
}

}  // namespace strata::ir
