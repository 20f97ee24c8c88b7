// The convolution family: a convolution op over 1 to 3 spatial axes (grouped, depthwise; for images also
// Winograd and a fused depthwise post-op) as one oneDNN convolution, and the rules the compiler asks before
// choosing Winograd, blocked layouts or the depthwise fusion.

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "backend/onednn/convolution_rules.hpp"
#include "backend/onednn/plan_builder.hpp"
#include "backend/onednn/post_op_rules.hpp"
#include "backend/pool_kernel.hpp"
#include "compiler/passes/passes.hpp"

namespace strata::onednn {

namespace {

// Logical weight dims of a convolution: (OC, IC, spatial...), or (G, OC/G, IC/G, spatial...) when grouped.
memory::dims conv_weight_dims(const ir::ConvOp& c) {
  const auto& k = c.kernel->dims();  // (spatial..., IC/G, OC)
  const size_t rank = k.size();
  const int64_t oc = k[rank - 1], icg = k[rank - 2], g = c.groups;
  memory::dims dims = g == 1 ? memory::dims{oc, icg} : memory::dims{g, oc / g, icg};
  dims.insert(dims.end(), k.begin(), k.end() - 2);
  return dims;
}

// Keras's kernel layout (spatial..., IC/G, OC) as oneDNN's tag for conv_weight_dims: hwio, or hwigo when
// grouped (and wio/wigo, dhwio/dhwigo for one and three spatial axes).
tag keras_kernel_tag(const ir::ConvOp& c) {
  const bool grouped = c.groups != 1;
  switch (c.window.rank()) {
    case 1:
      return grouped ? tag::wigo : tag::wio;
    case 2:
      return grouped ? tag::hwigo : tag::hwio;
    default:
      return grouped ? tag::dhwigo : tag::dhwio;
  }
}

// The primitive descriptor of a convolution op, with the algorithm and the value layouts the IR gives it.
// Throws dnnl::error when oneDNN has no implementation for it.
dnnl::convolution_forward::primitive_desc conv_primitive_desc(const ir::Graph& graph, const ir::Op& op,
                                                              const ir::ConvOp& c,
                                                              const dnnl::engine& engine) {
  const memory::desc src = value_desc(graph, op.inputs[0]);
  // With a fused depthwise convolution the op's output is the depthwise one; the 1x1 convolution described
  // here writes its input's size (oneDNN derives the fused destination itself).
  std::vector<int64_t> dst_dims = graph.values[op.output()].dims;
  if (ir::fused_depthwise(op) != nullptr) {
    dst_dims = graph.values[op.inputs[0]].dims;
    dst_dims.back() = c.kernel->dims().back();
  }
  const memory::desc dst =
      value_desc(dst_dims, graph.values[op.output()].dtype, graph.values[op.output()].layout);
  // Weights take the activations' type (bfloat16 weights for a bfloat16 convolution); the bias stays float32.
  const memory::desc weights_any(conv_weight_dims(c), src.data_type(), tag::any);
  const memory::desc bias_desc =
      c.bias ? memory::desc({c.kernel->dims().back()}, memory::data_type::f32, tag::a) : memory::desc();
  const memory::dims strides = window_dims(c.window.strides);
  const memory::dims dilates = window_dims(c.window.dilations, -1);
  const memory::dims pad_l = window_dims(c.window.padding.before),
                     pad_r = window_dims(c.window.padding.after);
  const auto algorithm = c.algorithm == ir::ConvOp::Algorithm::kWinograd
                             ? dnnl::algorithm::convolution_winograd
                             : dnnl::algorithm::convolution_direct;
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src, weights_any,
                                       bias_desc, dst, strides, dilates, pad_l, pad_r);
  return dnnl::convolution_forward::primitive_desc(
      desc, attributes(op, graph.values[op.output()].dtype, &graph), engine);
}

}  // namespace

