// The inner-product family: Dense over the last axis as one oneDNN inner product, any leading dims
// being rows.

#include <fmt/format.h>

#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

void PlanBuilder::add_dense(const ir::Op& op, const ir::DenseOp& d) {
  const auto& src_dims = graph_.values[op.inputs[0]].dims;
  // On an image (batch, height, width, channels) it is a 1x1 convolution (convolution.cpp), unless oneDNN
  // has only its reference kernel for that.
  if (src_dims.size() == 4 && add_dense_as_conv(op, d)) return;
  const int64_t in = d.kernel->dims()[0], out = d.kernel->dims()[1];
  const int64_t rows = element_count(src_dims) / in;
  // Keras applies Dense to the last axis: any leading dims are rows of one matrix product.
  const memory::desc src({rows, in}, data_type_of(graph_.values[op.inputs[0]].dtype), tag::ab);
  const memory::desc dst({rows, out}, data_type_of(graph_.values[op.output()].dtype), tag::ab);
  const memory::desc weights_any({out, in}, src.data_type(), tag::any);
  const memory::desc bias_desc =
      d.bias ? memory::desc({out}, memory::data_type::f32, tag::a) : memory::desc();
  dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src, weights_any, bias_desc,
                                         dst);
  dnnl::inner_product_forward::primitive_desc pd(desc, attributes(op), engine_);
  check_layout(pd.src_desc(), src, op, "source");
  check_layout(pd.dst_desc(), dst, op, "destination");
  Step step;
  step.primitive = dnnl::inner_product_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  // Keras's (in, out) kernel is oneDNN's (out, in) weights in the transposed ("ba") layout.
  step.constants.emplace_back(
      DNNL_ARG_WEIGHTS, reorder_constant(d.kernel, memory::desc({out, in}, memory::data_type::f32, tag::ba),
                                         pd.weights_desc(), d.kernel_scale));
  if (d.bias) step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(d.bias, bias_desc, pd.bias_desc()));
  finish_step(
      step, pd, op,
      fmt::format("{} -> {}; {}", layout_name(src), layout_name(dst), layout_name(pd.weights_desc())));
}

}  // namespace strata::onednn
