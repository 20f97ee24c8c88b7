#include "compiler/ir.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/overloaded.hpp"
#include "strata/error.hpp"

namespace strata::ir {

ValueId Graph::add_value(std::vector<int64_t> dims, std::string name) {
  values.push_back(Value{std::move(dims), std::move(name)});
  return static_cast<ValueId>(values.size() - 1);
}

int64_t element_size(DataType type) {
  switch (type) {
    case DataType::kBFloat16:
      return 2;
    case DataType::kInt64:
      return 8;
    case DataType::kBool:
      return 1;
    case DataType::kFloat32:
    case DataType::kInt32:
      break;
  }
  return 4;
}

DataType data_type_of(DType dtype) {
  switch (dtype) {
    case DType::kInt32:
      return DataType::kInt32;
    case DType::kInt64:
      return DataType::kInt64;
    case DType::kBool:
      return DataType::kBool;
    case DType::kFloat32:
      break;
  }
  return DataType::kFloat32;
}

DType tensor_dtype_of(DataType type) {
  switch (type) {
    case DataType::kInt32:
      return DType::kInt32;
    case DataType::kInt64:
      return DType::kInt64;
    case DataType::kFloat32:
      return DType::kFloat32;
    case DataType::kBool:
      return DType::kBool;
    case DataType::kBFloat16:
      break;
  }
  throw InternalError("ir: a bfloat16 value has no Tensor type");
}

int64_t Graph::bytes(ValueId v) const {
  int64_t n = element_size(values[v].dtype);
  const std::vector<int64_t>& dims = values[v].dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    const bool padded = values[v].layout == Layout::kBlocked16 && i + 1 == dims.size();
    n *= padded ? (dims[i] + kChannelBlock - 1) / kChannelBlock * kChannelBlock : dims[i];
  }
  return n;
}

std::vector<std::vector<int>> Graph::readers() const {
  std::vector<std::vector<int>> r(values.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    for (ValueId v : ops[i].inputs) r[v].push_back(static_cast<int>(i));
    for (const PostOp& p : ops[i].post_ops) {
      if (p.operand >= 0) r[p.operand].push_back(static_cast<int>(i));
    }
  }
  return r;
}

std::vector<int> Graph::producers() const {
  std::vector<int> p(values.size(), -1);
  for (size_t i = 0; i < ops.size(); ++i) {
    for (ValueId out : ops[i].outputs) p[out] = static_cast<int>(i);
  }
  return p;
}

bool Graph::is_output(ValueId v) const { return std::find(outputs.begin(), outputs.end(), v) != outputs.end(); }

ValueId Graph::buffer_root(ValueId v) const {
  while (values[v].in_place_of >= 0) v = values[v].in_place_of;
  return v;
}

SpatialPadding SpatialPadding::none(int rank) {
  return SpatialPadding{std::vector<int>(static_cast<size_t>(rank), 0),
                        std::vector<int>(static_cast<size_t>(rank), 0)};
}

bool SpatialPadding::is_zero() const {
  const auto zero = [](int p) { return p == 0; };
  return std::all_of(before.begin(), before.end(), zero) && std::all_of(after.begin(), after.end(), zero);
}

SpatialPadding& SpatialPadding::operator+=(const SpatialPadding& other) {
  if (other.rank() != rank())
    throw InternalError(fmt::format("ir: padding of {} axes plus {}", rank(), other.rank()));
  for (int a = 0; a < rank(); ++a) {
    before[a] += other.before[a];
    after[a] += other.after[a];
  }
  return *this;
}

Window Window::dense(std::vector<int> size) {
  const auto rank = static_cast<int>(size.size());
  const std::vector<int> ones(size.size(), 1);
  return Window{std::move(size), ones, ones, SpatialPadding::none(rank)};
}

std::array<int64_t, 5> as_volume(const std::vector<int64_t>& dims) {
  const size_t spatial = dims.size() - 2;
  if (dims.size() < 3 || spatial > kMaxSpatialRank) {
    throw InternalError(fmt::format("ir: {} dims for a windowed op", dims.size()));
  }
  std::array<int64_t, 5> v{dims.front(), 1, 1, 1, dims.back()};
  std::copy(dims.begin() + 1, dims.end() - 1, v.begin() + 1 + (kMaxSpatialRank - spatial));
  return v;
}

