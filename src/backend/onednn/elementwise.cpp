// The element-wise family: activations as oneDNN eltwise primitives (composed ones as several),
// binary ops with one-sided broadcasting as oneDNN binary, softmax, and what oneDNN 2.6 has no form for
// (a thresholded ReLU, erf, a number to a tensor's power, a tensor power, both operands broadcast) in plain
// C++ on the plan's threads.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "backend/broadcast_loop.hpp"
#include "backend/onednn/eltwise_mapping.hpp"
#include "backend/onednn/plan_builder.hpp"
#include "backend/swish_kernel.hpp"
#include "core/activation.hpp"

namespace strata::onednn {

void PlanBuilder::add_activation(const ir::Op& op, const ir::ActivationOp& a) {
  if (!detail::is_standard_eltwise(a.activation)) {
    // A thresholded ReLU, erf and a number base have no oneDNN form: one pass in plain C++, on the plan's
    // threads.
    const int64_t src = offset_of(op.inputs[0]), dst = offset_of(op.output());
    const int64_t count = element_count(graph_.values[op.output()].dims);
    const detail::Activation act = a.activation;
    return add_kernel_step(
        op,
        [src, dst, count, act](uint8_t* arena) {
          const float* s = floats_at(arena, src);
          float* d = floats_at(arena, dst);
#pragma omp parallel for schedule(static) if (count >= (int64_t{1} << 15))
          for (int64_t i = 0; i < count; ++i) d[i] = detail::apply_activation(act, s[i]);
        },
        "nhwc -> nhwc");
  }
  if (a.activation.kind == detail::ActivationKind::kSwish &&
      graph_.values[op.output()].dtype == ir::DataType::kFloat32 && detail::swish_kernel_supported()) {
    return add_swish_step(op, op.inputs[0], op.output());
  }
  const memory::desc md = desc_of(op.output());
  const std::vector<EltwiseStep> parts = eltwise_steps(a.activation);
  for (size_t i = 0; i < parts.size(); ++i) {
    dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, parts[i].algorithm, md,
                                     parts[i].alpha, parts[i].beta);
    dnnl::eltwise_forward::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::eltwise_forward(pd);
    // The first step reads the input; later steps of a composed activation work in place on the output.
    step.activations = {{DNNL_ARG_SRC, i == 0 ? op.inputs[0] : op.output(), md},
                        {DNNL_ARG_DST, op.output(), md}};
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
  }
}

void PlanBuilder::add_binary(const ir::Op& op, const ir::BinaryOp& b_op) {
  if (b_op.kind == ir::BinaryOp::Kind::kPower) return add_broadcast_kernel(op, b_op);
  const auto& dst_dims = graph_.values[op.output()].dims;
  ir::ValueId a = op.inputs[0], b = op.inputs[1];
  ir::Op flipped = op;
  // oneDNN broadcasts only the second source. Every kind but subtract and divide commutes; a - b becomes
  // -(b - a); a / b with a broadcast stays in plain C++ below.
  if (padded(graph_.values[a].dims, dst_dims.size()) != dst_dims &&
      b_op.kind != ir::BinaryOp::Kind::kDivide) {
    std::swap(a, b);
    if (b_op.kind == ir::BinaryOp::Kind::kSubtract) {
      flipped.post_ops.insert(
          flipped.post_ops.begin(),
          ir::PostOp{ir::PostOp::Kind::kActivation, detail::Activation::affine(-1.0f, 0.0f), -1, nullptr});
    }
  }
  const std::vector<int64_t> a_dims = padded(graph_.values[a].dims, dst_dims.size());
  if (a_dims != dst_dims) {
    // Both inputs stretched ((1, W) + (H, 1)): oneDNN's binary cannot, so run it in plain C++.
    return add_broadcast_kernel(op, b_op);
  }
  const memory::desc src0 = value_desc(a_dims, graph_.values[a].dtype);
  const memory::desc src1 =
      value_desc(padded(graph_.values[b].dims, dst_dims.size()), graph_.values[b].dtype);
  const memory::desc dst = desc_of(op.output());
  const dnnl::algorithm alg = binary_algorithm(b_op.kind);
  dnnl::binary::desc desc(alg, src0, src1, dst);
  dnnl::binary::primitive_desc pd(desc, attributes(flipped), engine_);
  Step step;
  step.primitive = dnnl::binary(pd);
  step.activations = {{DNNL_ARG_SRC_0, a, src0}, {DNNL_ARG_SRC_1, b, src1}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op,
              fmt::format("{} + {} -> {}", layout_name(src0), layout_name(src1), layout_name(dst)));
}

void PlanBuilder::add_softmax(const ir::Op& op, const ir::SoftmaxOp& s) {
  const auto& dims = graph_.values[op.output()].dims;
  const memory::desc md = desc_of(op.output());
  // oneDNN's logical order puts Keras's last axis second (its channel axis 1) and the others after it.
  const int keras_axis = s.axis_for(dims.size());
  const int last = static_cast<int>(dims.size()) - 1;
  const int axis = dims.size() <= 2 ? keras_axis : (keras_axis == last ? 1 : keras_axis + 1);
  Step step;
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output(), md}};
  if (s.log) {
    dnnl::logsoftmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, axis);
    dnnl::logsoftmax_forward::primitive_desc pd(desc, attributes(op), engine_);
    step.primitive = dnnl::logsoftmax_forward(pd);
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
    return;
  }
  dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, axis);
  dnnl::softmax_forward::primitive_desc pd(desc, attributes(op), engine_);
  step.primitive = dnnl::softmax_forward(pd);
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
}

