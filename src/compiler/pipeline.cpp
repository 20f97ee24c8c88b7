#include "compiler/pipeline.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

// After each pass, optionally print the IR (Halide's LoweringLogger idea): the first thing to look at when
// a plan is not what you expected.
class PassLog {
 public:
  explicit PassLog(bool enabled) : enabled_(enabled) {}
  void after(const char* pass, const ir::Graph& graph) const {
    if (!enabled_) return;
    std::cerr << "=== strata IR after " << pass << " (" << graph.ops.size() << " ops) ===\n" << graph.to_string();
  }

 private:
  bool enabled_;
};

bool dump_requested(const CompileOptions& options) {
  const char* env = std::getenv("STRATA_DUMP_IR");
  return options.dump_ir || (env != nullptr && std::strcmp(env, "") != 0 && std::strcmp(env, "0") != 0);
}

// A value of more dimensions than the backend's descriptors hold: a ShapeError naming the layer, rather than
// an InternalError from deep in the backend.
void check_ranks(const ir::Graph& graph, const CompileOptions& options, size_t max_rank) {
  const std::vector<int> producers = graph.producers();
  for (ir::ValueId v = 0; v < static_cast<ir::ValueId>(graph.values.size()); ++v) {
    const size_t rank = graph.values[v].dims.size();
    if (rank <= max_rank) continue;
    const int op = producers[v];
    const bool named = op >= 0 && !graph.ops[op].layers.empty();
    const std::string layer = named ? graph.ops[op].layers.front() : graph.values[v].name;
    throw ShapeError(fmt::format(
        "[{}] the {} has rank {} (batch included); the {} backend handles ranks up to {}. Compile with "
        "CompileOptions{{.backend = \"reference\"}}, or reshape to fewer dimensions",
        layer, op >= 0 ? "output" : "input", rank, options.backend, max_rank));
  }
}

}  // namespace

ir::Graph compile_program(const FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims,
                          const CompileOptions& options, const BackendRules& rules) {
  const PassLog log(dump_requested(options));
  ir::Graph graph = ir::lower_layers(model, input_dims);
  log.after("lower_layers", graph);
  // The reference backend is the oracle: it runs the lowered program exactly as the layers describe it.
  if (options.backend == "reference") return graph;
  check_ranks(graph, options, rules.max_rank);
  // How a stride-1 transposed convolution runs, fused or not: as the convolution it equals, which oneDNN
  // runs with fused post-ops at full speed (its deconvolution applies them in a slow loop of its own) and
  // which the folds below can join.
  ir::transposed_as_conv(graph);
  log.after("transposed_as_conv", graph);
  if (options.fuse) {
    ir::fold_zero_padding(graph);
    log.after("fold_zero_padding", graph);
    ir::fold_batch_norm(graph);
    log.after("fold_batch_norm", graph);
    // Before the fusions: once an activation is a post-op, its duplicates can no longer be seen.
    ir::merge_duplicate_ops(graph);
    log.after("merge_duplicate_ops", graph);
  }
  // Before the fusions, so that they only join ops of one type (a sum post-op writes in place).
  if (options.precision == "bfloat16") {
    ir::choose_precision(graph);
    log.after("choose_precision", graph);
  }
  if (options.fuse) {
    // The backend's rules decide which post-op chains may be built.
    const ir::PostOpCheck& accepts = rules.accepts_post_ops;
    ir::fuse_activations(graph, accepts);
    log.after("fuse_activations", graph);
    // After the activations, so that both convolutions' post-ops are known; before the residual adds, which
    // may then still go to the depthwise convolution's reader.
    ir::fuse_depthwise(graph, rules.fuses_depthwise);
    log.after("fuse_depthwise", graph);
    ir::fuse_residual_adds(graph, accepts);
    log.after("fuse_residual_adds", graph);
    // The activation after a residual add (ResNet's `add -> relu`) can only join the chain now.
    ir::fuse_activations(graph, accepts);
    log.after("fuse_activations (after residual adds)", graph);
    // Last, so that no later pass lengthens a chain the backend accepted with its binary post-op (the
    // activation after the binary op is already its post-op, and moves with it).
    ir::fuse_binary_operands(graph, options.num_threads, accepts, rules.fuses_binary);
    log.after("fuse_binary_operands", graph);
    // With the post-ops known (a strided shortcut carries the residual sum), before the layouts are chosen
    // for the convolution it leaves.
    ir::subsample_strided_pointwise(graph, rules.prefers_subsampling);
    log.after("subsample_strided_pointwise", graph);
  }
  // After the fusions: a convolution's post-ops decide whether oneDNN has a Winograd kernel for it, and a
  // fused depthwise convolution needs the blocked layout.
  if (options.winograd || options.fuse) {
    const ir::WinogradCheck never = [](const ir::Graph&, const ir::Op&) { return false; };
    ir::choose_layouts(graph, options.winograd ? rules.prefers_winograd : never, rules.runs_blocked);
    log.after("choose_layouts", graph);
  }
  ir::plan_memory(graph);
  log.after("plan_memory", graph);
  return graph;
}

}  // namespace strata::detail