std::array<int, 3> as_volume(const std::vector<int>& per_axis, int fill) {
  if (per_axis.empty() || per_axis.size() > kMaxSpatialRank) {
    throw InternalError(fmt::format("ir: {} spatial axes", per_axis.size()));
  }
  std::array<int, 3> v{fill, fill, fill};
  std::copy(per_axis.begin(), per_axis.end(), v.begin() + (kMaxSpatialRank - per_axis.size()));
  return v;
}

std::shared_ptr<const Tensor> effective_kernel(const std::shared_ptr<const Tensor>& kernel,
                                               const std::shared_ptr<const Tensor>& scale) {
  if (!scale) return kernel;
  std::vector<float> values(static_cast<size_t>(kernel->size()));
  scale_kernel_into(*kernel, *scale, values.data());
  return std::make_shared<const Tensor>(kernel->dims(), std::move(values));
}

void scale_kernel_into(const Tensor& kernel, const Tensor& scale, float* out) {
  const size_t channels = static_cast<size_t>(kernel.dims().back());
  const size_t size = static_cast<size_t>(kernel.size());
  const float* s = scale.data();
  const float* in = kernel.data();
  // Row by row (the output channels are the last axis): one pass and no division per element. Measured on
  // a 2048x8192 kernel (a ConvNeXtXLarge Dense): 107-111 ms against 137 ms with an index modulo per element
  // after a copy; the page faults of the new buffer are most of either.
  for (size_t row = 0; row < size; row += channels) {
    for (size_t c = 0; c < channels; ++c) out[row + c] = in[row + c] * s[c];
  }
}

const ConvOp* fused_depthwise(const Op& op) {
  for (const PostOp& p : op.post_ops) {
    if (p.kind == PostOp::Kind::kDepthwise) return p.depthwise.get();
  }
  return nullptr;
}

namespace {

bool only_activations(const std::vector<PostOp>& chain) {
  return std::all_of(chain.begin(), chain.end(),
                     [](const PostOp& p) { return p.kind == PostOp::Kind::kActivation; });
}

}  // namespace

bool is_pointwise(const Op& op) {
  const auto* c = std::get_if<ConvOp>(&op.attrs);
  return c != nullptr && c->window.size == std::vector<int>{1, 1} &&
         c->window.strides == std::vector<int>{1, 1} && c->window.padding.is_zero() && c->groups == 1 &&
         c->algorithm == ConvOp::Algorithm::kDirect && only_activations(op.post_ops);
}

bool is_depthwise_3x3(const Graph& graph, const Op& op) {
  const auto* c = std::get_if<ConvOp>(&op.attrs);
  if (c == nullptr || c->window.size != std::vector<int>{3, 3}) return false;
  const auto& k = c->kernel->dims();  // (3, 3, 1, channels)
  const int64_t channels = graph.values[op.inputs[0]].dims.back();
  return k[2] == 1 && k[3] == channels && c->groups == channels &&
         c->window.dilations == std::vector<int>{1, 1} && only_activations(op.post_ops);
}

Op with_depthwise_post_op(const Op& pointwise, const Op& depthwise) {
  Op fused = pointwise;
  fused.post_ops.push_back(PostOp{
      PostOp::Kind::kDepthwise, {}, -1, std::make_shared<const ConvOp>(std::get<ConvOp>(depthwise.attrs))});
  fused.post_ops.insert(fused.post_ops.end(), depthwise.post_ops.begin(), depthwise.post_ops.end());
  fused.outputs = depthwise.outputs;
  fused.layers.insert(fused.layers.end(), depthwise.layers.begin(), depthwise.layers.end());
  return fused;
}

