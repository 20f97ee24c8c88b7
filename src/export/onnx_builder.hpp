#pragma once
// The ONNX exporter's graph builder: IR values and ops in, ONNX nodes out, each rank-4 value in whichever of
// NHWC and NCHW its readers need (see onnx_export.cpp). Its window ops live in onnx_windows.cpp.

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include "compiler/ir.hpp"
#include "compiler/passes/passes.hpp"
#include "core/overloaded.hpp"
#include "export/onnx_activations.hpp"
#include "export/onnx_graph.hpp"
#include "strata/error.hpp"

namespace strata::detail::onnx_export {

using detail::Activation;
using detail::ActivationKind;
using detail::OnnxGraph;

constexpr int kMinOpset = 13;  // Softmax over one axis, Resize with optional roi, Clip/Pad/Slice inputs.
inline const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
inline const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};

enum class Layout { kNhwc, kNchw };

inline int max_supported_opset() {
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  const auto it = ranges.find(onnx::ONNX_DOMAIN);
  return it == ranges.end() ? 17 : it->second.second;
}

inline std::vector<int64_t> to_nchw(const std::vector<int64_t>& d) {
  return {d[0], d[3], d[1], d[2]};
}

// Both orders of an NHWC value hold the same bytes when only one of (H*W, C) is larger than one.
inline bool orders_coincide(const std::vector<int64_t>& d) {
  return d.size() == 4 && (d[1] * d[2] == 1 || d[3] == 1);
}

// The ONNX element type of an IR value's type.
inline int onnx_type(ir::DataType type) {
  switch (type) {
    case ir::DataType::kInt32:
      return onnx::TensorProto_DataType_INT32;
    case ir::DataType::kInt64:
      return onnx::TensorProto_DataType_INT64;
    case ir::DataType::kBool:
      return onnx::TensorProto_DataType_BOOL;
    case ir::DataType::kFloat32:
      return onnx::TensorProto_DataType_FLOAT;
    case ir::DataType::kBFloat16:
      break;
  }
  throw InternalError("ONNX export: a bfloat16 value reached the exporter");
}

inline std::string join_layers(const ir::Op& op) {
  std::string name;
  for (const std::string& layer : op.layers) name += (name.empty() ? "" : "+") + layer;
  return name;
}

// Builds the ONNX graph from the IR, one value and one op at a time.
class OnnxBuilder {
 public:
  OnnxBuilder(const ir::Graph& ir, onnx::GraphProto& graph, bool dynamic_batch, int opset)
      : ir_(ir),
        opset_(opset),
        tensors_(ir.values.size()),
        readers_(ir.readers()),
        out_(graph, dynamic_batch) {
    plan_layouts();
  }

  // Names that must stay as they are (the model's inputs and outputs); other tensors avoid them.
  void reserve(const std::string& name) { out_.reserve(name); }

  void add_input(ir::ValueId v, const std::string& name) {
    out_.add_input(name, ir_.values[v].dims, onnx_type(ir_.values[v].dtype));
    tensors_[v].nhwc = name;
  }

  void add_output(ir::ValueId v, const std::string& name) {
    const std::string tensor = get(v, Layout::kNhwc);
    // Rename the producing node's output when nothing else already exposes that tensor under its name;
    // otherwise (an input passed straight through, one value returned twice) add an Identity.
    if (out_.rename_node_output(tensor, name)) {
      for (Tensors& t : tensors_) {
        if (t.nhwc == tensor) t.nhwc = name;
        if (t.nchw == tensor) t.nchw = name;
      }
    } else {
      out_.node("Identity", {tensor}, {name}, name + "/identity");
    }
    out_.add_output(name, ir_.values[v].dims, onnx_type(ir_.values[v].dtype));
  }

