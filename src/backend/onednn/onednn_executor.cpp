#include "backend/onednn/onednn_executor.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "backend/onednn/eltwise_mapping.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

// oneDNN orders image dims logically as (N, C, H, W); Keras's (N, H, W, C) is the `nhwc` layout of that.
memory::desc value_desc(const std::vector<int64_t>& keras_dims) {
  const memory::data_type f32 = memory::data_type::f32;
  switch (keras_dims.size()) {
    case 4:
      return memory::desc({keras_dims[0], keras_dims[3], keras_dims[1], keras_dims[2]}, f32, tag::nhwc);
    case 3:
      return memory::desc({keras_dims[0], keras_dims[2], keras_dims[1]}, f32, tag::nwc);
    case 2:
      return memory::desc({keras_dims[0], keras_dims[1]}, f32, tag::ab);
    case 1:
      return memory::desc({keras_dims[0]}, f32, tag::a);
    default:
      throw InternalError(fmt::format("onednn: no layout for rank {}", keras_dims.size()));
  }
}

// Keras dims padded with leading 1s to `rank`, for broadcasting operands.
std::vector<int64_t> padded(std::vector<int64_t> dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

// oneDNN's own format string ("acdb", "ABcd16b16a"), rebuilt from the blocking descriptor since 2.6
// exports no function for it: dims by decreasing stride, blocked ones in capitals, then the inner blocks.
std::string layout_name(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked) return "any";
  const dnnl_blocking_desc_t& blocking = d.format_desc.blocking;
  std::vector<int> order(d.ndims);
  for (int i = 0; i < d.ndims; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return blocking.strides[a] > blocking.strides[b]; });
  std::string text;
  for (int i : order) {
    bool blocked = false;
    for (int k = 0; k < blocking.inner_nblks; ++k) blocked = blocked || blocking.inner_idxs[k] == i;
    text += static_cast<char>((blocked ? 'A' : 'a') + i);
  }
  for (int k = 0; k < blocking.inner_nblks; ++k) {
    text += std::to_string(blocking.inner_blks[k]) + static_cast<char>('a' + blocking.inner_idxs[k]);
  }
  if (text == "acdb") return "nhwc";
  if (text == "abcd") return "nchw";
  if (text == "ab") return "nc";
  return text;
}

struct Arg {
  int arg;
  ir::ValueId value;
  memory::desc desc;
};

struct Step {
  dnnl::primitive primitive;
  std::vector<Arg> activations;
  std::vector<std::pair<int, memory>> constants;
  size_t scratchpad_bytes = 0;
  // For the plan report.
  std::string chain, layers, implementation, layouts;
};

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t, AlignedFree>;

Buffer allocate(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 64) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) throw Error(fmt::format("[predict] Could not allocate {} bytes", rounded));
  return Buffer(static_cast<uint8_t*>(p));
}

class OnednnExecutor : public Executor {
 public:
  OnednnExecutor(const ir::Graph& graph, const CompileOptions& options)
      : graph_(graph), num_threads_(options.num_threads), engine_(dnnl::engine::kind::cpu, 0) {
    for (size_t i = 0; i < graph_.ops.size(); ++i) add_op(graph_.ops[i]);
    for (const Step& s : steps_) scratchpad_bytes_ = std::max(scratchpad_bytes_, s.scratchpad_bytes);
  }

