// The pooling family: max and average pooling over 1 to 3 spatial axes (average excluding padded cells, as
// Keras) as oneDNN pooling primitives.

#include <fmt/format.h>

#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_pool(const ir::Op& op, const ir::PoolOp& p) {
  const memory::desc src = desc_of(op.inputs[0]);
  const memory::desc dst = desc_of(op.output());
  const auto alg = p.kind == ir::PoolOp::Kind::kMax ? dnnl::algorithm::pooling_max
                                                    : dnnl::algorithm::pooling_avg_exclude_padding;
  const ir::Window& w = p.window;
  dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src, dst, window_dims(w.strides),
                                   window_dims(w.size), window_dims(w.padding.before),
                                   window_dims(w.padding.after));
  dnnl::pooling_forward::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::pooling_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
}

}  // namespace strata::onednn