double op_flops(const Graph& graph, const Op& op) {
  const std::vector<int64_t>& out = graph.values[op.output()].dims;
  double out_elements = 1.0;
  for (int64_t d : out) out_elements *= static_cast<double>(d);
  // Multiply-accumulates count (2 FLOP each); every other op is memory traffic, reported as 0. Each kind
  // says so here: a new kind must decide.
  auto none = [](const auto&) { return 0.0; };
  return std::visit(
      detail::Overloaded{
          [&](const ConvOp& c) {
            // Multiply-accumulates per output element: the kernel's taps times its input channels per group.
            auto per_output = [](const Tensor& kernel) {
              return static_cast<double>(kernel.size() / kernel.dims().back());
            };
            if (const ConvOp* dw = fused_depthwise(op)) {
              // The op's output is the depthwise one; the 1x1 convolution before it ran on every input pixel.
              const auto& in = graph.values[op.inputs[0]].dims;
              const double pixels = static_cast<double>(element_count(in) / in.back());
              return 2.0 * out_elements * per_output(*dw->kernel) +
                     2.0 * pixels * static_cast<double>(c.kernel->size());
            }
            return 2.0 * out_elements * per_output(*c.kernel);
          },
          [&](const TransposedConvOp& t) {
            // Every input element meets every tap and output channel once (kernel: spatial..., out, in).
            const auto& in = graph.values[op.inputs[0]].dims;
            const double pixels = static_cast<double>(element_count(in) / in.back());
            return 2.0 * pixels * static_cast<double>(t.kernel->size());
          },
          [&](const DenseOp& d) { return 2.0 * out_elements * static_cast<double>(d.kernel->dims()[0]); },
          [&](const PoolOp& p) { return none(p); },
          [&](const ActivationOp& a) { return none(a); },
          [&](const BinaryOp& b) { return none(b); },
          [&](const ElementwiseOp& e) { return none(e); },
          [&](const GatherOp& g) { return none(g); },
          [&](const OneHotOp& o) { return none(o); },
          [&](const ConstantOp& c) { return none(c); },
          [&](const RecurrentOp& r) {
            // Per step and sample: the input's and the state's projections, per direction.
            const auto& in = graph.values[op.inputs[0]].dims;
            const double rows = static_cast<double>(in[0] * in[1]);
            const double per = static_cast<double>(r.kernel->size() + r.recurrent_kernel->size());
            return 2.0 * rows * per * (r.backward ? 2.0 : 1.0);
          },
          [&](const SoftmaxOp& s) { return none(s); },
          [&](const PReluOp& p) { return none(p); },
          [&](const BatchNormOp& b) { return none(b); },
          [&](const LayerNormOp& l) { return none(l); },
          [&](const MatMulOp&) {
            // Every output element is a dot product over the shared axis K.
            return 2.0 * out_elements * static_cast<double>(graph.values[op.inputs[0]].dims.back());
          },
          [&](const PadOp& p) { return none(p); },
          [&](const CropOp& c) { return none(c); },
          [&](const UpsampleOp& u) { return none(u); },
          [&](const ResizeOp& r) { return none(r); },
          [&](const ReshapeOp& r) { return none(r); },
          [&](const ConcatOp& c) { return none(c); },
          [&](const ReduceOp& r) { return none(r); },
          [&](const TransposeOp& t) { return none(t); },
          [&](const CustomOp& c) { return none(c); },  // its macs() feeds the summary, not the profile
          [&](const ConvertOp& c) { return none(c); },
      },
      op.attrs);
}

std::vector<RecurrentHalf> recurrent_halves(const Op& op) {
  const auto& r = std::get<RecurrentOp>(op.attrs);
  const size_t halves = r.backward ? 2 : 1;
  const size_t states = static_cast<size_t>(r.states());
  const size_t given = (op.inputs.size() - 1 - (r.masked ? 1 : 0)) / halves;  // 0 or states
  std::vector<RecurrentHalf> out;
  for (size_t h = 0; h < halves; ++h) {
    RecurrentHalf half;
    half.attrs = h == 0 ? &r : r.backward.get();
    half.sequence = op.inputs[0];
    if (r.masked) half.mask = op.inputs.back();
    half.initial.assign(op.inputs.begin() + 1 + static_cast<long>(h * given),
                        op.inputs.begin() + 1 + static_cast<long>((h + 1) * given));
    half.outputs.assign(op.outputs.begin() + static_cast<long>(h * (1 + states)),
                        op.outputs.begin() + static_cast<long>((h + 1) * (1 + states)));
    out.push_back(std::move(half));
  }
  return out;
}

