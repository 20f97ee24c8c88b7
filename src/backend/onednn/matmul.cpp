// The matrix product family: keras.ops.matmul as one oneDNN matmul, batched over the leading axes (a
// size-1 axis broadcast by oneDNN itself), with the fused element-wise post-ops.

#include <fmt/format.h>

#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_matmul(const ir::Op& op) {
  // Row-major in Keras's axis order: oneDNN's matmul reads the last two axes as the matrices.
  auto plain = [&](ir::ValueId v) { return row_major_desc(graph_.values[v]); };
  const memory::desc a = plain(op.inputs[0]), b = plain(op.inputs[1]), dst = plain(op.output());
  dnnl::matmul::desc desc(a, b, dst);
  dnnl::matmul::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::matmul(pd);
  step.activations = {
      {DNNL_ARG_SRC, op.inputs[0], a}, {DNNL_ARG_WEIGHTS, op.inputs[1], b}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op, fmt::format("{} x {} -> {}", layout_name(a), layout_name(b), layout_name(dst)));
}

}  // namespace strata::onednn
