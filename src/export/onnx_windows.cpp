// The ONNX exporter's window ops: convolutions, transposed convolutions and pooling over images (NCHW) and
// sequences (1D forms on (N, C, T)), and padding, cropping, upsampling and resizing.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "export/onnx_builder.hpp"

namespace strata::detail::onnx_export {

// A Conv or ConvTranspose node: over an image in NCHW, or over a sequence as a 1D node between two
// transposes, with the window's kernel_shape, strides and dilations; `finish` adds the node's own attributes.
void OnnxBuilder::window_node(const ir::Op& op, const char* type, const ir::Window& window,
                              std::string kernel, const std::shared_ptr<const Tensor>& bias,
                              const std::string& name, const std::function<void(onnx::NodeProto&)>& finish) {
  const bool sequence = expect_image_or_sequence(op, window.rank());
  std::vector<std::string> inputs = {
      sequence ? channels_first(op.inputs[0], name) : get(op.inputs[0], Layout::kNchw), std::move(kernel)};
  if (bias) inputs.push_back(out_.weight(bias, "", name + "/bias", OnnxGraph::as_is));
  const std::string result = sequence ? out_.unique(name + "/ncw") : define(op, Layout::kNchw);
  onnx::NodeProto& n = out_.node(type, inputs, {result}, name);
  OnnxGraph::attr(n, "kernel_shape", int64s(window.size));
  OnnxGraph::attr(n, "strides", int64s(window.strides));
  OnnxGraph::attr(n, "dilations", int64s(window.dilations));
  finish(n);
  if (sequence) channels_last(op, result, name);
}

void OnnxBuilder::conv(const ir::Op& op, const ir::ConvOp& c, const std::string& name) {
  const std::string kernel =
      out_.weight(c.kernel, "oihw", name + "/kernel", OnnxGraph::hwio_to_oihw, c.kernel_scale);
  window_node(op, "Conv", c.window, kernel, c.bias, name, [&](onnx::NodeProto& n) {
    OnnxGraph::attr(n, "pads", pads(c.window.padding));
    OnnxGraph::attr(n, "group", static_cast<int64_t>(c.groups));
  });
}

void OnnxBuilder::transposed_conv(const ir::Op& op, const ir::TransposedConvOp& t, const std::string& name) {
  // Keras's (kh, kw, out, in) is ONNX's (in, out, kh, kw) by the same permutation as Conv's HWIO to OIHW.
  const std::string kernel = out_.weight(t.kernel, "iohw", name + "/kernel", OnnxGraph::hwio_to_oihw);
  window_node(op, "ConvTranspose", t.window, kernel, t.bias, name, [&](onnx::NodeProto& n) {
    // ONNX's output is s*(in-1) + output_padding + d*(k-1)+1 - pads: the IR's negative `after` (cells past
    // the last window) is ONNX's output_padding.
    ir::SpatialPadding p = t.window.padding;
    std::vector<int64_t> output_padding;
    for (int& after : p.after) {
      output_padding.push_back(after < 0 ? -after : 0);
      after = std::max(after, 0);
    }
    OnnxGraph::attr(n, "pads", pads(p));
    OnnxGraph::attr(n, "output_padding", output_padding);
  });
}

// A sequence (N, T, C) as ONNX's (N, C, T), the input of a 1D Conv or ConvTranspose.
std::string OnnxBuilder::channels_first(ir::ValueId v, const std::string& name) {
  const std::string out = out_.unique(name + "/ncw_in");
  OnnxGraph::attr(out_.node("Transpose", {get(v, Layout::kNhwc)}, {out}, name + "/to_ncw"), "perm",
                  std::vector<int64_t>{0, 2, 1});
  return out;
}
// Defines the output of `op` (a sequence) from its (N, C, T) form `ncw`.
void OnnxBuilder::channels_last(const ir::Op& op, const std::string& ncw, const std::string& name) {
  OnnxGraph::attr(out_.node("Transpose", {ncw}, {define(op, Layout::kNhwc)}, name + "/to_nwc"), "perm",
                  std::vector<int64_t>{0, 2, 1});
}

// Convolutions over images (NCHW inside, transposed at the edges) or sequences (a 1D Conv between two
// transposes); true for a sequence.
bool OnnxBuilder::expect_image_or_sequence(const ir::Op& op, int spatial_axes) {
  if (spatial_axes == 1) return true;
  expect_image_axes(op, spatial_axes);
  return false;
}

// ONNX's order: every axis's start, then every axis's end.
std::vector<int64_t> OnnxBuilder::pads(const ir::SpatialPadding& p) {
  std::vector<int64_t> v(p.before.begin(), p.before.end());
  v.insert(v.end(), p.after.begin(), p.after.end());
  return v;
}

// The layout choices (NHWC <-> NCHW transposes) and kernel conversions are written for images.
void OnnxBuilder::expect_image_axes(const ir::Op& op, int spatial_axes) {
  if (spatial_axes != 2) {
    throw ValueError(fmt::format("[{}] ONNX export handles {} over 2 spatial axes, received {}",
                                 op.layers.empty() ? ir::op_kind_name(op) : op.layers.front(),
                                 ir::op_kind_name(op), spatial_axes));
  }
}

void OnnxBuilder::pool(const ir::Op& op, const ir::PoolOp& p, const std::string& name) {
  // One window over the whole axis of a sequence, unpadded (GlobalAveragePooling1D, and the reductions of
  // middle axes that lower to such a window) is a reduction over that axis.
  if (p.window.rank() == 1 && rank(op.inputs[0]) == 3 && p.window.size[0] == dims(op.inputs[0])[1] &&
      p.window.padding.is_zero()) {
    const ir::ReduceOp::Kind kind =
        p.kind == ir::PoolOp::Kind::kMax ? ir::ReduceOp::Kind::kMax : ir::ReduceOp::Kind::kMean;
    return reduce(op, ir::ReduceOp{kind, {1}}, name);
  }
  expect_image_axes(op, p.window.rank());
  const bool max = p.kind == ir::PoolOp::Kind::kMax;
  const std::vector<int64_t>& in = dims(op.inputs[0]);
  const std::string x = get(op.inputs[0], Layout::kNchw);
  const bool global = p.window.size[0] == in[1] && p.window.size[1] == in[2] && p.window.padding.is_zero();
  if (global) {
    out_.node(max ? "GlobalMaxPool" : "GlobalAveragePool", {x}, {define(op, Layout::kNchw)}, name);
    return;
  }
  onnx::NodeProto& n = out_.node(max ? "MaxPool" : "AveragePool", {x}, {define(op, Layout::kNchw)}, name);
  OnnxGraph::attr(n, "kernel_shape", int64s(p.window.size));
  OnnxGraph::attr(n, "strides", int64s(p.window.strides));
  OnnxGraph::attr(n, "pads", pads(p.window.padding));
  // Keras leaves padded cells out of the average.
  if (!max) OnnxGraph::attr(n, "count_include_pad", int64_t{0});
}

void OnnxBuilder::pad(const ir::Op& op, const ir::PadOp& p, const std::string& name) {
  // A sequence is padded as it is, (N, T, C) along axis 1.
  const bool sequence = expect_image_or_sequence(op, p.padding.rank());
  const std::string x = get(op.inputs[0], sequence ? Layout::kNhwc : Layout::kNchw);
  const ir::SpatialPadding& s = p.padding;
  const std::string pads = out_.int64_initializer(
      name + "/pads",
      sequence ? std::vector<int64_t>{0, s.before[0], 0, 0, s.after[0], 0}
               : std::vector<int64_t>{0, 0, s.before[0], s.before[1], 0, 0, s.after[0], s.after[1]});
  // ONNX Runtime (1.30 included) fuses a Pad whose constant is all zero bytes into the MaxPool after it,
  // whose padding means "left out", not zero: wrong for negative inputs. Zero padding written as -0.0
  // (numerically zero, a different bit pattern) keeps the Pad; a Pad before a Conv still fuses.
  bool before_max_pool = false;
  for (int r : readers_[op.output()]) {
    const auto* pool = std::get_if<ir::PoolOp>(&ir_.ops[r].attrs);
    before_max_pool = before_max_pool || (pool != nullptr && pool->kind == ir::PoolOp::Kind::kMax);
  }
  std::vector<std::string> inputs = {x, pads};
  if (p.value != 0.0f) {
    inputs.push_back(out_.initializer(name + "/value", {}, {p.value}));
  } else if (before_max_pool) {
    inputs.push_back(out_.initializer(name + "/negative_zero", {}, {-0.0f}));
  }
  out_.node("Pad", inputs, {define(op, sequence ? Layout::kNhwc : Layout::kNchw)}, name);
}

void OnnxBuilder::crop(const ir::Op& op, const ir::CropOp& c, const std::string& name) {
  const std::vector<int64_t>& in = dims(op.inputs[0]);
  const ir::SpatialPadding& s = c.cropping;
  if (expect_image_or_sequence(op, c.cropping.rank())) {  // a sequence, cropped along axis 1
    const std::string starts = out_.int64_initializer(name + "/starts", {s.before[0]});
    const std::string ends = out_.int64_initializer(name + "/ends", {in[1] - s.after[0]});
    const std::string axes = out_.int64_initializer(name + "/axes", {1});
    out_.node("Slice", {get(op.inputs[0], Layout::kNhwc), starts, ends, axes}, {define(op, Layout::kNhwc)},
              name);
    return;
  }
  const std::string x = get(op.inputs[0], Layout::kNchw);
  const std::string starts = out_.int64_initializer(name + "/starts", {s.before[0], s.before[1]});
  const std::string ends = out_.int64_initializer(name + "/ends", {in[1] - s.after[0], in[2] - s.after[1]});
  const std::string axes = out_.int64_initializer(name + "/axes", {2, 3});
  out_.node("Slice", {x, starts, ends, axes}, {define(op, Layout::kNchw)}, name);
}

void OnnxBuilder::upsample(const ir::Op& op, const ir::UpsampleOp& u, const std::string& name) {
  // A sequence is upsampled as it is, (N, T, C) along axis 1.
  const bool sequence = expect_image_or_sequence(op, static_cast<int>(u.factors.size()));
  const Layout layout = sequence ? Layout::kNhwc : Layout::kNchw;
  const std::string x = get(op.inputs[0], layout);
  const std::string scales =
      sequence ? out_.initializer(name + "/scales", {3}, {1.0f, static_cast<float>(u.factors[0]), 1.0f})
               : out_.initializer(
                     name + "/scales", {4},
                     {1.0f, 1.0f, static_cast<float>(u.factors[0]), static_cast<float>(u.factors[1])});
  // dst[h] = src[floor(h / factor)], Keras's nearest upsampling.
  onnx::NodeProto& n = out_.node("Resize", {x, "", scales}, {define(op, layout)}, name);
  OnnxGraph::attr(n, "mode", std::string("nearest"));
  OnnxGraph::attr(n, "coordinate_transformation_mode", std::string("asymmetric"));
  OnnxGraph::attr(n, "nearest_mode", std::string("floor"));
}

// TensorFlow's half-pixel resize: ONNX's half_pixel transformation; nearest rounds half up, which is
// floor((o + 0.5) * in / out).
void OnnxBuilder::resize(const ir::Op& op, const ir::ResizeOp& r, const std::string& name) {
  expect_image_axes(op, 2);
  const std::string x = get(op.inputs[0], Layout::kNchw);
  // sizes = (N, C) of the input, which may be a dynamic batch, then the output's (H, W).
  const std::string shape = out_.unique(name + "/shape"), nc = out_.unique(name + "/nc"),
                    target = out_.unique(name + "/sizes");
  out_.node("Shape", {x}, {shape}, name + "/shape");
  out_.node(
      "Slice",
      {shape, out_.int64_initializer(name + "/starts", {0}), out_.int64_initializer(name + "/ends", {2})},
      {nc}, name + "/nc");
  const std::vector<int64_t>& d = dims(op.output());
  OnnxGraph::attr(out_.node("Concat", {nc, out_.int64_initializer(name + "/hw", {d[1], d[2]})}, {target},
                            name + "/sizes"),
                  "axis", int64_t{0});
  onnx::NodeProto& n = out_.node("Resize", {x, "", "", target}, {define(op, Layout::kNchw)}, name);
  const bool linear = r.kind == ir::ResizeOp::Kind::kLinear;
  OnnxGraph::attr(n, "mode", std::string(linear ? "linear" : "nearest"));
  OnnxGraph::attr(n, "coordinate_transformation_mode", std::string("half_pixel"));
  if (!linear) OnnxGraph::attr(n, "nearest_mode", std::string("round_prefer_ceil"));
}

}  // namespace strata::detail::onnx_export
