// The reduction family: keras.ops.sum, mean, max and min over axes as one oneDNN reduction, whose output
// keeps the reduced axes with size 1 in the same layout as its input.

#include <fmt/format.h>

#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_reduce(const ir::Op& op, const ir::ReduceOp& r) {
  // Both in Keras's axis order, row-major: the same bytes as the NHWC descriptors, and oneDNN 2.6's jit
  // reduction takes plain layouts only (nhwc descriptors fall to its reference loops).
  auto plain = [&](ir::ValueId v) { return row_major_desc(graph_.values[v]); };
  const memory::desc src = plain(op.inputs[0]), dst = plain(op.output());
  dnnl::algorithm alg = dnnl::algorithm::reduction_sum;
  switch (r.kind) {
    case ir::ReduceOp::Kind::kSum:
      alg = dnnl::algorithm::reduction_sum;
      break;
    case ir::ReduceOp::Kind::kMean:
      alg = dnnl::algorithm::reduction_mean;
      break;
    case ir::ReduceOp::Kind::kMax:
      alg = dnnl::algorithm::reduction_max;
      break;
    case ir::ReduceOp::Kind::kMin:
      alg = dnnl::algorithm::reduction_min;
      break;
  }
  dnnl::reduction::desc desc(alg, src, dst, 0.0f, 0.0f);
  dnnl::reduction::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::reduction(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
}

}  // namespace strata::onednn