std::vector<std::shared_ptr<const Tensor>> op_weights(const Op& op) {
  std::vector<std::shared_ptr<const Tensor>> weights;
  auto add = [&](std::initializer_list<std::shared_ptr<const Tensor>> ts) {
    for (const auto& t : ts) {
      if (t) weights.push_back(t);
    }
  };
  auto none = [](const auto&) {};
  // Every kind says which tensors it holds: a new kind with weights must list them.
  std::visit(detail::Overloaded{
                 [&](const ConvOp& c) {
                   add({c.kernel, c.bias, c.kernel_scale});
                 },
                 [&](const TransposedConvOp& t) {
                   add({t.kernel, t.bias});
                 },
                 [&](const DenseOp& d) {
                   add({d.kernel, d.bias, d.kernel_scale});
                 },
                 [&](const BatchNormOp& b) {
                   add({b.gamma, b.beta, b.mean, b.variance});
                 },
                 [&](const LayerNormOp& l) {
                   add({l.gamma, l.beta});
                 },
                 [&](const PReluOp& p) { add({p.alpha}); },
                 [&](const GatherOp& g) { add({g.table}); },
                 [&](const OneHotOp& o) { none(o); },
                 // Not a float32 weight: a mask or ids the layer made for the plan's shapes.
                 [&](const ConstantOp& c) { none(c); },
                 [&](const RecurrentOp& r) {
                   add({r.kernel, r.recurrent_kernel, r.bias});
                   if (r.backward) add({r.backward->kernel, r.backward->recurrent_kernel, r.backward->bias});
                 },
                 [&](const MatMulOp& m) { none(m); },
                 [&](const CustomOp& c) {
                   for (const auto& w : c.weights) add({w});
                 },
                 [&](const PoolOp& p) { none(p); },
                 [&](const ActivationOp& a) { none(a); },
                 [&](const BinaryOp& b) { none(b); },
                 [&](const ElementwiseOp& e) { none(e); },
                 [&](const SoftmaxOp& s) { none(s); },
                 [&](const PadOp& p) { none(p); },
                 [&](const CropOp& c) { none(c); },
                 [&](const UpsampleOp& u) { none(u); },
                 [&](const ResizeOp& r) { none(r); },
                 [&](const ReshapeOp& r) { none(r); },
                 [&](const ConcatOp& c) { none(c); },
                 [&](const ReduceOp& r) { none(r); },
                 [&](const TransposeOp& t) { none(t); },
                 [&](const ConvertOp& c) { none(c); },
             },
             op.attrs);
  if (const ConvOp* dw = fused_depthwise(op)) add({dw->kernel, dw->bias, dw->kernel_scale});
  return weights;
}

