// Ops that move data without arithmetic: zero padding, cropping and nearest upsampling of 1 to 3 spatial
// axes (whole rows of channels copied in plain C++, since 2.6 has no pad primitive and these ops are a
// rounding error next to the convolutions around them; they copy bytes, so they serve float32 and bfloat16
// alike), concatenation as oneDNN concat, transposes and the precision and layout conversions as oneDNN
// reorders.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>

#include "backend/onednn/plan_builder.hpp"
#include "strata/error.hpp"

namespace strata::onednn {

void PlanBuilder::add_pad(const ir::Op& op, const ir::PadOp& p) {
  // Sequences, images and volumes alike, as (N, D, H, W, C) with unit axes in front.
  const auto in = ir::as_volume(graph_.values[op.inputs[0]].dims),
             out = ir::as_volume(graph_.values[op.output()].dims);
  const auto before = ir::as_volume(p.padding.before, 0);
  const int64_t src = offset_of(op.inputs[0]), dst = offset_of(op.output());
  const int64_t esize = ir::element_size(graph_.values[op.output()].dtype);
  const float fill = p.value;
  if (fill != 0.0f && esize != 4) {
    throw InternalError(
        fmt::format("onednn: a pad with fill value {} on a {}-byte type for {}; choose_precision "
                    "keeps such pads in float32",
                    fill, esize, fmt::join(op.layers, ", ")));
  }
  add_kernel_step(
      op,
      [src, dst, in, out, before, esize, fill](uint8_t* arena) {
        const uint8_t* s = arena + src;
        uint8_t* d = arena + dst;
        const int64_t C = in[4] * esize, row = in[3] * C;
        const int64_t total = out[0] * out[1] * out[2] * out[3] * in[4];
        if (fill == 0.0f) {
          std::memset(d, 0, static_cast<size_t>(total * esize));
        } else {
          std::fill_n(reinterpret_cast<float*>(d), total, fill);
        }
        for (int64_t n = 0; n < in[0]; ++n)
          for (int64_t z = 0; z < in[1]; ++z)
            for (int64_t h = 0; h < in[2]; ++h) {
              const uint8_t* from = s + ((n * in[1] + z) * in[2] + h) * row;
              const int64_t to = ((n * out[1] + z + before[0]) * out[2] + h + before[1]) * out[3] + before[2];
              std::memcpy(d + to * C, from, static_cast<size_t>(row));
            }
      },
      "nhwc -> nhwc");
}

void PlanBuilder::add_crop(const ir::Op& op, const ir::CropOp& c) {
  const auto in = ir::as_volume(graph_.values[op.inputs[0]].dims),
             out = ir::as_volume(graph_.values[op.output()].dims);
  const auto before = ir::as_volume(c.cropping.before, 0);
  const int64_t src = offset_of(op.inputs[0]), dst = offset_of(op.output());
  const int64_t esize = ir::element_size(graph_.values[op.output()].dtype);
  add_kernel_step(
      op,
      [src, dst, in, out, before, esize](uint8_t* arena) {
        const uint8_t* s = arena + src;
        uint8_t* d = arena + dst;
        const int64_t C = in[4] * esize, row = out[3] * C;
        for (int64_t n = 0; n < out[0]; ++n)
          for (int64_t z = 0; z < out[1]; ++z)
            for (int64_t h = 0; h < out[2]; ++h) {
              const int64_t from = ((n * in[1] + z + before[0]) * in[2] + h + before[1]) * in[3] + before[2];
              std::memcpy(d + ((n * out[1] + z) * out[2] + h) * row, s + from * C, static_cast<size_t>(row));
            }
      },
      "nhwc -> nhwc");
}

void PlanBuilder::add_upsample(const ir::Op& op, const ir::UpsampleOp&) {
  // Keras's nearest upsampling by whole factors, src[o / F], is oneDNN's nearest resampling exactly: it takes
  // round((o + 0.5) / F - 0.5), and (o + 0.5) / F - 0.5 lies within half a cell of floor(o / F). oneDNN's
  // kernel is jit and multi-threaded where a copy loop here ran on one thread (measured 8x40x40x64 doubled,
  // 2 threads, AVX2: 2.2 ms as a copy loop, 2.0 ms as oneDNN jit:avx2).
  add_resize(op, ir::ResizeOp{ir::ResizeOp::Kind::kNearest});
}

void PlanBuilder::add_resize(const ir::Op& op, const ir::ResizeOp& r) {
  // oneDNN's resampling is TensorFlow's half-pixel rule: linear clamps the source coordinate to the edge, and
  // nearest rounds (o + 0.5) / F - 0.5, which is floor((o + 0.5) * in / out).
  const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output());
  const auto kind = r.kind == ir::ResizeOp::Kind::kLinear ? dnnl::algorithm::resampling_linear
                                                          : dnnl::algorithm::resampling_nearest;
  dnnl::resampling_forward::desc desc(dnnl::prop_kind::forward_inference, kind, src, dst);
  dnnl::resampling_forward::primitive_desc pd(desc, attributes(op), engine_);
  Step step;
  step.primitive = dnnl::resampling_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
}