  void emit(const ir::Op& op) {
    if (!op.post_ops.empty()) throw InternalError("ONNX export: fused post-ops reached the exporter");
    const std::string name = join_layers(op);
    // One overload per IR op kind and no catch-all: a new kind without an ONNX form is a compile error here.
    std::visit(detail::Overloaded{
                   [&](const ir::ConvOp& c) { conv(op, c, name); },
                   [&](const ir::TransposedConvOp& t) { transposed_conv(op, t, name); },
                   [&](const ir::PoolOp& p) { pool(op, p, name); },
                   [&](const ir::ActivationOp& a) { activation(op, a.activation, name); },
                   [&](const ir::BinaryOp& b) { binary(op, b, name); },
                   [&](const ir::ElementwiseOp& e) { elementwise(op, e, name); },
                   [&](const ir::GatherOp& g) {
                     // ONNX's Gather along axis 0 takes negative ids from the end, as Keras's take does.
                     const std::string table =
                         out_.weight(g.table, "", name + "/embeddings", OnnxGraph::as_is);
                     out_.node("Gather", {table, get(op.inputs[0], Layout::kNhwc)},
                               {define(op, Layout::kNhwc)}, name);
                   },
                   [&](const ir::OneHotOp& o) { one_hot(op, o, name); },
                   [&](const ir::RecurrentOp& r) { recurrent(op, r, name); },
                   [&](const ir::ConstantOp& c) { constant(op, c, name); },
                   [&](const ir::SoftmaxOp& s) { softmax(op, s, name); },
                   [&](const ir::DenseOp& d) { dense(op, d, name); },
                   [&](const ir::BatchNormOp& bn) { batch_norm(op, bn, name); },
                   [&](const ir::PadOp& p) { pad(op, p, name); },
                   [&](const ir::CropOp& c) { crop(op, c, name); },
                   [&](const ir::UpsampleOp& u) { upsample(op, u, name); },
                   [&](const ir::ResizeOp& r) { resize(op, r, name); },
                   [&](const ir::ReshapeOp&) { reshape(op, name); },
                   [&](const ir::ConcatOp& c) { concat(op, c, name); },
                   [&](const ir::ReduceOp& r) { reduce(op, r, name); },
                   [&](const ir::LayerNormOp& l) { layer_norm(op, l, name); },
                   [&](const ir::PReluOp& p) {
                     // ONNX's slope broadcasts to X from the right, as alpha (input dims without the batch).
                     const std::vector<float> alpha(p.alpha->data(), p.alpha->data() + p.alpha->size());
                     const std::string slope = out_.initializer(name + "/alpha", p.alpha->dims(), alpha);
                     out_.node("PRelu", {get(op.inputs[0], Layout::kNhwc), slope},
                               {define(op, Layout::kNhwc)}, name);
                   },
                   [&](const ir::MatMulOp&) {
                     out_.node("MatMul", {get(op.inputs[0], Layout::kNhwc), get(op.inputs[1], Layout::kNhwc)},
                               {define(op, Layout::kNhwc)}, name);
                   },
                   [&](const ir::TransposeOp& t) { transpose(op, t, name); },
                   [&](const ir::CustomOp& custom) {
                     throw ValueError(
                         fmt::format("[{} ({})] Cannot export to ONNX: a custom layer runs a strata "
                                     "C++ kernel that ONNX has no operator for",
                                     name, custom.definition->class_name()));
                   },
                   [&](const ir::ConvertOp&) {
                     throw InternalError(
                         "ONNX export: a conversion reached the exporter, which runs no "
                         "precision or layout pass");
                   },
               },
               op.attrs);
  }

 private:
  // The names of one IR value in the ONNX graph, per layout (empty: not emitted in that order yet).
  struct Tensors {
    std::string nhwc, nchw;
  };

  const std::vector<int64_t>& dims(ir::ValueId v) const { return ir_.values[v].dims; }
  int rank(ir::ValueId v) const { return static_cast<int>(dims(v).size()); }

