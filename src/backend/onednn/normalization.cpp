// The normalization family: BatchNormalization at inference (when not folded into a convolution) as
// oneDNN batch normalization with global statistics; LayerNormalization as oneDNN layer normalization over
// rows of the last axis.

#include <fmt/format.h>

#include <numeric>

#include "backend/onednn/plan_builder.hpp"
#include "strata/error.hpp"

namespace strata::onednn {

memory PlanBuilder::channel_constant(const std::shared_ptr<const Tensor>& t, int64_t channels,
                                     float fill) const {
  memory m(memory::desc({channels}, memory::data_type::f32, tag::a), engine_);
  float* p = static_cast<float*>(m.get_data_handle());
  for (int64_t c = 0; c < channels; ++c) p[c] = t ? t->data()[c] : fill;
  return m;
}

void PlanBuilder::add_batch_norm(const ir::Op& op, const ir::BatchNormOp& bn) {
  const auto& dims = graph_.values[op.output()].dims;
  const int64_t channels = dims.back();
  // Plain tensors as (rows, 1, 1, C) images: oneDNN 2.6 has a jit kernel for nhwc, while a sequence's nwc
  // went to bnorm_ref (and a vector's nc to a plain C++ one). That kernel is slow when C is not a multiple
  // of 16 (EfficientNet's 3-channel normalization: 3 ns a value, 0.46 ms at 224x224), so `repeat` rows go
  // into one wider row with the statistics repeated, when the rows divide evenly: 0.11 ms there.
  memory::desc md = desc_of(op.output());
  int64_t repeat = 1;
  if (graph_.values[op.output()].layout == ir::Layout::kPlain) {
    const int64_t rows = element_count(dims) / channels;
    if (channels % 16 != 0 && rows % (16 / std::gcd(channels, int64_t{16})) == 0)
      repeat = 16 / std::gcd(channels, int64_t{16});
    if (dims.size() != 4 || repeat > 1) {
      md = memory::desc({rows / repeat, channels * repeat, 1, 1},
                        data_type_of(graph_.values[op.output()].dtype), tag::nhwc);
    }
  }
  const int64_t width = channels * repeat;
  auto constant = [&](const std::shared_ptr<const Tensor>& t, float fill) {
    memory m(memory::desc({width}, memory::data_type::f32, tag::a), engine_);
    float* p = static_cast<float*>(m.get_data_handle());
    for (int64_t c = 0; c < width; ++c) p[c] = t ? t->data()[c % channels] : fill;
    return m;
  };
  auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  // fuse_activations gives a batch norm at most a plain relu, which oneDNN applies by a flag rather than as
  // a post-op (its batch normalization takes none); at inference the flag needs no workspace.
  if (!op.post_ops.empty()) {
    const ir::PostOp& p = op.post_ops.front();
    if (op.post_ops.size() != 1 || p.kind != ir::PostOp::Kind::kActivation ||
        p.activation.kind != detail::ActivationKind::kRelu) {
      throw InternalError("onednn: a batch norm with post-ops other than one relu");
    }
    flags |= dnnl::normalization_flags::fuse_norm_relu;
  }
  ir::Op plain = op;
  plain.post_ops.clear();
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md, bn.epsilon, flags);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, attributes(plain), engine_);
  Step step;
  step.primitive = dnnl::batch_normalization_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output(), md}};
  step.constants.emplace_back(DNNL_ARG_MEAN, constant(bn.mean, 0.0f));
  step.constants.emplace_back(DNNL_ARG_VARIANCE, constant(bn.variance, 1.0f));
  step.constants.emplace_back(DNNL_ARG_SCALE, constant(bn.gamma, 1.0f));
  step.constants.emplace_back(DNNL_ARG_SHIFT, constant(bn.beta, 0.0f));
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
}

void PlanBuilder::add_layer_norm(const ir::Op& op, const ir::LayerNormOp& l) {
  const auto& dims = graph_.values[op.output()].dims;
  const int64_t width = dims.back();
  // Rows of the last axis, whatever the rank: the statistics are per row.
  const memory::desc md({element_count(dims) / width, width}, data_type_of(graph_.values[op.output()].dtype),
                        tag::ab);
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md, l.epsilon, flags);
  dnnl::layer_normalization_forward::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::layer_normalization_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output(), md}};
  step.constants.emplace_back(DNNL_ARG_SCALE, channel_constant(l.gamma, width, 1.0f));
  step.constants.emplace_back(DNNL_ARG_SHIFT, channel_constant(l.beta, width, 0.0f));
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
}

}  // namespace strata::onednn