std::string op_kind_name(const Op& op) {
  struct Visitor {
    std::string operator()(const ConvOp&) const { return "conv"; }
    std::string operator()(const TransposedConvOp&) const { return "conv_transpose"; }
    std::string operator()(const PoolOp& p) const {
      // A one-cell max pooling with a stride copies every stride-th cell (subsample_strided_pointwise makes
      // them; a whole-map average of a 1x1 map stays avg_pool).
      const auto one = [](int s) { return s == 1; };
      const bool one_cell = std::all_of(p.window.size.begin(), p.window.size.end(), one);
      const bool strided = !std::all_of(p.window.strides.begin(), p.window.strides.end(), one);
      if (p.kind == PoolOp::Kind::kMax && one_cell && strided && p.window.padding.is_zero())
        return "subsample";
      return p.kind == PoolOp::Kind::kMax ? "max_pool" : "avg_pool";
    }
    std::string operator()(const ActivationOp& a) const { return detail::activation_name(a.activation); }
    std::string operator()(const BinaryOp& b) const { return binary_name(b.kind); }
    std::string operator()(const ElementwiseOp& e) const { return elementwise_name(e.kind); }
    std::string operator()(const GatherOp&) const { return "gather"; }
    std::string operator()(const OneHotOp& o) const {
      switch (o.mode) {
        case OneHotOp::Mode::kMultiHot:
          return "multi_hot";
        case OneHotOp::Mode::kCount:
          return "count";
        case OneHotOp::Mode::kOneHot:
          break;
      }
      return "one_hot";
    }
    std::string operator()(const ConstantOp&) const { return "constant"; }
    std::string operator()(const RecurrentOp& r) const {
      const char* prefix = r.backward ? "bidirectional_" : "";
      switch (r.cell) {
        case RecurrentOp::Cell::kSimple:
          return std::string(prefix) + "simple_rnn";
        case RecurrentOp::Cell::kGru:
          return std::string(prefix) + "gru";
        case RecurrentOp::Cell::kLstm:
          return std::string(prefix) + "lstm";
      }
      return "rnn";
    }
    std::string operator()(const SoftmaxOp& s) const { return s.log ? "log_softmax" : "softmax"; }
    std::string operator()(const DenseOp&) const { return "dense"; }
    std::string operator()(const BatchNormOp&) const { return "batch_norm"; }
    std::string operator()(const LayerNormOp&) const { return "layer_norm"; }
    std::string operator()(const PReluOp&) const { return "prelu"; }
    std::string operator()(const MatMulOp&) const { return "matmul"; }
    std::string operator()(const PadOp&) const { return "zero_pad"; }
    std::string operator()(const CropOp&) const { return "crop"; }
    std::string operator()(const UpsampleOp&) const { return "upsample"; }
    std::string operator()(const ResizeOp& r) const {
      return r.kind == ResizeOp::Kind::kLinear ? "resize_bilinear" : "resize_nearest";
    }
    std::string operator()(const ReshapeOp&) const { return "reshape"; }
    std::string operator()(const ConcatOp&) const { return "concat"; }
    std::string operator()(const ReduceOp& r) const {
      switch (r.kind) {
        case ReduceOp::Kind::kSum:
          return "reduce_sum";
        case ReduceOp::Kind::kMean:
          return "reduce_mean";
        case ReduceOp::Kind::kMax:
          return "reduce_max";
        case ReduceOp::Kind::kMin:
          return "reduce_min";
      }
      return "reduce";
    }
    std::string operator()(const TransposeOp&) const { return "transpose"; }
    std::string operator()(const CustomOp& c) const { return "custom:" + c.definition->class_name(); }
    std::string operator()(const ConvertOp&) const { return "convert"; }
  };
  return std::visit(Visitor{}, op.attrs);
}

std::string post_op_chain(const Graph&, const Op& op) {
  std::string chain = op_kind_name(op);
  for (const PostOp& p : op.post_ops) {
    chain += " + ";
    switch (p.kind) {
      case PostOp::Kind::kSum:
        chain += "sum";
        break;
      case PostOp::Kind::kDepthwise:
        chain += "depthwise";
        break;
      case PostOp::Kind::kBinary:
        chain += binary_name(p.binary);
        break;
      case PostOp::Kind::kActivation:
        chain += detail::activation_name(p.activation);
        break;
    }
  }
  return chain;
}