  // The ONNX tensor holding value `v` in `layout`, converting (once) when needed.
  std::string get(ir::ValueId v, Layout layout) {
    Tensors& t = tensors_[v];
    if (rank(v) != 4) {
      if (t.nhwc.empty())
        throw InternalError(fmt::format("ONNX export: value {} used before it is defined", v));
      return t.nhwc;
    }
    std::string& wanted = layout == Layout::kNchw ? t.nchw : t.nhwc;
    if (!wanted.empty()) return wanted;
    const std::string& have = layout == Layout::kNchw ? t.nhwc : t.nchw;
    if (have.empty()) throw InternalError(fmt::format("ONNX export: value {} used before it is defined", v));
    const std::string base = ir_.values[v].name + (layout == Layout::kNchw ? "/nchw" : "/nhwc");
    const std::string out = out_.unique(base);
    if (orders_coincide(dims(v))) {
      const std::vector<int64_t> target = layout == Layout::kNchw ? to_nchw(dims(v)) : dims(v);
      out_.node("Reshape", {have, out_.shape_constant(base, target)}, {out}, base);
    } else {
      OnnxGraph::attr(out_.node("Transpose", {have}, {out}, base), "perm",
                      layout == Layout::kNchw ? kToNchw : kToNhwc);
    }
    wanted = out;
    return out;
  }

  // Defines the output of `op` in `layout` and returns its tensor name.
  std::string define(const ir::Op& op, Layout layout) {
    const ir::ValueId v = op.output();
    const std::string name = out_.unique(ir_.values[v].name);
    if (rank(v) == 4 && layout == Layout::kNchw) {
      tensors_[v].nchw = name;
    } else {
      tensors_[v].nhwc = name;
    }
    return name;
  }

  // Defines value `v` (an op's output of rank below 4, such as a recurrent op's states) and returns its name.
  std::string define_value(ir::ValueId v) {
    if (rank(v) == 4) throw InternalError("ONNX export: define_value on a rank-4 value");
    return tensors_[v].nhwc = out_.unique(ir_.values[v].name);
  }

  // A plan-time constant: an initializer of its type, named by an Identity as the value.
  void constant(const ir::Op& op, const ir::ConstantOp& c, const std::string& name);
  void one_hot(const ir::Op& op, const ir::OneHotOp& o, const std::string& name);

  // Keras's recurrent layers (onnx_recurrent.cpp).
  void recurrent(const ir::Op& op, const ir::RecurrentOp& r, const std::string& name);
  void recurrent_half(const ir::RecurrentHalf& half, const std::string& name);

  // What an op wants of its rank-4 input: a layout, nothing (kAny), or whatever its own result prefers.
  enum class Want { kNchw, kNhwc, kAny, kFollow };

  Want wants(const ir::Op& op) const {
    const ir::ValueId in = op.inputs.empty() ? -1 : op.inputs[0];
    auto nchw = [](const auto&) { return Want::kNchw; };
    auto follow = [](const auto&) { return Want::kFollow; };
    return std::visit(
        detail::Overloaded{
            [&](const ir::ConvOp& c) { return nchw(c); },
            [&](const ir::TransposedConvOp& t) { return nchw(t); },
            [&](const ir::PoolOp& p) { return nchw(p); },
            [&](const ir::PadOp& p) { return nchw(p); },
            [&](const ir::CropOp& c) { return nchw(c); },
            [&](const ir::UpsampleOp& u) { return nchw(u); },
            [&](const ir::ResizeOp& r) { return nchw(r); },
            [&](const ir::BatchNormOp& b) { return nchw(b); },
            [&](const ir::DenseOp& d) { return nchw(d); },
            [&](const ir::ReshapeOp&) { return orders_coincide(dims(in)) ? Want::kAny : Want::kNhwc; },
            [&](const ir::BinaryOp& b) {
              return rank(op.inputs[0]) != rank(op.inputs[1]) ? Want::kNhwc : follow(b);
            },
            [&](const ir::GatherOp&) { return Want::kNhwc; },
            [&](const ir::OneHotOp&) { return Want::kNhwc; },
            [&](const ir::RecurrentOp&) { return Want::kNhwc; },
            [&](const ir::ConstantOp&) { return Want::kNhwc; },
            [&](const ir::ElementwiseOp& e) {
              for (ir::ValueId v : op.inputs) {
                if (rank(v) != rank(op.output())) return Want::kNhwc;
              }
              return follow(e);
            },
            [&](const ir::CustomOp&) { return Want::kNhwc; },
            [&](const ir::ActivationOp& a) { return follow(a); },
            [&](const ir::SoftmaxOp& s) {
              return s.axis_for(static_cast<size_t>(rank(in))) == rank(in) - 1 ? follow(s) : Want::kNhwc;
            },
            [&](const ir::ConcatOp& c) { return follow(c); },
            // Keras's axes are NHWC's.
            [&](const ir::ReduceOp&) { return Want::kNhwc; },
            [&](const ir::LayerNormOp&) { return Want::kNhwc; },
            [&](const ir::PReluOp&) { return Want::kNhwc; },
            [&](const ir::MatMulOp&) { return Want::kNhwc; },
            [&](const ir::TransposeOp&) { return Want::kNhwc; },
            [&](const ir::ConvertOp& c) { return follow(c); },
        },
        op.attrs);
  }

