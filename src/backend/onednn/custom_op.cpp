// A custom layer's kernel as a plain C++ step between the primitives, on dense row-major tensors.

#include "backend/custom_kernel.hpp"
#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_custom(const ir::Op& op, const ir::CustomOp& custom) {
  struct Input {
    std::vector<int64_t> dims;
    ir::DataType type;
    int64_t offset;
  };
  std::vector<Input> inputs;
  for (ir::ValueId v : op.inputs)
    inputs.push_back({graph_.values[v].dims, graph_.values[v].dtype, offset_of(v)});
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
        for (const Input& in : inputs) srcs.push_back({in.dims, in.type, arena + in.offset});
        std::vector<float*> dsts;
        for (int64_t offset : outputs) dsts.push_back(floats_at(arena, offset));
        detail::run_custom_op(custom, srcs, out_dims, dsts);
      },
      "row-major");
}

}  // namespace strata::onednn