  void run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs) const override {
    std::unique_ptr<Context> ctx = acquire();
    const int saved_threads = omp_get_max_threads();
    if (num_threads_ > 0) omp_set_num_threads(num_threads_);
    try {
      for (size_t i = 0; i < inputs.size(); ++i) {
        const ir::Value& v = graph_.values[graph_.inputs[i]];
        std::memcpy(ctx->arena.get() + v.offset, inputs[i], bytes_of(v));
      }
      for (size_t i = 0; i < steps_.size(); ++i) steps_[i].primitive.execute(ctx->stream, ctx->args[i]);
      ctx->stream.wait();
      for (size_t i = 0; i < outputs.size(); ++i) {
        const ir::Value& v = graph_.values[graph_.outputs[i]];
        std::memcpy(outputs[i], ctx->arena.get() + v.offset, bytes_of(v));
      }
    } catch (const dnnl::error& e) {
      if (num_threads_ > 0) omp_set_num_threads(saved_threads);
      release(std::move(ctx));
      throw InternalError(fmt::format("[predict] oneDNN failed: {}", e.what()));
    }
    if (num_threads_ > 0) omp_set_num_threads(saved_threads);
    release(std::move(ctx));
  }

  std::string plan_string() const override {
    std::string text = fmt::format("  {:>3}  {:<24} {:<28} {:<24} {}\n", "#", "primitive", "layers", "implementation",
                                   "layouts (src -> dst; weights)");
    for (size_t i = 0; i < steps_.size(); ++i) {
      const Step& s = steps_[i];
      text += fmt::format("  {:>3}  {:<24} {:<28} {:<24} {}\n", i, s.chain, s.layers, s.implementation, s.layouts);
    }
    size_t weight_bytes = 0;
    for (const Step& s : steps_) {
      for (const auto& [arg, mem] : s.constants) weight_bytes += mem.get_desc().get_size();
    }
    text += fmt::format("  arena {} bytes, weights {} bytes, scratchpad {} bytes\n", graph_.arena_bytes, weight_bytes,
                        scratchpad_bytes_);
    return text;
  }

  int step_count() const override { return static_cast<int>(steps_.size()); }

 private:
  // Everything one forward pass writes: concurrent calls each take their own.
  struct Context {
    Buffer arena;
    Buffer scratchpad;
    dnnl::stream stream;
    std::vector<std::unordered_map<int, memory>> args;
  };

  static size_t bytes_of(const ir::Value& v) {
    size_t n = sizeof(float);
    for (int64_t d : v.dims) n *= static_cast<size_t>(d);
    return n;
  }

  std::unique_ptr<Context> acquire() const {
    {
      std::lock_guard lock(pool_mutex_);
      if (!pool_.empty()) {
        std::unique_ptr<Context> ctx = std::move(pool_.back());
        pool_.pop_back();
        return ctx;
      }
    }
    auto ctx = std::make_unique<Context>();
    ctx->arena = allocate(static_cast<size_t>(graph_.arena_bytes));
    ctx->scratchpad = allocate(scratchpad_bytes_);
    ctx->stream = dnnl::stream(engine_);
    for (const Step& s : steps_) {
      std::unordered_map<int, memory> args;
      for (const Arg& a : s.activations) {
        args.emplace(a.arg, memory(a.desc, engine_, ctx->arena.get() + graph_.values[a.value].offset));
      }
      for (const auto& [arg, mem] : s.constants) args.emplace(arg, mem);
      if (s.scratchpad_bytes > 0) {
        const memory::desc md({static_cast<int64_t>(s.scratchpad_bytes)}, memory::data_type::u8, tag::a);
        args.emplace(DNNL_ARG_SCRATCHPAD, memory(md, engine_, ctx->scratchpad.get()));
      }
      ctx->args.push_back(std::move(args));
    }
    return ctx;
  }

  void release(std::unique_ptr<Context> ctx) const {
    std::lock_guard lock(pool_mutex_);
    pool_.push_back(std::move(ctx));
  }

  dnnl::primitive_attr attributes(const ir::Op& op) const {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (!op.post_ops.empty()) {
      dnnl::post_ops chain;
      for (const ir::PostOp& p : op.post_ops) {
        if (p.kind == ir::PostOp::Kind::kSum) {
          chain.append_sum(1.0f);
        } else {
          for (const onednn::EltwiseStep& e : onednn::eltwise_steps(p.activation)) {
            chain.append_eltwise(1.0f, e.algorithm, e.alpha, e.beta);
          }
        }
      }
      attr.set_post_ops(chain);
    }
    return attr;
  }

  template <class PrimitiveDesc>
  void finish_step(Step& step, const PrimitiveDesc& pd, const ir::Op& op, std::string layouts) {
    step.scratchpad_bytes = pd.scratchpad_desc().get_size();
    step.implementation = pd.impl_info_str();
    step.chain = ir::post_op_chain(graph_, op);
    step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
    step.layouts = std::move(layouts);
    steps_.push_back(std::move(step));
  }

  memory reorder_constant(const memory& user, const memory::desc& wanted) {
    memory out(wanted, engine_);
    dnnl::stream stream(engine_);
    dnnl::reorder(user, out).execute(stream, const_cast<memory&>(user), out);
    stream.wait();
    return out;
  }

  void add_conv(const ir::Op& op, const ir::Conv2DOp& c) {
    const auto& src_dims = graph_.values[op.inputs[0]].dims;
    const auto& dst_dims = graph_.values[op.output].dims;
    const memory::desc src = value_desc(src_dims), dst = value_desc(dst_dims);
    const auto& k = c.kernel->dims();  // (KH, KW, IC/G, OC)
    const int64_t oc = k[3], icg = k[2], g = c.groups;
    const memory::dims weight_dims = g == 1 ? memory::dims{oc, icg, k[0], k[1]} : memory::dims{g, oc / g, icg, k[0], k[1]};
    const memory::desc weights_any(weight_dims, memory::data_type::f32, tag::any);
    const memory::desc bias_desc = c.bias ? memory::desc({oc}, memory::data_type::f32, tag::a) : memory::desc();
    const memory::dims strides{c.stride_h, c.stride_w};
    const memory::dims dilates{c.dilation_h - 1, c.dilation_w - 1};  // oneDNN counts the gaps, Keras the step
    const memory::dims pad_l{c.padding.top, c.padding.left}, pad_r{c.padding.bottom, c.padding.right};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                         weights_any, bias_desc, dst, strides, dilates, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, attributes(op), engine_);
    check_layout(pd.src_desc(), src, op, "source");
    check_layout(pd.dst_desc(), dst, op, "destination");

    Step step;
    step.primitive = dnnl::convolution_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output, dst}};
    // Keras's HWIO kernel, viewed with oneDNN's logical dims, then reordered once into the layout the
    // primitive chose.
    const memory::desc keras_weights(weight_dims, memory::data_type::f32, g == 1 ? tag::hwio : tag::hwigo);
    memory user_weights(keras_weights, engine_, const_cast<float*>(c.kernel->data()));
    step.constants.emplace_back(DNNL_ARG_WEIGHTS, reorder_constant(user_weights, pd.weights_desc()));
    if (c.bias) {
      memory user_bias(bias_desc, engine_, const_cast<float*>(c.bias->data()));
      step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(user_bias, pd.bias_desc()));
    }
    finish_step(step, pd, op,
                fmt::format("{} -> {}; {}", layout_name(pd.src_desc()), layout_name(pd.dst_desc()),
                            layout_name(pd.weights_desc())));
  }

  void add_pool(const ir::Op& op, const ir::Pool2DOp& p) {
    const memory::desc src = value_desc(graph_.values[op.inputs[0]].dims);
    const memory::desc dst = value_desc(graph_.values[op.output].dims);
    const auto alg = p.kind == ir::Pool2DOp::Kind::kMax ? dnnl::algorithm::pooling_max
                                                         : dnnl::algorithm::pooling_avg_exclude_padding;
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference, alg, src, dst, {p.stride_h, p.stride_w},
                                     {p.pool_h, p.pool_w}, {p.padding.top, p.padding.left},
                                     {p.padding.bottom, p.padding.right});
    dnnl::pooling_forward::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::pooling_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output, dst}};
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(src), layout_name(dst)));
  }

  void add_activation(const ir::Op& op, const ir::ActivationOp& a) {
    const memory::desc md = value_desc(graph_.values[op.output].dims);
    const std::vector<onednn::EltwiseStep> parts = onednn::eltwise_steps(a.activation);
    for (size_t i = 0; i < parts.size(); ++i) {
      dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, parts[i].algorithm, md, parts[i].alpha,
                                       parts[i].beta);
      dnnl::eltwise_forward::primitive_desc pd(desc, attributes(op), engine_);
      Step step;
      step.primitive = dnnl::eltwise_forward(pd);
      // The first step reads the input; later steps of a composed activation work in place on the output.
      step.activations = {{DNNL_ARG_SRC, i == 0 ? op.inputs[0] : op.output, md}, {DNNL_ARG_DST, op.output, md}};
      finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
    }
  }

  void add_binary(const ir::Op& op) {
    const auto& dst_dims = graph_.values[op.output].dims;
    ir::ValueId a = op.inputs[0], b = op.inputs[1];
    // oneDNN broadcasts only the second source; addition commutes, so put the full-size one first.
    if (padded(graph_.values[a].dims, dst_dims.size()) != dst_dims) std::swap(a, b);
    const std::vector<int64_t> a_dims = padded(graph_.values[a].dims, dst_dims.size());
    if (a_dims != dst_dims) {
      throw InternalError(fmt::format("onednn: add of {} needs both inputs broadcast, which oneDNN's binary "
                                      "primitive cannot do",
                                      fmt::join(op.layers, ", ")));
    }
    const memory::desc src0 = value_desc(a_dims), src1 = value_desc(padded(graph_.values[b].dims, dst_dims.size()));
    const memory::desc dst = value_desc(dst_dims);
    dnnl::binary::desc desc(dnnl::algorithm::binary_add, src0, src1, dst);
    dnnl::binary::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::binary(pd);
    step.activations = {{DNNL_ARG_SRC_0, a, src0}, {DNNL_ARG_SRC_1, b, src1}, {DNNL_ARG_DST, op.output, dst}};
    finish_step(step, pd, op, fmt::format("{} + {} -> {}", layout_name(src0), layout_name(src1), layout_name(dst)));
  }

  void add_softmax(const ir::Op& op) {
    const auto& dims = graph_.values[op.output].dims;
    const memory::desc md = value_desc(dims);
    // Keras's last axis is the channel axis, which oneDNN numbers 1 for every rank above 1.
    const int axis = dims.size() == 1 ? 0 : 1;
    dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, axis);
    dnnl::softmax_forward::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::softmax_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output, md}};
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
  }

  // Activations stay NHWC end to end; a primitive that wanted another layout would need a reorder here.
  void check_layout(const memory::desc& chosen, const memory::desc& wanted, const ir::Op& op, const char* what) const {
    if (chosen != wanted) {
      throw InternalError(fmt::format("onednn: the primitive for {} chose a {} layout {} instead of {}",
                                      fmt::join(op.layers, ", "), what, layout_name(chosen), layout_name(wanted)));
    }
  }

  void add_op(const ir::Op& op) {
    try {
      if (const auto* c = std::get_if<ir::Conv2DOp>(&op.attrs)) return add_conv(op, *c);
      if (const auto* p = std::get_if<ir::Pool2DOp>(&op.attrs)) return add_pool(op, *p);
      if (const auto* a = std::get_if<ir::ActivationOp>(&op.attrs)) return add_activation(op, *a);
      if (std::holds_alternative<ir::BinaryOp>(op.attrs)) return add_binary(op);
      if (std::holds_alternative<ir::SoftmaxOp>(op.attrs)) return add_softmax(op);
    } catch (const dnnl::error& e) {
      throw InternalError(fmt::format("onednn: could not create the primitive for {} ({}): {}",
                                      fmt::join(op.layers, ", "), ir::post_op_chain(graph_, op), e.what()));
    }
    throw InternalError("onednn: no lowering for op " + ir::op_kind_name(op));
  }

  ir::Graph graph_;
  int num_threads_;
  dnnl::engine engine_;
  std::vector<Step> steps_;
  size_t scratchpad_bytes_ = 0;
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<Context>> pool_;
};

}  // namespace

std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options) {
  return std::make_unique<OnednnExecutor>(graph, options);
}

}  // namespace strata::detail