  // Walks the program backwards and records, for each rank-4 value, the layout most of its readers want, so
  // that an op indifferent to layout produces what comes next needs (a model output wants NHWC).
  void plan_layouts() {
    std::vector<int> votes(ir_.values.size(), 0);  // > 0: NCHW, < 0: NHWC
    for (ir::ValueId v : ir_.outputs) --votes[v];
    preferred_.assign(ir_.values.size(), std::nullopt);
    for (auto op = ir_.ops.rbegin(); op != ir_.ops.rend(); ++op) {
      const ir::ValueId out = op->output();
      if (votes[out] != 0) preferred_[out] = votes[out] > 0 ? Layout::kNchw : Layout::kNhwc;
      const Want want = wants(*op);
      for (ir::ValueId in : op->inputs) {
        if (want == Want::kNchw) ++votes[in];
        if (want == Want::kNhwc) --votes[in];
        if (want == Want::kFollow && preferred_[out]) votes[in] += *preferred_[out] == Layout::kNchw ? 1 : -1;
      }
    }
  }

  // The layout for an op indifferent to it: the one needing the fewest conversions of its inputs and of its
  // result (for what its readers prefer); a tie goes to NCHW, the order convolutions want.
  Layout agnostic_layout(const ir::Op& op) const {
    bool all_rank4 = rank(op.output()) == 4;
    for (ir::ValueId v : op.inputs) all_rank4 = all_rank4 && rank(v) == 4;
    if (!all_rank4) return Layout::kNhwc;
    auto cost = [&](Layout layout) {
      int c = 0;
      for (ir::ValueId v : op.inputs) {
        const std::string& have = layout == Layout::kNchw ? tensors_[v].nchw : tensors_[v].nhwc;
        if (have.empty()) c += orders_coincide(dims(v)) ? 1 : 2;  // a Reshape is cheaper than a Transpose
      }
      if (preferred_[op.output()] && *preferred_[op.output()] != layout)
        c += orders_coincide(dims(op.output())) ? 1 : 2;
      return c;
    };
    return cost(Layout::kNhwc) < cost(Layout::kNchw) ? Layout::kNhwc : Layout::kNchw;
  }

  // Windows and their neighbours (onnx_windows.cpp): images as NCHW, sequences as (N, C, T) for the 1D forms
  // of Conv and ConvTranspose, and as they are along axis 1 for padding, cropping and upsampling.
  void window_node(const ir::Op& op, const char* type, const ir::Window& window, std::string kernel,
                   const std::shared_ptr<const Tensor>& bias, const std::string& name,
                   const std::function<void(onnx::NodeProto&)>& finish);
  void conv(const ir::Op& op, const ir::ConvOp& c, const std::string& name);
  void transposed_conv(const ir::Op& op, const ir::TransposedConvOp& t, const std::string& name);
  std::string channels_first(ir::ValueId v, const std::string& name);
  void channels_last(const ir::Op& op, const std::string& ncw, const std::string& name);
  static bool expect_image_or_sequence(const ir::Op& op, int spatial_axes);
  static std::vector<int64_t> pads(const ir::SpatialPadding& p);
  static std::vector<int64_t> int64s(const std::vector<int>& v) { return {v.begin(), v.end()}; }
  static void expect_image_axes(const ir::Op& op, int spatial_axes);
  void pool(const ir::Op& op, const ir::PoolOp& p, const std::string& name);
  void pad(const ir::Op& op, const ir::PadOp& p, const std::string& name);
  void crop(const ir::Op& op, const ir::CropOp& c, const std::string& name);
  void upsample(const ir::Op& op, const ir::UpsampleOp& u, const std::string& name);
  void resize(const ir::Op& op, const ir::ResizeOp& r, const std::string& name);

