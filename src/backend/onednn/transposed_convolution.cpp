// The transposed convolution (Keras's Conv1DTranspose, Conv2DTranspose) over 1 to 3 spatial axes as one
// oneDNN deconvolution, with the op's post-ops.

#include <fmt/format.h>

#include "backend/onednn/plan_builder.hpp"

namespace strata::onednn {

namespace {

// Keras's kernel (spatial..., OC, IC) as oneDNN's logical deconvolution weights (OC, IC, spatial...): strides
// describe the permutation for any spatial rank (no named format tag exists for every one of them).
memory::desc keras_deconv_weights(const ir::TransposedConvOp& t) {
  const auto& k = t.kernel->dims();
  const size_t spatial = k.size() - 2;
  const int64_t oc = k[spatial], ic = k[spatial + 1];
  memory::dims dims{oc, ic};
  dims.insert(dims.end(), k.begin(), k.begin() + static_cast<std::ptrdiff_t>(spatial));
  memory::dims strides(dims.size());
  strides[1] = 1;
  strides[0] = ic;
  int64_t step = oc * ic;
  for (size_t a = spatial; a-- > 0;) {
    strides[2 + a] = step;
    step *= k[a];
  }
  return memory::desc(dims, memory::data_type::f32, strides);
}

}  // namespace

void PlanBuilder::add_transposed_conv(const ir::Op& op, const ir::TransposedConvOp& t) {
  const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output());
  const memory::desc keras_weights = keras_deconv_weights(t);
  const memory::desc weights_any(keras_weights.dims(), src.data_type(), tag::any);
  const int64_t out_channels = t.kernel->dims()[t.kernel->dims().size() - 2];
  const memory::desc bias_desc({out_channels}, memory::data_type::f32, tag::a);
  // oneDNN describes a deconvolution by the convolution it transposes, as the IR does: the same strides,
  // dilations (minus 1) and padding, the right padding negative where Keras's output_padding reaches past the
  // last window.
  dnnl::deconvolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, src, weights_any,
      t.bias ? bias_desc : memory::desc(), dst, window_dims(t.window.strides),
      window_dims(t.window.dilations, -1), window_dims(t.window.padding.before),
      window_dims(t.window.padding.after));
  const dnnl::deconvolution_forward::primitive_desc pd(desc, attributes(op, graph_.values[op.output()].dtype),
                                                       engine_);
  check_layout(pd.src_desc(), src, op, "source");
  check_layout(pd.dst_desc(), dst, op, "destination");

  Step step;
  step.primitive = dnnl::deconvolution_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  step.constants.emplace_back(DNNL_ARG_WEIGHTS, reorder_constant(t.kernel, keras_weights, pd.weights_desc()));
  if (t.bias) step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(t.bias, bias_desc, pd.bias_desc()));
  finish_step(step, pd, op,
              fmt::format("{} -> {}; {}", layout_name(pd.src_desc()), layout_name(pd.dst_desc()),
                          layout_name(pd.weights_desc())));
}

}  // namespace strata::onednn