// The step of a convolution primitive: it must read and write the layouts the plan gave its values; the
// post-ops' operands are read beside its source.
Step PlanBuilder::conv_step(const ir::Op& op, const dnnl::convolution_forward::primitive_desc& pd) {
  const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output());
  check_layout(pd.src_desc(), src, op, "source");
  check_layout(pd.dst_desc(), dst, op, "destination");
  Step step;
  step.primitive = dnnl::convolution_forward(pd);
  step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output(), dst}};
  for (const PostOpOperand& operand : post_op_operands(graph_, op)) {
    step.activations.push_back({operand.arg, operand.value, operand.desc});
  }
  return step;
}

void PlanBuilder::add_conv(const ir::Op& op, const ir::ConvOp& c) {
  const dnnl::convolution_forward::primitive_desc pd = conv_primitive_desc(graph_, op, c, engine_);
  Step step = conv_step(op, pd);
  // Keras's HWIO kernel, viewed with oneDNN's logical dims, then reordered once into the layout the
  // primitive chose.
  const memory::desc keras_weights(conv_weight_dims(c), memory::data_type::f32, keras_kernel_tag(c));
  step.constants.emplace_back(DNNL_ARG_WEIGHTS,
                              reorder_constant(c.kernel, keras_weights, pd.weights_desc(), c.kernel_scale));
  if (c.bias) {
    const memory::desc bias_desc({c.kernel->dims().back()}, memory::data_type::f32, tag::a);
    step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(c.bias, bias_desc, pd.bias_desc()));
  }
  if (const ir::ConvOp* dw = ir::fused_depthwise(op)) {
    // Keras's (3, 3, 1, C) depthwise kernel is oneDNN's grouped (C, 1, 1, 3, 3) in the hwigo layout, also
    // for one channel, where the IR's convolution has groups = 1 (random graph seed 1454).
    constexpr int kWeights = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS,
                  kBias = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS;
    const memory::desc keras_dw({dw->kernel->dims()[3], 1, 1, 3, 3}, memory::data_type::f32, tag::hwigo);
    step.constants.emplace_back(
        kWeights, reorder_constant(dw->kernel, keras_dw, pd.query_md(dnnl::query::exec_arg_md, kWeights),
                                   dw->kernel_scale));
    if (dw->bias) {
      const memory::desc bias_desc({dw->kernel->dims()[3]}, memory::data_type::f32, tag::a);
      step.constants.emplace_back(
          kBias, reorder_constant(dw->bias, bias_desc, pd.query_md(dnnl::query::exec_arg_md, kBias)));
    }
  }
  finish_step(step, pd, op,
              fmt::format("{} -> {}; {}", layout_name(pd.src_desc()), layout_name(pd.dst_desc()),
                          layout_name(pd.weights_desc())));
}

// Dense on an NHWC map (ConvNeXt's pointwise layers) as the 1x1 convolution it equals: oneDNN's 1x1 kernels
// apply the post-ops (gelu, a residual sum) to each block of results in registers, where the inner product's
// gemm writes its whole result and then passes over it again. Measured on ConvNeXtTiny at batch 1 on an AMD
// EPYC Zen 3 (AVX2), runs alternating: 151-161 ms against 169-191 ms as inner products on one thread, 77-90
// against 99-109 ms on two. Returns false, adding no step, when oneDNN has only its reference kernel for it.
// The kernel is Keras's (in, out), which is hwio for a 1x1 window: the reorder reads it as it is, with no
// transposed copy first.
bool PlanBuilder::add_dense_as_conv(const ir::Op& op, const ir::DenseOp& d) {
  const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output());
  const int64_t in = d.kernel->dims()[0], out = d.kernel->dims()[1];
  const memory::desc weights_any({out, in, 1, 1}, src.data_type(), tag::any);
  const memory::desc bias_desc =
      d.bias ? memory::desc({out}, memory::data_type::f32, tag::a) : memory::desc();
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src, weights_any, bias_desc, dst,
                                       {1, 1}, {0, 0}, {0, 0}, {0, 0});
  const dnnl::convolution_forward::primitive_desc pd(
      desc, attributes(op, graph_.values[op.output()].dtype, &graph_), engine_);
  // A CPU, type or post-op chain without a jit 1x1 kernel: the inner product (which takes the same post-ops,
  // the sum included) is the faster of the two there.
  if (std::string_view(pd.impl_info_str()).rfind("ref", 0) == 0) return false;
  Step step = conv_step(op, pd);
  const memory::desc keras_weights({out, in, 1, 1}, memory::data_type::f32, tag::hwio);
  step.constants.emplace_back(DNNL_ARG_WEIGHTS,
                              reorder_constant(d.kernel, keras_weights, pd.weights_desc(), d.kernel_scale));
  if (d.bias) step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(d.bias, bias_desc, pd.bias_desc()));
  finish_step(step, pd, op,
              fmt::format("{} -> {}; {}", layout_name(pd.src_desc()), layout_name(pd.dst_desc()),
                          layout_name(pd.weights_desc())));
  return true;
}

}  // namespace strata::onednn