  void activation(const ir::Op& op, const Activation& a, const std::string& name) {
    const Layout layout = agnostic_layout(op);
    const std::string x = get(op.inputs[0], layout);
    emit_onnx_activation(out_, a, x, define(op, layout), name);
  }

  void binary(const ir::Op& op, const ir::BinaryOp& b, const std::string& name) {
    static const std::map<ir::BinaryOp::Kind, const char*> types = {
        {ir::BinaryOp::Kind::kAdd, "Add"},      {ir::BinaryOp::Kind::kSubtract, "Sub"},
        {ir::BinaryOp::Kind::kMultiply, "Mul"}, {ir::BinaryOp::Kind::kDivide, "Div"},
        {ir::BinaryOp::Kind::kMaximum, "Max"},  {ir::BinaryOp::Kind::kMinimum, "Min"},
        {ir::BinaryOp::Kind::kPower, "Pow"}};
    // Equal ranks (merge layers expand the shorter input), so permuting both keeps the broadcasting.
    const Layout layout = rank(op.inputs[0]) == rank(op.inputs[1]) ? agnostic_layout(op) : Layout::kNhwc;
    const std::string x = get(op.inputs[0], layout), y = get(op.inputs[1], layout);
    out_.node(types.at(b.kind), {x, y}, {define(op, layout)}, name);
  }

  // Casts, comparisons, logical ops, where and integer arithmetic: ONNX has each (NotEqual as Not(Equal),
  // square as Mul(x, x)); number operands are scalars of their operand's type, which broadcast in any layout.
  void elementwise(const ir::Op& op, const ir::ElementwiseOp& e, const std::string& name) {
    using K = ir::ElementwiseOp::Kind;
    bool same_rank = true;
    for (ir::ValueId v : op.inputs) same_rank = same_rank && rank(v) == rank(op.output());
    const Layout layout = same_rank ? agnostic_layout(op) : Layout::kNhwc;
    std::vector<std::string> operands;
    for (ir::ValueId v : op.inputs) operands.push_back(get(v, layout));
    const ir::DataType tensor_type =
        op.inputs.empty() ? ir::DataType::kFloat32 : ir_.values[op.inputs[0]].dtype;
    for (const ir::ElementwiseOp::Number& n : e.numbers) {
      const ir::DataType type =
          ir::elementwise_number_type(e, n.at, tensor_type, ir_.values[op.output()].dtype);
      operands.insert(operands.begin() + n.at,
                      out_.typed_scalar(fmt::format("{}/x{}", name, n.at + 1), onnx_type(type), n));
    }
    const std::string out = define(op, layout);
    switch (e.kind) {
      case K::kCast:
        OnnxGraph::attr(out_.node("Cast", operands, {out}, name), "to",
                        static_cast<int64_t>(onnx_type(ir_.values[op.output()].dtype)));
        return;
      case K::kNotEqual: {
        const std::string equal = out_.unique(out + "/equal");
        out_.node("Equal", operands, {equal}, name + "/equal");
        out_.node("Not", {equal}, {out}, name);
        return;
      }
      case K::kSquare:
        out_.node("Mul", {operands[0], operands[0]}, {out}, name);
        return;
      default:
        break;
    }
    static const std::map<K, const char*> types = {
        {K::kAdd, "Add"},         {K::kSubtract, "Sub"},
        {K::kMultiply, "Mul"},    {K::kMaximum, "Max"},
        {K::kMinimum, "Min"},     {K::kNegative, "Neg"},
        {K::kAbsolute, "Abs"},    {K::kEqual, "Equal"},
        {K::kLess, "Less"},       {K::kLessEqual, "LessOrEqual"},
        {K::kGreater, "Greater"}, {K::kGreaterEqual, "GreaterOrEqual"},
        {K::kLogicalAnd, "And"},  {K::kLogicalOr, "Or"},
        {K::kLogicalNot, "Not"},  {K::kWhere, "Where"}};
    out_.node(types.at(e.kind), operands, {out}, name);
  }