void PlanBuilder::add_prelu(const ir::Op& op, const ir::PReluOp& p) {
  // oneDNN 2.6's jit prelu takes alpha per channel (logical axis 1) or one alpha; any other broadcast
  // (Keras's default, one alpha per element, among them) runs ref:any. So the plain row-major data is viewed
  // with its axes merged into runs that share alpha or not: [unshared] is (N, E) with alpha (1, E); [shared,
  // unshared] is (N * S, U) with (1, U); [unshared, shared] is (N, U, S) with (1, U, 1); [shared] one alpha.
  const std::vector<int64_t>& data = graph_.values[op.output()].dims;
  const std::vector<int64_t>& a = p.alpha->dims();
  std::vector<std::pair<bool, int64_t>> runs;  // (shared, elements), batch excluded
  for (size_t d = 0; d < a.size(); ++d) {
    const bool shared = a[d] == 1 && data[d + 1] != 1;
    if (data[d + 1] == 1) continue;  // an axis of size 1 belongs to any run
    if (!runs.empty() && runs.back().first == shared) {
      runs.back().second *= data[d + 1];
    } else {
      runs.emplace_back(shared, data[d + 1]);
    }
  }
  const ir::DataType type = graph_.values[op.output()].dtype;
  const int64_t batch = data[0];
  memory::dims src_dims, alpha_dims;
  if (runs.empty()) {
    src_dims = {batch, 1};
    alpha_dims = {1, 1};
  } else if (runs.size() == 1) {
    src_dims = {batch, runs[0].second};
    alpha_dims = {1, runs[0].first ? 1 : runs[0].second};
  } else if (runs.size() == 2 && runs[0].first) {
    src_dims = {batch * runs[0].second, runs[1].second};
    alpha_dims = {1, runs[1].second};
  } else if (runs.size() == 2) {
    src_dims = {batch, runs[0].second, runs[1].second};
    alpha_dims = {1, runs[0].second, 1};
  } else {
    src_dims = data;  // alternating runs: oneDNN's reference kernel with the whole broadcast
    alpha_dims = {1};
    alpha_dims.insert(alpha_dims.end(), a.begin(), a.end());
  }
  const memory::desc md = row_major_desc(src_dims, type);
  memory alpha(row_major_desc(alpha_dims, ir::DataType::kFloat32), engine_);
  std::copy(p.alpha->data(), p.alpha->data() + p.alpha->size(), static_cast<float*>(alpha.get_data_handle()));
  dnnl::prelu_forward::desc desc(dnnl::prop_kind::forward_inference, md, alpha.get_desc());
  dnnl::prelu_forward::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::prelu_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output(), md}};
  step.constants.emplace_back(DNNL_ARG_WEIGHTS, alpha);
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
}

namespace {

// A binary op computed in plain C++: a power, or operands that both broadcast. Keras-ordered dims padded to
// one rank, with the op's post-op activations, on the plan's threads (detail::broadcast_loop).
struct BroadcastBinary {
  int64_t a, b, dst;  // arena offsets
  std::vector<int64_t> a_dims, b_dims, dst_dims;
  ir::BinaryOp::Kind kind;
  std::vector<detail::Activation> post;

  void operator()(uint8_t* arena) const {
    const float* pa = floats_at(arena, a);
    const float* pb = floats_at(arena, b);
    float* pd = floats_at(arena, dst);
    detail::broadcast_loop<2>(dst_dims, {a_dims, b_dims}, [&](int64_t i, const std::array<int64_t, 2>& o) {
      float v = ir::apply_binary(kind, pa[o[0]], pb[o[1]]);
      for (const detail::Activation& act : post) v = detail::apply_activation(act, v);
      pd[i] = v;
    });
  }
};

}  // namespace

// A power, or both binary inputs broadcast: index arithmetic in plain C++ (rare; never on a hot path of the
// models strata ships).
void PlanBuilder::add_broadcast_kernel(const ir::Op& op, const ir::BinaryOp& b_op) {
  BroadcastBinary kernel;
  kernel.dst_dims = graph_.values[op.output()].dims;
  kernel.a_dims = padded(graph_.values[op.inputs[0]].dims, kernel.dst_dims.size());
  kernel.b_dims = padded(graph_.values[op.inputs[1]].dims, kernel.dst_dims.size());
  kernel.a = offset_of(op.inputs[0]);
  kernel.b = offset_of(op.inputs[1]);
  kernel.dst = offset_of(op.output());
  kernel.kind = b_op.kind;
  for (const ir::PostOp& p : op.post_ops) kernel.post.push_back(p.activation);
  add_kernel_step(op, std::move(kernel), "broadcast");
}

}  // namespace strata::onednn