namespace strata::detail {

namespace {

// The primitive descriptor `op` (a convolution) would get with its input and output in the blocked layout,
// or nothing when oneDNN has no kernel for it on this CPU: what the Winograd and depthwise-fusion checks ask.
std::optional<dnnl::convolution_forward::primitive_desc> blocked_conv_primitive_desc(const ir::Graph& graph,
                                                                                     ir::Op op) {
  ir::Graph probe;
  probe.values = {graph.values[op.inputs[0]], graph.values[op.output()]};
  for (ir::Value& v : probe.values) v.layout = ir::Layout::kBlocked16;
  op.inputs = {0};
  op.outputs = {1};
  // A binary post-op's operand keeps its own layout.
  for (ir::PostOp& p : op.post_ops) {
    if (p.kind != ir::PostOp::Kind::kBinary) continue;
    probe.values.push_back(graph.values[p.operand]);
    p.operand = static_cast<ir::ValueId>(probe.values.size() - 1);
  }
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  try {
    return onednn::conv_primitive_desc(probe, op, std::get<ir::ConvOp>(op.attrs), engine);
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

// Whether `pd` reads `in` and writes `out` in the blocked layout as given (no layout of its own choosing).
bool keeps_blocked_layouts(const dnnl::convolution_forward::primitive_desc& pd, const ir::Value& in,
                           const ir::Value& out) {
  ir::Graph blocked;
  blocked.values = {in, out};
  for (ir::Value& v : blocked.values) v.layout = ir::Layout::kBlocked16;
  return pd.src_desc() == onednn::value_desc(blocked, 0) && pd.dst_desc() == onednn::value_desc(blocked, 1);
}

}  // namespace

bool onednn_prefers_winograd(const ir::Graph& graph, const ir::Op& op) {
  const auto* c = std::get_if<ir::ConvOp>(&op.attrs);
  if (c == nullptr || c->window.rank() != 2) return false;
  const auto& k = c->kernel->dims();  // (KH, KW, IC/G, OC)
  const std::vector<int64_t>& out = graph.values[op.output()].dims;
  // Measured on oneDNN 2.6 (avx512_core, 1 thread, layout conversions included, docs/performance.md): the
  // Winograd kernels take 0.34-0.79x the direct time from 32 channels in and out and a 4x4 output up, and
  // lose below that (3.5x slower with 3 input channels, 2.6x on a 2x2 output, whose transformed weights are
  // read whole). A convolution with a fused residual add stays direct: the rule was measured without one.
  const std::vector<int> ones{1, 1};
  const bool shape_pays = k[0] == 3 && k[1] == 3 && c->window.strides == ones &&
                          c->window.dilations == ones && c->groups == 1 && k[2] >= 32 && k[3] >= 32 &&
                          out[1] >= 4 && out[2] >= 4;
  if (!shape_pays || graph.values[op.inputs[0]].dtype != ir::DataType::kFloat32 ||
      graph.values[op.output()].dtype != ir::DataType::kFloat32) {
    return false;
  }
  for (const ir::PostOp& p : op.post_ops) {
    if (p.kind == ir::PostOp::Kind::kSum || p.kind == ir::PostOp::Kind::kBinary) return false;
  }
  // Whether oneDNN has a Winograd kernel for it, with these post-ops, on this CPU.
  ir::Op winograd = op;
  std::get<ir::ConvOp>(winograd.attrs).algorithm = ir::ConvOp::Algorithm::kWinograd;
  return blocked_conv_primitive_desc(graph, winograd).has_value();
}

bool onednn_runs_blocked(const ir::Graph& graph, const ir::Op& op) {
  const auto* c = std::get_if<ir::ConvOp>(&op.attrs);
  if (c == nullptr || c->window.rank() != 2 || c->algorithm != ir::ConvOp::Algorithm::kDirect ||
      graph.values[op.inputs[0]].dtype != ir::DataType::kFloat32 ||
      graph.values[op.output()].dtype != ir::DataType::kFloat32) {
    return false;
  }
  // Measured on oneDNN 2.6 (avx512_core, 1 thread): in nChw16c the direct kernels (jit_1x1, jit_dw) run
  // MobileNetV2's depthwise convolutions in 0.5-0.9x the time of the NHWC ones (brdgmm_dw) and its narrow
  // projections (to 16-32 channels) in 0.5-0.7x; ResNet50's and MobileNetV2's other 1x1 shapes within 3%
  // either way, except an expansion from 24 channels (1.15-1.25x). Only a real kernel counts: a ref:
  // implementation would be hundreds of times slower.
  const auto pd = blocked_conv_primitive_desc(graph, op);
  return pd && std::string(pd->impl_info_str()).rfind("ref", 0) != 0 &&
         keeps_blocked_layouts(*pd, graph.values[op.inputs[0]], graph.values[op.output()]);
}

bool onednn_fuses_binary(const ir::Graph& graph, const ir::Op& fused, int threads) {
  // Measured on oneDNN 2.6 (avx512_core, whole passes of a 1x1 convolution, a per-channel multiply and a
  // relu, alternately fused and apart): on 1 thread the fused step takes 0.83x the two steps' time at
  // 112x112x32, 0.93x at 56x56x64, 0.97-1.0x from 28x28x128 down; on 2 threads 0.99-1.07x, never faster:
  // the post-op costs the convolution about what the separate step costs.
  if (threads != 1) return false;
  const auto* c = std::get_if<ir::ConvOp>(&fused.attrs);
  if (c == nullptr || !onednn_accepts_post_ops(fused.post_ops)) return false;
  // A Winograd convolution keeps its binary op apart: with the binary post-op it would run direct, 1.6-2.5x
  // slower for the 3x3 shapes that pick Winograd (measured, 1 thread), far more than the separate step's
  // 0.02-0.15 ms. (Also in a plan compiled with winograd = false, which this rule is not told of.)
  ir::Op unfused = fused;
  const auto binary = std::find_if(unfused.post_ops.begin(), unfused.post_ops.end(),
                                   [](const ir::PostOp& p) { return p.kind == ir::PostOp::Kind::kBinary; });
  unfused.post_ops.erase(binary, unfused.post_ops.end());
  if (onednn_prefers_winograd(graph, unfused)) return false;
  // In the layouts the IR gives it now (choose_layouts, later, keeps a chain blocked only where
  // onednn_runs_blocked finds a real kernel with these post-ops). Only a real kernel counts: oneDNN 2.6 falls
  // back to ref: convolutions for broadcasts its JIT injectors lack, hundreds of times slower than the
  // separate binary step.
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  try {
    const auto pd = onednn::conv_primitive_desc(graph, fused, *c, engine);
    return std::string(pd.impl_info_str()).rfind("ref", 0) != 0;
  } catch (const dnnl::error&) {
    return false;
  }
}

bool onednn_prefers_subsampling(const ir::Graph& graph, const ir::Op& op) {
  // The subsampling is strata's pooling loop (oneDNN's NHWC pooling would cost much of the gain).
  if (!ir::is_strided_pointwise(graph, op) || graph.values[op.inputs[0]].dtype != ir::DataType::kFloat32 ||
      graph.values[op.output()].dtype != ir::DataType::kFloat32 || !detail::pool_kernel_supported()) {
    return false;
  }
  // Measured on oneDNN 2.6 (AMD EPYC Zen 3, AVX2, 1 thread, with the residual sum post-op): Xception's
  // shortcuts from odd sizes run jit:avx2 at 20-36 GFLOP/s: 147x147x64 to 128 channels 1.80 ms strided
  // against 0.06 ms subsampling and 1.09 ms jit_1x1; 37x37x256 to 728: 5.47 against 0.02 + 2.67; 19x19x728
  // to 1024: 6.24 against 0.01 + 1.84 (2 threads alike). Where oneDNN already has jit_1x1 for the strided
  // convolution (even sizes: ResNet's shortcuts), the plan is left as it was measured.
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  const auto jit_1x1 = [](const dnnl::convolution_forward::primitive_desc& pd) {
    return std::string_view(pd.impl_info_str()).rfind("jit_1x1", 0) == 0;
  };
  try {
    const auto& c = std::get<ir::ConvOp>(op.attrs);
    if (jit_1x1(onednn::conv_primitive_desc(graph, op, c, engine))) return false;
    ir::Graph probe;
    probe.values = graph.values;
    std::vector<int64_t> dims = graph.values[op.output()].dims;
    dims.back() = graph.values[op.inputs[0]].dims.back();
    ir::Op unit = op;
    unit.inputs[0] = probe.add_value(dims, "subsampled");
    auto& unit_conv = std::get<ir::ConvOp>(unit.attrs);
    unit_conv.window.strides = {1, 1};
    return jit_1x1(onednn::conv_primitive_desc(probe, unit, unit_conv, engine));
  } catch (const dnnl::error&) {
    return false;
  }
}

namespace {

// STRATA_DEPTHWISE_FUSION: "always" fuses whatever oneDNN computes correctly, whatever its size (the random
// graphs are far too small to reach the size rule), "never" fuses nothing; unset or anything else: the rule.
enum class DepthwiseFusion { kBySize, kAlways, kNever };
DepthwiseFusion depthwise_fusion_switch() {
  const char* env = std::getenv("STRATA_DEPTHWISE_FUSION");
  if (env != nullptr && std::strcmp(env, "always") == 0) return DepthwiseFusion::kAlways;
  if (env != nullptr && std::strcmp(env, "never") == 0) return DepthwiseFusion::kNever;
  return DepthwiseFusion::kBySize;
}

// Whether the 1x1 convolution's input comes from a step that already holds a fused depthwise convolution
// (fuse_depthwise fuses pairs in order, so the pair before in a chain is fused by now).
bool input_from_fused_pair(const ir::Graph& graph, const ir::Op& pointwise) {
  for (const ir::Op& op : graph.ops) {
    if (op.output() == pointwise.inputs[0]) return ir::fused_depthwise(op) != nullptr;
  }
  return false;
}

// Whether the depthwise output goes on, alone, to another 1x1 convolution read only by a 3x3 depthwise one:
// the next pair of a chain.
bool output_to_pair(const ir::Graph& graph, const ir::Op& depthwise) {
  const std::vector<std::vector<int>> readers = graph.readers();
  const auto only_reader = [&](ir::ValueId v) -> const ir::Op* {
    if (readers[v].size() != 1 || graph.is_output(v)) return nullptr;
    return &graph.ops[static_cast<size_t>(readers[v].front())];
  };
  const ir::Op* next = only_reader(depthwise.output());
  if (next == nullptr || !ir::is_pointwise(*next)) return false;
  const ir::Op* after = only_reader(next->output());
  return after != nullptr && ir::is_depthwise_3x3(graph, *after);
}

}  // namespace

bool onednn_fuses_depthwise(const ir::Graph& graph, const ir::Op& pointwise, const ir::Op& depthwise) {
  const DepthwiseFusion mode = depthwise_fusion_switch();
  if (mode == DepthwiseFusion::kNever) return false;
  // Measured on oneDNN 2.6 (1 thread, MobileNetV2 at batch 8, in the whole pass): fusing saves writing and
  // reading the 1x1 result, and costs converting the 1x1's input and the depthwise output to and from the
  // blocked layout. Block 1 (38.5 MB expanded; 6.4 and 9.6 MB converted): 6.7 ms fused with its conversions
  // against 11.2 apart; block 3 (14.4 MB; 3.2 and 3.6 MB, stride 2): 3.7 against 4.4; block 2 (14.4 MB; 3.2
  // and 14.4 MB, stride 1): 6.3 against 6.2, nothing gained. Below 8 MiB it loses (every block at batch 1:
  // 6-16% slower). Hence: an expansion of 8 MiB or more and at least twice the bytes converted.
  // In a chain of depthwise separable blocks (MobileNet's dw -> 1x1 -> dw -> 1x1 ...) the fused steps hand
  // each other blocked tensors, so an end that meets another pair of the chain is counted as converting
  // nothing, and a pair counted so fuses at any size. The guess is structural: the next pair may still be
  // refused by its own checks (MobileNet's last pair at batch 8, which oneDNN only chains through a buffer),
  // and then this pair's output is converted once after all. Measured in the whole pass, MobileNet at batch
  // 8, 1 thread: 89.0 ms with this rule against 103.9 with every pair apart and 90.9-92.1 with every pair
  // forced; its 14x14x512 pairs 7.7 ms fused against 8.25 apart; batch 1: nothing fuses, as before.
  constexpr int64_t kMinBytes = int64_t{8} << 20;
  if (mode == DepthwiseFusion::kBySize) {
    ir::Graph blocked;
    blocked.values = {graph.values[pointwise.inputs[0]], graph.values[pointwise.output()],
                      graph.values[depthwise.output()]};
    for (ir::Value& v : blocked.values) v.layout = ir::Layout::kBlocked16;
    const int64_t expanded = blocked.bytes(1);
    const int64_t converted = (input_from_fused_pair(graph, pointwise) ? 0 : blocked.bytes(0)) +
                              (output_to_pair(graph, depthwise) ? 0 : blocked.bytes(2));
    if (converted > 0 && (expanded < kMinBytes || expanded < 2 * converted)) return false;
  }
  const auto& dw = std::get<ir::ConvOp>(depthwise.attrs);
  const std::vector<int64_t>& in = graph.values[depthwise.inputs[0]].dims;
  const std::vector<int64_t>& out = graph.values[depthwise.output()].dims;
  // oneDNN 2.6 computes the fused depthwise output as ceil(in / stride) with the given top/left padding and
  // whatever bottom/right padding that leaves (measured against explicit paddings: (0, 1) for stride 2 on an
  // even size, Keras's correct_pad; (1, 1) otherwise); any other padding would be silently different.
  const ir::Window& w = dw.window;
  const int64_t s = w.strides[0], pad = w.padding.before[0];
  auto implied_after = [&](int64_t size, int64_t out_size) { return (out_size - 1) * s + 3 - size - pad; };
  if (w.rank() != 2 || w.strides[1] != s || (s != 1 && s != 2) || w.padding.before[1] != pad ||
      (pad != 0 && pad != 1) || out[1] != (in[1] + s - 1) / s || out[2] != (in[2] + s - 1) / s ||
      w.padding.after[0] != implied_after(in[1], out[1]) ||
      w.padding.after[1] != implied_after(in[2], out[2])) {
    return false;
  }
  const ir::Op fused = ir::with_depthwise_post_op(pointwise, depthwise);
  if (!onednn_accepts_post_ops(fused.post_ops)) return false;
  // Whether oneDNN has a kernel for it on this CPU in the blocked layout. Not in NHWC: there oneDNN 2.6's
  // jit_1x1 kernel with a depthwise post-op computes wrong numbers from about 56x56 up (errors 0.1-19 against
  // the two convolutions run apart, and a crash at 56x56 from 24 to 144 channels), while in nChw16c it agrees
  // to 5e-6. Its ref_fused_convolution only chains the two kernels through a buffer, saving nothing, so only
  // the "always" switch (for tests of the fusion on small images, where oneDNN picks it) takes it.
  const auto pd = blocked_conv_primitive_desc(graph, fused);
  if (!pd) return false;
  const std::string impl = pd->impl_info_str();
  const bool reference = impl.rfind("ref:", 0) == 0;
  const bool chained = impl.rfind("ref_fused", 0) == 0;
  return keeps_blocked_layouts(*pd, graph.values[pointwise.inputs[0]], graph.values[depthwise.output()]) &&
         !reference && (!chained || mode == DepthwiseFusion::kAlways);
}

}  // namespace strata::detail