  void softmax(const ir::Op& op, const ir::SoftmaxOp& s, const std::string& name) {
    const int keras_axis = s.axis_for(static_cast<size_t>(rank(op.inputs[0])));
    const bool last = keras_axis == rank(op.inputs[0]) - 1;
    const Layout layout = last ? agnostic_layout(op) : Layout::kNhwc;
    const std::string x = get(op.inputs[0], layout);
    // Keras's last axis is the channel axis 1 in NCHW; other axes are taken in Keras's order.
    const int64_t axis = !last ? keras_axis : layout == Layout::kNchw ? 1 : -1;
    OnnxGraph::attr(out_.node(s.log ? "LogSoftmax" : "Softmax", {x}, {define(op, layout)}, name), "axis",
                    axis);
  }

  void dense(const ir::Op& op, const ir::DenseOp& d, const std::string& name) {
    const ir::ValueId in = op.inputs[0];
    if (rank(in) == 2) {
      std::vector<std::string> inputs = {
          get(in, Layout::kNhwc),
          out_.weight(d.kernel, "", name + "/kernel", OnnxGraph::as_is, d.kernel_scale)};
      if (d.bias) inputs.push_back(out_.weight(d.bias, "", name + "/bias", OnnxGraph::as_is));
      out_.node("Gemm", inputs, {define(op, Layout::kNhwc)}, name);
      return;
    }
    const bool nchw_wanted = !tensors_[in].nchw.empty() || preferred_[op.output()] == Layout::kNchw;
    if (rank(in) == 4 && nchw_wanted) {
      // A dense layer over the channels of an image is a 1x1 convolution.
      std::vector<std::string> inputs = {
          get(in, Layout::kNchw),
          out_.weight(d.kernel, "oihw", name + "/kernel", OnnxGraph::dense_to_oihw, d.kernel_scale)};
      if (d.bias) inputs.push_back(out_.weight(d.bias, "", name + "/bias", OnnxGraph::as_is));
      onnx::NodeProto& n = out_.node("Conv", inputs, {define(op, Layout::kNchw)}, name);
      OnnxGraph::attr(n, "kernel_shape", std::vector<int64_t>{1, 1});
      return;
    }
    const std::string x = get(in, Layout::kNhwc);
    const std::string product =
        d.bias ? out_.unique(ir_.values[op.output()].name + "/matmul") : define(op, Layout::kNhwc);
    out_.node("MatMul", {x, out_.weight(d.kernel, "", name + "/kernel", OnnxGraph::as_is, d.kernel_scale)},
              {product}, d.bias ? name + "/matmul" : name);
    if (d.bias)
      out_.node("Add", {product, out_.weight(d.bias, "", name + "/bias", OnnxGraph::as_is)},
                {define(op, Layout::kNhwc)}, name);
  }