namespace {

std::string dims_text(const std::vector<int64_t>& dims) { return fmt::format("{}", fmt::join(dims, "x")); }

std::string value_text(const Value& v) {
  const char* type = v.dtype == DataType::kBFloat16 ? " bf16"
                     : v.dtype == DataType::kInt32  ? " i32"
                     : v.dtype == DataType::kInt64  ? " i64"
                                                    : "";
  return dims_text(v.dims) + type + (v.layout == Layout::kBlocked16 ? " blocked16" : "");
}

std::string attrs_text(const Op& op) {
  // Per axis joined by "x" (k=3x3), and padding as [before, after] per axis in turn: [top,bottom,left,right].
  auto axes = [](const std::vector<int>& v) { return fmt::format("{}", fmt::join(v, "x")); };
  auto padding = [](const SpatialPadding& p) {
    std::vector<int> sides;
    for (int a = 0; a < p.rank(); ++a) {
      sides.push_back(p.before[a]);
      sides.push_back(p.after[a]);
    }
    return fmt::format("[{}]", fmt::join(sides, ","));
  };
  auto nothing = [](const auto&) { return std::string(); };
  return std::visit(detail::Overloaded{
                        [&](const ConvOp& c) {
                          return fmt::format("k={} s={} d={} pad={} g={}{}{}{}", axes(c.window.size),
                                             axes(c.window.strides), axes(c.window.dilations),
                                             padding(c.window.padding), c.groups, c.bias ? " bias" : "",
                                             c.kernel_scale ? " scaled" : "",
                                             c.algorithm == ConvOp::Algorithm::kWinograd ? " winograd" : "");
                        },
                        [&](const TransposedConvOp& t) {
                          return fmt::format("k={} s={} d={} pad={}{}", axes(t.window.size),
                                             axes(t.window.strides), axes(t.window.dilations),
                                             padding(t.window.padding), t.bias ? " bias" : "");
                        },
                        [&](const PoolOp& p) {
                          return fmt::format("k={} s={} pad={}", axes(p.window.size), axes(p.window.strides),
                                             padding(p.window.padding));
                        },
                        [&](const PadOp& p) { return "pad=" + padding(p.padding); },
                        [&](const CropOp& c) { return "crop=" + padding(c.cropping); },
                        [&](const ConcatOp& c) { return fmt::format("axis={}", c.axis); },
                        [&](const ReduceOp& r) { return "axes=" + axes(r.axes); },
                        [&](const TransposeOp& t) { return "perm=" + axes(t.perm); },
                        [&](const BatchNormOp& b) { return fmt::format("eps={}", b.epsilon); },
                        [&](const LayerNormOp& l) { return fmt::format("eps={}", l.epsilon); },
                        [&](const MatMulOp& m) { return nothing(m); },
                        // The kind's name (op_kind_name) says all there is about these.
                        [&](const UpsampleOp& u) { return nothing(u); },
                        [&](const ResizeOp& r) { return nothing(r); },
                        [&](const ActivationOp& a) { return nothing(a); },
                        [&](const BinaryOp& b) { return nothing(b); },
                        [&](const ElementwiseOp& e) {
                          std::string text;
                          for (const ElementwiseOp::Number& n : e.numbers) {
                            text += fmt::format("{}x{}={}", text.empty() ? "" : " ", n.at + 1, n.value);
                          }
                          return text;
                        },
                        [&](const GatherOp& g) { return nothing(g); },
                        [&](const OneHotOp& o) { return fmt::format("depth={}", o.depth); },
                        [&](const ConstantOp& c) { return nothing(c); },
                        [&](const RecurrentOp& r) {
                          std::string text = fmt::format("units={}", r.recurrent_kernel->dims()[0]);
                          if (r.backwards) text += r.aligned ? " backward" : " go_backwards";
                          if (r.cell == RecurrentOp::Cell::kGru && !r.reset_after) text += " reset_before";
                          return text;
                        },
                        [&](const SoftmaxOp& s) {
                          return s.axis == -1 ? nothing(s) : fmt::format("axis={}", s.axis);
                        },
                        [&](const PReluOp& p) { return nothing(p); },
                        [&](const DenseOp& d) { return nothing(d); },
                        [&](const ReshapeOp& r) { return nothing(r); },
                        [&](const CustomOp& c) { return nothing(c); },
                        [&](const ConvertOp& c) { return nothing(c); },
                    },
                    op.attrs);
}

}  // namespace