void PlanBuilder::add_concat(const ir::Op& op, const ir::ConcatOp& c) {
  const auto& dst_dims = graph_.values[op.output()].dims;
  const int rank = static_cast<int>(dst_dims.size());
  // Keras's last axis is oneDNN's channel axis 1; the spatial axes follow it.
  const int axis = rank <= 2 ? c.axis : (c.axis == rank - 1 ? 1 : c.axis + 1);
  std::vector<memory::desc> srcs;
  Step step;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    srcs.push_back(desc_of(op.inputs[i]));
    step.activations.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), op.inputs[i], srcs.back()});
  }
  const memory::desc dst = desc_of(op.output());
  dnnl::concat::primitive_desc pd(dst, axis, srcs, engine_, attributes(op));
  step.primitive = dnnl::concat(pd);
  step.activations.push_back({DNNL_ARG_DST, op.output(), dst});
  finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(srcs.front()), layout_name(dst)));
}

// A transpose is a reorder from a strided view of the input: the output's dims, each with the stride its
// source axis has in the input's row-major memory.
void PlanBuilder::add_transpose(const ir::Op& op, const ir::TransposeOp& t) {
  const ir::Value& in = graph_.values[op.inputs[0]];
  const auto& out_dims = graph_.values[op.output()].dims;
  const size_t rank = out_dims.size();
  memory::dims in_strides(rank, 1), view_strides(rank), out_strides(rank, 1);
  for (size_t d = rank - 1; d-- > 0;) {
    in_strides[d] = in_strides[d + 1] * in.dims[d + 1];
    out_strides[d] = out_strides[d + 1] * out_dims[d + 1];
  }
  for (size_t d = 0; d < rank; ++d) view_strides[d] = in_strides[t.perm[d]];
  const memory::data_type type = data_type_of(in.dtype);
  const memory::desc src(out_dims, type, view_strides), dst(out_dims, type, out_strides);
  add_reorder(op, src, dst, fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
}

void PlanBuilder::add_reorder(const ir::Op& op, const memory::desc& src, const memory::desc& dst,
                              std::string layouts) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::reorder::primitive_desc pd(engine_, src, engine_, dst, attr);
  Step step;
  step.primitive = dnnl::reorder(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  finish_step(step, pd, op, std::move(layouts));
}

void PlanBuilder::add_convert(const ir::Op& op) {
  const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output());
  auto text = [](const memory::desc& md) {
    return layout_name(md) + (md.data_type() == memory::data_type::bf16 ? " bf16" : " f32");
  };
  add_reorder(op, src, dst, text(src) + " -> " + text(dst));
}

}  // namespace strata::onednn
