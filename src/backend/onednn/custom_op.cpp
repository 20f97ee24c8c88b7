// A custom layer's kernel as a plain C++ step between the primitives, on dense row-major tensors.

#include "backend/custom_kernel.hpp"
#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_custom(const ir::Op& op, const ir::CustomOp& custom) {
  std::vector<std::vector<int64_t>> dims;
  for (ir::ValueId v : op.inputs) dims.push_back(graph_.values[v].dims);
  std::vector<std::vector<int64_t>> out_dims;
  std::vector<int64_t> inputs, outputs;
  for (ir::ValueId v : op.inputs) inputs.push_back(offset_of(v));
  for (ir::ValueId v : op.outputs) {
    out_dims.push_back(graph_.values[v].dims);
    outputs.push_back(offset_of(v));
  }
  add_kernel_step(
      op,
      [custom, inputs, dims, outputs, out_dims](uint8_t* arena) {
        std::vector<const float*> srcs;
        for (int64_t offset : inputs) srcs.push_back(floats_at(arena, offset));
        std::vector<float*> dsts;
        for (int64_t offset : outputs) dsts.push_back(floats_at(arena, offset));
        detail::run_custom_op(custom, dims, srcs, out_dims, dsts);
      },
      "row-major");
}

}  // namespace strata::onednn
