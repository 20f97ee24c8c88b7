// Plain C++ steps between the primitives, on dense row-major tensors: a custom layer's kernel, and what
// oneDNN 2.6 has no form for: element-wise ops on any type (casts, comparisons, where, integer arithmetic)
// an Embedding's gather, and constants.

#include <cstring>

#include "backend/custom_kernel.hpp"
#include "backend/elementwise_kernel.hpp"
#include "backend/gather_kernel.hpp"
#include "backend/one_hot_kernel.hpp"
#include "backend/onednn/plan_builder.hpp"
#include "strata/error.hpp"

namespace strata::onednn {

namespace {

// An input of a plain C++ step: where it lives in the arena, and what the kernel needs to read it.
struct ArenaInput {
  std::vector<int64_t> dims;
  ir::DataType type;
  int64_t offset;
};

std::vector<ArenaInput> arena_inputs(const ir::Graph& graph, const ir::Op& op) {
  std::vector<ArenaInput> inputs;
  for (ir::ValueId v : op.inputs)
    inputs.push_back({graph.values[v].dims, graph.values[v].dtype, graph.values[v].offset});
  return inputs;
}

}  // namespace

void PlanBuilder::add_custom(const ir::Op& op, const ir::CustomOp& custom) {
  const std::vector<ArenaInput> inputs = arena_inputs(graph_, op);
  std::vector<std::vector<int64_t>> out_dims;
  std::vector<int64_t> outputs;
  for (ir::ValueId v : op.outputs) {
    out_dims.push_back(graph_.values[v].dims);
    outputs.push_back(offset_of(v));
  }
  add_kernel_step(
      op,
      [custom, inputs, outputs, out_dims](uint8_t* arena) {
        std::vector<detail::CustomInput> srcs;
        for (const ArenaInput& in : inputs) srcs.push_back({in.dims, in.type, arena + in.offset});
        std::vector<float*> dsts;
        for (int64_t offset : outputs) dsts.push_back(floats_at(arena, offset));
        detail::run_custom_op(custom, srcs, out_dims, dsts);
      },
      "row-major");
}

void PlanBuilder::add_elementwise(const ir::Op& op, const ir::ElementwiseOp& e) {
  if (!op.post_ops.empty()) throw InternalError("onednn: post-ops fused into a plain C++ elementwise step");
  const std::vector<ArenaInput> inputs = arena_inputs(graph_, op);
  const ir::Value& out = graph_.values[op.output()];
  add_kernel_step(
      op,
      [e, inputs, dims = out.dims, type = out.dtype, dst = offset_of(op.output())](uint8_t* arena) {
        std::vector<detail::ElementwiseInput> srcs;
        for (const ArenaInput& in : inputs) srcs.push_back({in.dims, in.type, arena + in.offset});
        detail::run_elementwise(e, srcs, dims, type, arena + dst);
      },
      "row-major");
}

void PlanBuilder::add_gather(const ir::Op& op, const ir::GatherOp& g) {
  if (!op.post_ops.empty()) throw InternalError("onednn: post-ops fused into a plain C++ gather step");
  const ArenaInput ids = arena_inputs(graph_, op).front();
  add_kernel_step(
      op,
      [g, ids, dst = offset_of(op.output())](uint8_t* arena) {
        detail::run_gather(g, ids.dims, ids.type, arena + ids.offset, floats_at(arena, dst));
      },
      "row-major");
}

void PlanBuilder::add_one_hot(const ir::Op& op, const ir::OneHotOp& o) {
  if (!op.post_ops.empty()) throw InternalError("onednn: post-ops fused into a plain C++ one_hot step");
  const ArenaInput ids = arena_inputs(graph_, op).front();
  add_kernel_step(
      op,
      [o, ids, dst = offset_of(op.output())](uint8_t* arena) {
        detail::run_one_hot(o, ids.dims, ids.type, arena + ids.offset, floats_at(arena, dst));
      },
      "row-major");
}

// The arena is reused between values, so the constant is copied in on every run (a few kilobytes: a causal
// mask is steps x steps bytes).
void PlanBuilder::add_constant(const ir::Op& op, const ir::ConstantOp& c) {
  add_kernel_step(
      op,
      [value = c.value, dst = offset_of(op.output()), bytes = graph_.bytes(op.output())](uint8_t* arena) {
        std::memcpy(arena + dst, value->raw_data(), static_cast<size_t>(bytes));
      },
      "row-major");
}

}  // namespace strata::onednn