std::string Graph::to_string() const {
  std::string text;
  for (ValueId v : inputs) {
    text += fmt::format("  input %{} {} {}\n", v, values[v].name, value_text(values[v]));
  }
  for (const Op& op : ops) {
    std::vector<std::string> ins;
    for (ValueId v : op.inputs) ins.push_back(fmt::format("%{}", v));
    for (const PostOp& p : op.post_ops) {
      if (p.operand >= 0) {
        ins.push_back(
            fmt::format("{}:%{}", p.kind == PostOp::Kind::kSum ? "sum" : binary_name(p.binary), p.operand));
      }
    }
    // "%3 8x30x30x64", or "%3 2x4, %4 2x5" for an op of several outputs.
    std::vector<std::string> outs;
    for (ValueId v : op.outputs) outs.push_back(fmt::format("%{} {}", v, value_text(values[v])));
    const Value& out = values[op.output()];
    std::string in_place = out.in_place_of >= 0 ? fmt::format(" (in place of %{})", out.in_place_of) : "";
    text += fmt::format("  {} = {}({}) {} [{}]{}\n", fmt::join(outs, ", "), post_op_chain(*this, op),
                        fmt::join(ins, ", "), attrs_text(op), fmt::join(op.layers, ", "), in_place);
  }
  std::vector<std::string> outs;
  for (ValueId v : outputs) outs.push_back(fmt::format("%{}", v));
  text += fmt::format("  outputs {}\n", fmt::join(outs, ", "));
  return text;
}

DataType elementwise_number_type(const ElementwiseOp& op, int at, DataType operands, DataType output) {
  switch (op.kind) {
    case ElementwiseOp::Kind::kWhere:
      return at == 0 ? DataType::kBool : output;
    case ElementwiseOp::Kind::kLogicalAnd:
    case ElementwiseOp::Kind::kLogicalOr:
    case ElementwiseOp::Kind::kLogicalNot:
      return DataType::kBool;
    default:
      return operands;
  }
}

std::string elementwise_name(ElementwiseOp::Kind kind) {
  using K = ElementwiseOp::Kind;
  switch (kind) {
    case K::kCast:
      return "cast";
    case K::kAdd:
      return "add";
    case K::kSubtract:
      return "subtract";
    case K::kMultiply:
      return "multiply";
    case K::kMaximum:
      return "maximum";
    case K::kMinimum:
      return "minimum";
    case K::kNegative:
      return "negative";
    case K::kAbsolute:
      return "absolute";
    case K::kSquare:
      return "square";
    case K::kEqual:
      return "equal";
    case K::kNotEqual:
      return "not_equal";
    case K::kLess:
      return "less";
    case K::kLessEqual:
      return "less_equal";
    case K::kGreater:
      return "greater";
    case K::kGreaterEqual:
      return "greater_equal";
    case K::kLogicalAnd:
      return "logical_and";
    case K::kLogicalOr:
      return "logical_or";
    case K::kLogicalNot:
      return "logical_not";
    case K::kWhere:
      return "where";
  }
  return "elementwise";
}

float apply_binary(BinaryOp::Kind kind, float x, float y) {
  switch (kind) {
    case BinaryOp::Kind::kAdd:
      return x + y;
    case BinaryOp::Kind::kSubtract:
      return x - y;
    case BinaryOp::Kind::kMultiply:
      return x * y;
    case BinaryOp::Kind::kDivide:
      return x / y;
    case BinaryOp::Kind::kMaximum:
      return std::isnan(x) || std::isnan(y) ? x + y : std::max(x, y);
    case BinaryOp::Kind::kMinimum:
      return std::isnan(x) || std::isnan(y) ? x + y : std::min(x, y);
    case BinaryOp::Kind::kPower:
      return std::pow(x, y);
  }
  return 0.0f;
}

const char* binary_name(BinaryOp::Kind kind) {
  switch (kind) {
    case BinaryOp::Kind::kAdd:
      return "add";
    case BinaryOp::Kind::kSubtract:
      return "subtract";
    case BinaryOp::Kind::kMultiply:
      return "multiply";
    case BinaryOp::Kind::kDivide:
      return "divide";
    case BinaryOp::Kind::kMaximum:
      return "maximum";
    case BinaryOp::Kind::kMinimum:
      return "minimum";
    case BinaryOp::Kind::kPower:
      return "power";
  }
  return "binary";
}

}  // namespace strata::ir