  void batch_norm(const ir::Op& op, const ir::BatchNormOp& bn, const std::string& name) {
    const ir::ValueId in = op.inputs[0];
    const int64_t channels = dims(in).back();
    if (rank(in) == 4 || rank(in) == 2) {
      // ONNX's BatchNormalization normalizes axis 1: the channels of NCHW, and of (N, C).
      const std::string x = get(in, Layout::kNchw);
      auto or_fill = [&](const std::shared_ptr<const Tensor>& t, const std::string& what, float fill) {
        return t ? out_.weight(t, "", name + "/" + what, OnnxGraph::as_is)
                 : out_.initializer(name + "/" + what, {channels},
                                    std::vector<float>(static_cast<size_t>(channels), fill));
      };
      const std::string scale = or_fill(bn.gamma, "gamma", 1.0f), bias = or_fill(bn.beta, "beta", 0.0f);
      const std::string mean = out_.weight(bn.mean, "", name + "/moving_mean", OnnxGraph::as_is);
      const std::string var = out_.weight(bn.variance, "", name + "/moving_variance", OnnxGraph::as_is);
      OnnxGraph::attr(
          out_.node("BatchNormalization", {x, scale, bias, mean, var}, {define(op, Layout::kNchw)}, name),
          "epsilon", bn.epsilon);
      return;
    }
    // Other ranks: the last axis is not axis 1, so scale and shift with broadcasting.
    std::vector<float> scale(static_cast<size_t>(channels)), shift(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      const double gamma = bn.gamma ? bn.gamma->data()[c] : 1.0, beta = bn.beta ? bn.beta->data()[c] : 0.0;
      const double s = gamma / std::sqrt(static_cast<double>(bn.variance->data()[c]) + bn.epsilon);
      scale[static_cast<size_t>(c)] = static_cast<float>(s);
      shift[static_cast<size_t>(c)] = static_cast<float>(beta - bn.mean->data()[c] * s);
    }
    const std::string scaled = out_.unique(ir_.values[op.output()].name + "/scaled");
    out_.node("Mul", {get(in, Layout::kNhwc), out_.initializer(name + "/scale", {channels}, scale)}, {scaled},
              name + "/scale");
    out_.node("Add", {scaled, out_.initializer(name + "/shift", {channels}, shift)},
              {define(op, Layout::kNhwc)}, name);
  }

  void reshape(const ir::Op& op, const std::string& name) {
    const ir::ValueId in = op.inputs[0], out = op.output();
    // The source in Keras's element order: NCHW serves when both orders hold the same bytes.
    const bool nchw_in = rank(in) == 4 && tensors_[in].nhwc.empty() && orders_coincide(dims(in));
    const std::string x = nchw_in ? tensors_[in].nchw : get(in, Layout::kNhwc);
    // The result in NCHW when that costs nothing (a (N, C) vector back to (N, 1, 1, C)).
    const bool nchw_out = rank(out) == 4 && orders_coincide(dims(out));
    const std::vector<int64_t> target = nchw_out ? to_nchw(dims(out)) : dims(out);
    const Layout layout = nchw_out ? Layout::kNchw : Layout::kNhwc;
    // The batch copied (0) keeps a dynamic batch; a view merging the batch with other axes
    // (GroupNormalization's rows of (sample, group)) infers it (-1) from the other, fixed sizes instead.
    std::string shape;
    if (dims(out)[0] == dims(in)[0]) {
      shape = out_.shape_constant(name, target);
    } else {
      std::vector<int64_t> inferred = target;
      inferred[0] = -1;
      shape = out_.int64_initializer(name + "/shape", inferred);
    }
    out_.node("Reshape", {x, shape}, {define(op, layout)}, name);
  }

  void concat(const ir::Op& op, const ir::ConcatOp& c, const std::string& name) {
    const Layout layout = agnostic_layout(op);
    std::vector<std::string> inputs;
    for (ir::ValueId v : op.inputs) inputs.push_back(get(v, layout));
    // Keras's axes 1, 2, 3 (H, W, C) are NCHW's 2, 3, 1.
    int64_t axis = c.axis;
    if (layout == Layout::kNchw) axis = c.axis == 3 ? 1 : c.axis + 1;
    OnnxGraph::attr(out_.node("Concat", inputs, {define(op, layout)}, name), "axis", axis);
  }

