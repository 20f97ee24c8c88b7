// The pooling family: max and average pooling over 1 to 3 spatial axes (average excluding padded cells, as
// Keras) as oneDNN pooling primitives, or, for 2D maps in the plain layout, strata's own loop where it runs
// (backend/pool_kernel.hpp: oneDNN 2.6's NHWC pooling is several times slower).

#include <fmt/format.h>

#include <optional>

#include "backend/onednn/plan_builder.hpp"
#include "backend/pool_kernel.hpp"

namespace strata::onednn {

namespace {

// The kernel's shape for `op`, or nothing where it does not apply: a 2D window over float32 maps in the plain
// (NHWC) layout, no post-ops, a window it takes, and every window overlapping the map.
std::optional<detail::PoolShape> kernel_shape(const ir::Graph& graph, const ir::Op& op, const ir::PoolOp& p) {
  const ir::Value& in = graph.values[op.inputs[0]];
  const ir::Value& out = graph.values[op.output()];
  const ir::Window& w = p.window;
  if (!detail::pool_kernel_supported() || w.rank() != 2 || !op.post_ops.empty() || in.dims.size() != 4 ||
      in.dtype != ir::DataType::kFloat32 || out.dtype != ir::DataType::kFloat32 ||
      in.layout != ir::Layout::kPlain || out.layout != ir::Layout::kPlain ||
      int64_t{w.size[0]} * w.size[1] > detail::kPoolKernelMaxCells) {
    return std::nullopt;
  }
  detail::PoolShape s;
  s.batch = in.dims[0];
  s.height = in.dims[1];
  s.width = in.dims[2];
  s.channels = in.dims[3];
  s.out_height = out.dims[1];
  s.out_width = out.dims[2];
  s.window_height = w.size[0];
  s.window_width = w.size[1];
  s.stride_height = w.strides[0];
  s.stride_width = w.strides[1];
  s.pad_top = w.padding.before[0];
  s.pad_left = w.padding.before[1];
  s.max = p.kind == ir::PoolOp::Kind::kMax;
  const auto overlaps = [](int64_t size, int64_t out_size, int64_t window, int64_t stride, int64_t pad) {
    return pad < window && (out_size - 1) * stride - pad < size;
  };
  if (!overlaps(s.height, s.out_height, s.window_height, s.stride_height, s.pad_top) ||
      !overlaps(s.width, s.out_width, s.window_width, s.stride_width, s.pad_left)) {
    return std::nullopt;
  }
  return s;
}

}  // namespace

void PlanBuilder::add_pool(const ir::Op& op, const ir::PoolOp& p) {
  const memory::desc src = desc_of(op.inputs[0]);
  const memory::desc dst = desc_of(op.output());
  if (const std::optional<detail::PoolShape> shape = kernel_shape(graph_, op, p)) {
    add_kernel_step(
        op,
        [shape = *shape, from = offset_of(op.inputs[0]), to = offset_of(op.output())](uint8_t* arena) {
          detail::pool_kernel(shape, floats_at(arena, from), floats_at(arena, to));
        },
        fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
    return;
  }
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