  void reduce(const ir::Op& op, const ir::ReduceOp& r, const std::string& name) {
    static const std::map<ir::ReduceOp::Kind, const char*> types = {{ir::ReduceOp::Kind::kSum, "ReduceSum"},
                                                                    {ir::ReduceOp::Kind::kMean, "ReduceMean"},
                                                                    {ir::ReduceOp::Kind::kMax, "ReduceMax"},
                                                                    {ir::ReduceOp::Kind::kMin, "ReduceMin"}};
    const std::string x = get(op.inputs[0], Layout::kNhwc);
    const std::vector<int64_t> axes(r.axes.begin(), r.axes.end());
    // ReduceSum takes its axes as an input from opset 13, the others from opset 18 (an attribute before).
    const bool axes_input = r.kind == ir::ReduceOp::Kind::kSum || opset_ >= 18;
    std::vector<std::string> inputs = {x};
    if (axes_input) inputs.push_back(out_.int64_initializer(name + "/axes", axes));
    onnx::NodeProto& n = out_.node(types.at(r.kind), inputs, {define(op, Layout::kNhwc)}, name);
    OnnxGraph::attr(n, "keepdims", int64_t{1});
    if (!axes_input) OnnxGraph::attr(n, "axes", axes);
  }

  // Over the last axis: ONNX's LayerNormalization from opset 17, its definition spelled out before.
  void layer_norm(const ir::Op& op, const ir::LayerNormOp& l, const std::string& name) {
    const std::string x = get(op.inputs[0], Layout::kNhwc);
    const int64_t width = dims(op.inputs[0]).back();
    const std::vector<float> ones(static_cast<size_t>(width), 1.0f), zeros(static_cast<size_t>(width), 0.0f);
    auto values = [](const std::shared_ptr<const Tensor>& t, const std::vector<float>& fill) {
      return t ? std::vector<float>(t->data(), t->data() + t->size()) : fill;
    };
    const std::string gamma = out_.initializer(name + "/gamma", {width}, values(l.gamma, ones));
    const std::string beta = out_.initializer(name + "/beta", {width}, values(l.beta, zeros));
    const std::string out = define(op, Layout::kNhwc);
    if (opset_ >= 17) {
      onnx::NodeProto& n = out_.node("LayerNormalization", {x, gamma, beta}, {out}, name);
      OnnxGraph::attr(n, "axis", int64_t{-1});
      OnnxGraph::attr(n, "epsilon", l.epsilon);
      return;
    }
    const std::vector<int64_t> last = {static_cast<int64_t>(rank(op.inputs[0])) - 1};
    auto mean_of = [&](const std::string& v, const std::string& tag) {
      const std::string m = out_.unique(out + "/" + tag);
      onnx::NodeProto& n = out_.node("ReduceMean", {v}, {m}, name + "/" + tag);
      OnnxGraph::attr(n, "axes", last);
      OnnxGraph::attr(n, "keepdims", int64_t{1});
      return m;
    };
    const std::string centred = out_.unique(out + "/centred"), square = out_.unique(out + "/square"),
                      shifted = out_.unique(out + "/var_eps"), root = out_.unique(out + "/std"),
                      normed = out_.unique(out + "/normed"), scaled = out_.unique(out + "/scaled");
    out_.node("Sub", {x, mean_of(x, "mean")}, {centred}, name + "/centred");
    out_.node("Mul", {centred, centred}, {square}, name + "/square");
    out_.node("Add", {mean_of(square, "variance"), out_.scalar(l.epsilon)}, {shifted}, name + "/var_eps");
    out_.node("Sqrt", {shifted}, {root}, name + "/std");
    out_.node("Div", {centred, root}, {normed}, name + "/normed");
    out_.node("Mul", {normed, gamma}, {scaled}, name + "/scaled");
    out_.node("Add", {scaled, beta}, {out}, name);
  }

  void transpose(const ir::Op& op, const ir::TransposeOp& t, const std::string& name) {
    const std::string x = get(op.inputs[0], Layout::kNhwc);
    const std::vector<int64_t> perm(t.perm.begin(), t.perm.end());
    OnnxGraph::attr(out_.node("Transpose", {x}, {define(op, Layout::kNhwc)}, name), "perm", perm);
  }

  const ir::Graph& ir_;
  int opset_;
  std::vector<Tensors> tensors_;
  std::vector<std::optional<Layout>> preferred_;
  std::vector<std::vector<int>> readers_;
  OnnxGraph out_;
};

}  // namespace strata::detail::onnx_export
