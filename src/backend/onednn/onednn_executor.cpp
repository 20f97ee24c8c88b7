#include "backend/onednn/onednn_executor.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <unordered_map>

#include "backend/custom_kernel.hpp"
#include "backend/onednn/eltwise_mapping.hpp"
#include "backend/onednn/post_op_rules.hpp"
#include "backend/onednn/released_weights.hpp"
#include "strata/error.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

// oneDNN orders image dims logically as (N, C, H, W); Keras's (N, H, W, C) is the `nhwc` layout of that.
memory::data_type data_type_of(ir::DataType type) {
  return type == ir::DataType::kBFloat16 ? memory::data_type::bf16 : memory::data_type::f32;
}

memory::desc value_desc(const std::vector<int64_t>& keras_dims, ir::DataType type = ir::DataType::kFloat32,
                        ir::Layout layout = ir::Layout::kPlain) {
  const memory::data_type f32 = data_type_of(type);
  if (layout == ir::Layout::kBlocked16 && keras_dims.size() != 4) {
    throw InternalError(fmt::format("onednn: a blocked layout for rank {}", keras_dims.size()));
  }
  switch (keras_dims.size()) {
    case 4:
      return memory::desc({keras_dims[0], keras_dims[3], keras_dims[1], keras_dims[2]}, f32,
                          layout == ir::Layout::kBlocked16 ? tag::nChw16c : tag::nhwc);
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
  if (d.format_kind == dnnl_format_kind_wino) return "winograd";  // weights pre-transformed for Winograd
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
  if (text == "aBcd16b") return "nChw16c";
  if (text == "ab") return "nc";
  return text;
}

memory::desc value_desc(const ir::Graph& graph, ir::ValueId v) {
  const ir::Value& value = graph.values[v];
  return value_desc(value.dims, value.dtype, value.layout);
}

// The op's post-op chain, and a user scratchpad (so that primitives are not tied to the thread that made
// them). `type`: the op's data type, which a fused depthwise convolution computes in too.
dnnl::primitive_attr attributes(const ir::Op& op, ir::DataType type = ir::DataType::kFloat32) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (!op.post_ops.empty()) {
    dnnl::post_ops chain;
    for (const ir::PostOp& p : op.post_ops) {
      if (p.kind == ir::PostOp::Kind::kSum) {
        chain.append_sum(1.0f);
      } else if (p.kind == ir::PostOp::Kind::kDepthwise) {
        // oneDNN takes the top/left padding; its output is ceil(in / stride), padded bottom/right as needed
        // (fuse_depthwise only fuses depthwise convolutions whose padding is exactly that).
        const ir::Conv2DOp& dw = *p.depthwise;
        chain.append_dw(data_type_of(type), dw.bias ? memory::data_type::f32 : memory::data_type::undef,
                        data_type_of(type), 3, dw.stride_h, dw.padding.top, 0, {});
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

// Logical weight dims of a convolution: (OC, IC, KH, KW), or (G, OC/G, IC/G, KH, KW) when grouped.
memory::dims conv_weight_dims(const ir::Conv2DOp& c) {
  const auto& k = c.kernel->dims();  // (KH, KW, IC/G, OC)
  const int64_t oc = k[3], icg = k[2], g = c.groups;
  return g == 1 ? memory::dims{oc, icg, k[0], k[1]} : memory::dims{g, oc / g, icg, k[0], k[1]};
}

// The primitive descriptor of a convolution op, with the algorithm and the value layouts the IR gives it.
// Throws dnnl::error when oneDNN has no implementation for it.
dnnl::convolution_forward::primitive_desc conv_primitive_desc(const ir::Graph& graph, const ir::Op& op,
                                                              const ir::Conv2DOp& c,
                                                              const dnnl::engine& engine) {
  const memory::desc src = value_desc(graph, op.inputs[0]);
  // With a fused depthwise convolution the op's output is the depthwise one; the 1x1 convolution described
  // here writes its input's size (oneDNN derives the fused destination itself).
  std::vector<int64_t> dst_dims = graph.values[op.output].dims;
  if (ir::fused_depthwise(op) != nullptr) {
    dst_dims = graph.values[op.inputs[0]].dims;
    dst_dims[3] = c.kernel->dims()[3];
  }
  const memory::desc dst =
      value_desc(dst_dims, graph.values[op.output].dtype, graph.values[op.output].layout);
  // Weights take the activations' type (bfloat16 weights for a bfloat16 convolution); the bias stays float32.
  const memory::desc weights_any(conv_weight_dims(c), src.data_type(), tag::any);
  const memory::desc bias_desc =
      c.bias ? memory::desc({c.kernel->dims()[3]}, memory::data_type::f32, tag::a) : memory::desc();
  const memory::dims strides{c.stride_h, c.stride_w};
  const memory::dims dilates{c.dilation_h - 1, c.dilation_w - 1};  // oneDNN counts the gaps, Keras the step
  const memory::dims pad_l{c.padding.top, c.padding.left}, pad_r{c.padding.bottom, c.padding.right};
  const auto algorithm = c.algorithm == ir::Conv2DOp::Algorithm::kWinograd
                             ? dnnl::algorithm::convolution_winograd
                             : dnnl::algorithm::convolution_direct;
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, src, weights_any,
                                       bias_desc, dst, strides, dilates, pad_l, pad_r);
  return dnnl::convolution_forward::primitive_desc(desc, attributes(op, graph.values[op.output].dtype),
                                                   engine);
}

struct Arg {
  int arg;
  ir::ValueId value;
  memory::desc desc;
};

struct Step {
  dnnl::primitive primitive;
  /// Set for ops oneDNN has no primitive for: plain C++ run between primitives on the arena.
  std::function<void(uint8_t* arena)> kernel;
  std::vector<Arg> activations;
  std::vector<std::pair<int, memory>> constants;
  size_t scratchpad_bytes = 0;
  double flops = 0.0;
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

// Sets the calling thread's OpenMP thread count for a scope (0 leaves it alone). OpenMP keeps this setting
// per thread, so concurrent compiles and predicts do not disturb each other.
class OmpThreadScope {
 public:
  explicit OmpThreadScope(int threads) : saved_(omp_get_max_threads()), active_(threads > 0) {
    if (active_) omp_set_num_threads(threads);
  }
  ~OmpThreadScope() {
    if (active_) omp_set_num_threads(saved_);
  }
  OmpThreadScope(const OmpThreadScope&) = delete;
  OmpThreadScope& operator=(const OmpThreadScope&) = delete;

 private:
  int saved_;
  bool active_;
};

class OnednnExecutor : public Executor {
 public:
  OnednnExecutor(const ir::Graph& graph, const CompileOptions& options)
      : graph_(graph), num_threads_(options.num_threads), engine_(dnnl::engine::kind::cpu, 0) {
    // oneDNN's JIT convolutions read omp_get_max_threads() when the primitive is created and keep that
    // thread count (and the blocking chosen for it) for every execution; the omp_set_num_threads in run()
    // does not reach them. Created outside this scope, a num_threads=1 plan ran on every core, and on a
    // busy machine each primitive's closing barrier waited out a scheduler time slice (~8 ms).
    const OmpThreadScope threads(num_threads_);
    for (size_t i = 0; i < graph_.ops.size(); ++i) add_op(graph_.ops[i]);
    for (const Step& s : steps_) scratchpad_bytes_ = std::max(scratchpad_bytes_, s.scratchpad_bytes);
    // The steps are built and the run needs only the values: the ops' kernels would otherwise keep every
    // Keras-layout weight alive as long as the plan, even one the layer released.
    graph_.ops.clear();
  }

  std::shared_ptr<const ReleasedWeight> release(const std::shared_ptr<const Tensor>& weight) const override {
    for (const Reordered& r : weights_) {
      if (r.source.lock() != weight) continue;
      if (auto record = onednn::release_weight(weight, r.scale, r.source_desc, r.copy)) return record;
    }
    return nullptr;
  }

  void run(const std::vector<const float*>& inputs, const std::vector<float*>& outputs) const override {
    // Scoped: the context goes back to the pool and the thread count is restored even when a step throws
    // (a custom kernel may throw anything).
    const PooledContext ctx(*this);
    const OmpThreadScope threads(num_threads_);
    try {
      for (size_t i = 0; i < inputs.size(); ++i) {
        const ir::Value& v = graph_.values[graph_.inputs[i]];
        std::memcpy(ctx->arena.get() + v.offset, inputs[i], bytes_of(v));
      }
      for (size_t i = 0; i < steps_.size(); ++i) {
        if (steps_[i].kernel) {
          steps_[i].kernel(ctx->arena.get());
        } else {
          steps_[i].primitive.execute(ctx->stream, ctx->args[i]);
        }
      }
      ctx->stream.wait();
      for (size_t i = 0; i < outputs.size(); ++i) {
        const ir::Value& v = graph_.values[graph_.outputs[i]];
        std::memcpy(outputs[i], ctx->arena.get() + v.offset, bytes_of(v));
      }
    } catch (const dnnl::error& e) {
      throw InternalError(fmt::format("[predict] oneDNN failed: {}", e.what()));
    }
  }

  std::string plan_string() const override {
    // Layers last: their list is the only column of unbounded width.
    std::string text = fmt::format("  {:>3}  {:<22} {:<29} {:<30} {}\n", "#", "primitive", "implementation",
                                   "layouts (src -> dst; weights)", "Keras layers");
    for (size_t i = 0; i < steps_.size(); ++i) {
      const Step& s = steps_[i];
      text += fmt::format("  {:>3}  {:<22} {:<29} {:<30} {}\n", i, s.chain, s.implementation, s.layouts,
                          s.layers);
    }
    size_t weight_bytes = 0, shared_bytes = 0;
    for (const Reordered& r : weights_) {
      const std::shared_ptr<memory>& w = r.copy;
      weight_bytes += w->get_desc().get_size();
      // Held by another live plan too (another input shape, or another model with the same weights), or by
      // the record of a released weight.
      if (w.use_count() > 1) shared_bytes += w->get_desc().get_size();
    }
    text += fmt::format("  arena {} bytes, weights {} bytes ({} shared with other plans), scratchpad {} bytes\n",
                        graph_.arena_bytes, weight_bytes, shared_bytes, scratchpad_bytes_);
    return text;
  }

  int step_count() const override { return static_cast<int>(steps_.size()); }

  std::vector<StepProfile> profile(const std::vector<const float*>& inputs, int repetitions) const override {
    std::vector<StepProfile> result(steps_.size());
    for (size_t i = 0; i < steps_.size(); ++i) {
      result[i] = StepProfile{steps_[i].chain, steps_[i].layers, steps_[i].implementation, {}, steps_[i].flops};
    }
    const PooledContext ctx(*this);
    const OmpThreadScope threads(num_threads_);
    for (int r = 0; r < repetitions; ++r) {
      // Every repetition is a whole forward pass on the real inputs: the planner reuses the inputs' buffers
      // once they are read, so a second pass without copying them again fed custom kernels stale data.
      for (size_t i = 0; i < inputs.size(); ++i) {
        const ir::Value& v = graph_.values[graph_.inputs[i]];
        std::memcpy(ctx->arena.get() + v.offset, inputs[i], bytes_of(v));
      }
      for (size_t i = 0; i < steps_.size(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        if (steps_[i].kernel) {
          steps_[i].kernel(ctx->arena.get());
        } else {
          steps_[i].primitive.execute(ctx->stream, ctx->args[i]);
          ctx->stream.wait();
        }
        result[i].milliseconds.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
    }
    return result;
  }

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

  // Takes a context from the pool for one forward pass and gives it back when the pass ends, however it ends.
  class PooledContext {
   public:
    explicit PooledContext(const OnednnExecutor& owner) : owner_(owner), ctx_(owner.acquire()) {}
    ~PooledContext() { owner_.release(std::move(ctx_)); }
    PooledContext(const PooledContext&) = delete;
    PooledContext& operator=(const PooledContext&) = delete;
    Context* operator->() const { return ctx_.get(); }

   private:
    const OnednnExecutor& owner_;
    std::unique_ptr<Context> ctx_;
  };

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

  template <class PrimitiveDesc>
  void finish_step(Step& step, const PrimitiveDesc& pd, const ir::Op& op, std::string layouts) {
    step.scratchpad_bytes = pd.scratchpad_desc().get_size();
    step.implementation = pd.impl_info_str();
    step.chain = ir::post_op_chain(graph_, op);
    step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
    step.layouts = std::move(layouts);
    steps_.push_back(std::move(step));
  }

  void add_kernel_step(const ir::Op& op, std::function<void(uint8_t*)> kernel, std::string layouts) {
    Step step;
    step.kernel = std::move(kernel);
    step.implementation = "strata:cpp";
    step.chain = ir::post_op_chain(graph_, op);
    step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
    step.layouts = std::move(layouts);
    steps_.push_back(std::move(step));
  }

  memory::desc desc_of(ir::ValueId v) const { return value_desc(graph_, v); }

  float* at(uint8_t* arena, ir::ValueId v) const {
    return reinterpret_cast<float*>(arena + graph_.values[v].offset);
  }

  // Reorders a weight (times `scale` per output channel, when set: a folded batch norm) into the layout a
  // primitive chose. Plans for other input shapes (and other models built from the same weights) usually
  // choose the same layout, so they share one reordered copy. The scaled kernel in Keras's layout is a
  // temporary: the plan keeps only the reordered copy.
  memory reorder_constant(const std::shared_ptr<const Tensor>& source, const memory::desc& source_desc,
                          const memory::desc& wanted, const std::shared_ptr<const Tensor>& scale = nullptr) {
    std::shared_ptr<memory> shared = onednn::reordered_weights().get({source, scale}, wanted, [&] {
      const std::shared_ptr<const Tensor> effective = ir::effective_kernel(source, scale);
      memory user(source_desc, engine_, const_cast<float*>(effective->data()));
      auto out = std::make_shared<memory>(wanted, engine_);
      dnnl::stream stream(engine_);
      dnnl::reorder(user, *out).execute(stream, user, *out);
      stream.wait();
      return out;
    });
    weights_.push_back({source, scale, source_desc, shared});
    return *shared;
  }

  void add_conv(const ir::Op& op, const ir::Conv2DOp& c) {
    const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output);
    const dnnl::convolution_forward::primitive_desc pd = conv_primitive_desc(graph_, op, c, engine_);
    check_layout(pd.src_desc(), src, op, "source");
    check_layout(pd.dst_desc(), dst, op, "destination");

    Step step;
    step.primitive = dnnl::convolution_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output, dst}};
    // Keras's HWIO kernel, viewed with oneDNN's logical dims, then reordered once into the layout the
    // primitive chose.
    const memory::desc keras_weights(conv_weight_dims(c), memory::data_type::f32,
                                     c.groups == 1 ? tag::hwio : tag::hwigo);
    step.constants.emplace_back(DNNL_ARG_WEIGHTS,
                                reorder_constant(c.kernel, keras_weights, pd.weights_desc(), c.kernel_scale));
    if (c.bias) {
      const memory::desc bias_desc({c.kernel->dims()[3]}, memory::data_type::f32, tag::a);
      step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(c.bias, bias_desc, pd.bias_desc()));
    }
    if (const ir::Conv2DOp* dw = ir::fused_depthwise(op)) {
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

  void add_pool(const ir::Op& op, const ir::Pool2DOp& p) {
    const memory::desc src = desc_of(op.inputs[0]);
    const memory::desc dst = desc_of(op.output);
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
    if (!detail::is_standard_eltwise(a.activation)) {
      // A thresholded ReLU has no oneDNN form; it is one cheap pass in plain C++.
      const ir::ValueId src = op.inputs[0], dst = op.output;
      const int64_t count = element_count(graph_.values[dst].dims);
      const detail::Activation act = a.activation;
      return add_kernel_step(op, [this, src, dst, count, act](uint8_t* arena) {
        const float* s = at(arena, src);
        float* d = at(arena, dst);
        for (int64_t i = 0; i < count; ++i) d[i] = detail::apply_activation(act, s[i]);
      }, "nhwc -> nhwc");
    }
    const memory::desc md = desc_of(op.output);
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

  void add_binary(const ir::Op& op, const ir::BinaryOp& b_op) {
    const auto& dst_dims = graph_.values[op.output].dims;
    ir::ValueId a = op.inputs[0], b = op.inputs[1];
    ir::Op flipped = op;
    // oneDNN broadcasts only the second source. Every kind but subtract commutes; a - b becomes -(b - a).
    if (padded(graph_.values[a].dims, dst_dims.size()) != dst_dims) {
      std::swap(a, b);
      if (b_op.kind == ir::BinaryOp::Kind::kSubtract) {
        flipped.post_ops.insert(
            flipped.post_ops.begin(),
            ir::PostOp{ir::PostOp::Kind::kActivation, {detail::ActivationKind::kScale, -1.0f}, -1, nullptr});
      }
    }
    const std::vector<int64_t> a_dims = padded(graph_.values[a].dims, dst_dims.size());
    if (a_dims != dst_dims) {
      // Both inputs stretched ((1, W) + (H, 1)): oneDNN's binary cannot, so run it in plain C++.
      return add_broadcast_kernel(op, b_op);
    }
    const memory::desc src0 = value_desc(a_dims, graph_.values[a].dtype);
    const memory::desc src1 = value_desc(padded(graph_.values[b].dims, dst_dims.size()), graph_.values[b].dtype);
    const memory::desc dst = desc_of(op.output);
    dnnl::algorithm alg = dnnl::algorithm::binary_add;
    switch (b_op.kind) {
      case ir::BinaryOp::Kind::kAdd:
        alg = dnnl::algorithm::binary_add;
        break;
      case ir::BinaryOp::Kind::kSubtract:
        alg = dnnl::algorithm::binary_sub;
        break;
      case ir::BinaryOp::Kind::kMultiply:
        alg = dnnl::algorithm::binary_mul;
        break;
      case ir::BinaryOp::Kind::kMaximum:
        alg = dnnl::algorithm::binary_max;
        break;
      case ir::BinaryOp::Kind::kMinimum:
        alg = dnnl::algorithm::binary_min;
        break;
    }
    dnnl::binary::desc desc(alg, src0, src1, dst);
    dnnl::binary::primitive_desc pd(desc, attributes(flipped), engine_);
    Step step;
    step.primitive = dnnl::binary(pd);
    step.activations = {{DNNL_ARG_SRC_0, a, src0}, {DNNL_ARG_SRC_1, b, src1}, {DNNL_ARG_DST, op.output, dst}};
    finish_step(step, pd, op, fmt::format("{} + {} -> {}", layout_name(src0), layout_name(src1), layout_name(dst)));
  }

  void add_softmax(const ir::Op& op) {
    const auto& dims = graph_.values[op.output].dims;
    const memory::desc md = desc_of(op.output);
    // Keras's last axis is the channel axis, which oneDNN numbers 1 for every rank above 1.
    const int axis = dims.size() == 1 ? 0 : 1;
    dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, axis);
    dnnl::softmax_forward::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::softmax_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output, md}};
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
  }

  // Both binary inputs broadcast: index arithmetic in plain C++ (rare; never on a hot path of the models
  // strata ships).
  void add_broadcast_kernel(const ir::Op& op, const ir::BinaryOp& b_op) {
    const ir::ValueId a = op.inputs[0], b = op.inputs[1], dst = op.output;
    const std::vector<int64_t> dst_dims = graph_.values[dst].dims;
    const std::vector<int64_t> a_dims = padded(graph_.values[a].dims, dst_dims.size());
    const std::vector<int64_t> b_dims = padded(graph_.values[b].dims, dst_dims.size());
    std::vector<detail::Activation> post;
    for (const ir::PostOp& p : op.post_ops) post.push_back(p.activation);
    add_kernel_step(op, [this, a, b, dst, dst_dims, a_dims, b_dims, kind = b_op.kind, post](uint8_t* arena) {
      const size_t rank = dst_dims.size();
      std::vector<int64_t> sa(rank), sb(rank);
      int64_t stride_a = 1, stride_b = 1;
      for (size_t d = rank; d-- > 0;) {
        sa[d] = a_dims[d] == 1 ? 0 : stride_a;
        sb[d] = b_dims[d] == 1 ? 0 : stride_b;
        stride_a *= a_dims[d];
        stride_b *= b_dims[d];
      }
      const float* pa = at(arena, a);
      const float* pb = at(arena, b);
      float* pd = at(arena, dst);
      std::vector<int64_t> index(rank, 0);
      const int64_t total = element_count(dst_dims);
      for (int64_t i = 0; i < total; ++i) {
        int64_t ia = 0, ib = 0;
        for (size_t d = 0; d < rank; ++d) {
          ia += index[d] * sa[d];
          ib += index[d] * sb[d];
        }
        float v = 0.0f;
        switch (kind) {
          case ir::BinaryOp::Kind::kAdd: v = pa[ia] + pb[ib]; break;
          case ir::BinaryOp::Kind::kSubtract: v = pa[ia] - pb[ib]; break;
          case ir::BinaryOp::Kind::kMultiply: v = pa[ia] * pb[ib]; break;
          case ir::BinaryOp::Kind::kMaximum: v = std::max(pa[ia], pb[ib]); break;
          case ir::BinaryOp::Kind::kMinimum: v = std::min(pa[ia], pb[ib]); break;
        }
        for (const detail::Activation& act : post) v = detail::apply_activation(act, v);
        pd[i] = v;
        for (size_t d = rank; d-- > 0;) {
          if (++index[d] < dst_dims[d]) break;
          index[d] = 0;
        }
      }
    }, "broadcast");
  }

  void add_dense(const ir::Op& op, const ir::DenseOp& d) {
    const auto& src_dims = graph_.values[op.inputs[0]].dims;
    const int64_t in = d.kernel->dims()[0], out = d.kernel->dims()[1];
    const int64_t rows = element_count(src_dims) / in;
    // Keras applies Dense to the last axis: any leading dims are rows of one matrix product.
    const memory::desc src({rows, in}, data_type_of(graph_.values[op.inputs[0]].dtype), tag::ab);
    const memory::desc dst({rows, out}, data_type_of(graph_.values[op.output].dtype), tag::ab);
    const memory::desc weights_any({out, in}, src.data_type(), tag::any);
    const memory::desc bias_desc = d.bias ? memory::desc({out}, memory::data_type::f32, tag::a) : memory::desc();
    dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src, weights_any, bias_desc, dst);
    dnnl::inner_product_forward::primitive_desc pd(desc, attributes(op), engine_);
    check_layout(pd.src_desc(), src, op, "source");
    check_layout(pd.dst_desc(), dst, op, "destination");
    Step step;
    step.primitive = dnnl::inner_product_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output, dst}};
    // Keras's (in, out) kernel is oneDNN's (out, in) weights in the transposed ("ba") layout.
    step.constants.emplace_back(
        DNNL_ARG_WEIGHTS, reorder_constant(d.kernel, memory::desc({out, in}, memory::data_type::f32, tag::ba),
                                           pd.weights_desc(), d.kernel_scale));
    if (d.bias) step.constants.emplace_back(DNNL_ARG_BIAS, reorder_constant(d.bias, bias_desc, pd.bias_desc()));
    finish_step(step, pd, op,
                fmt::format("{} -> {}; {}", layout_name(src), layout_name(dst), layout_name(pd.weights_desc())));
  }

  memory channel_constant(const std::shared_ptr<const Tensor>& t, int64_t channels, float fill) {
    memory m(memory::desc({channels}, memory::data_type::f32, tag::a), engine_);
    float* p = static_cast<float*>(m.get_data_handle());
    for (int64_t c = 0; c < channels; ++c) p[c] = t ? t->data()[c] : fill;
    return m;
  }

  void add_batch_norm(const ir::Op& op, const ir::BatchNormOp& bn) {
    const auto& dims = graph_.values[op.output].dims;
    const memory::desc md = desc_of(op.output);
    const int64_t channels = dims.back();
    const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                       dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, md, bn.epsilon, flags);
    dnnl::batch_normalization_forward::primitive_desc pd(desc, attributes(op), engine_);
    Step step;
    step.primitive = dnnl::batch_normalization_forward(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], md}, {DNNL_ARG_DST, op.output, md}};
    step.constants.emplace_back(DNNL_ARG_MEAN, channel_constant(bn.mean, channels, 0.0f));
    step.constants.emplace_back(DNNL_ARG_VARIANCE, channel_constant(bn.variance, channels, 1.0f));
    step.constants.emplace_back(DNNL_ARG_SCALE, channel_constant(bn.gamma, channels, 1.0f));
    step.constants.emplace_back(DNNL_ARG_SHIFT, channel_constant(bn.beta, channels, 0.0f));
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(md), layout_name(md)));
  }

  // Padding, cropping and nearest upsampling move whole rows of channels: memcpy in plain C++, since 2.6
  // has no pad primitive and these ops are a rounding error next to the convolutions around them.
  // Padding, cropping and nearest upsampling move whole rows of channels: memcpy in plain C++, since 2.6
  // has no pad primitive and these ops are a rounding error next to the convolutions around them. They copy
  // bytes, so they serve float32 and bfloat16 alike.
  uint8_t* bytes_at(uint8_t* arena, ir::ValueId v) const { return arena + graph_.values[v].offset; }

  void add_pad(const ir::Op& op, const ir::PadOp& p) {
    const ir::ValueId src = op.inputs[0], dst = op.output;
    const std::vector<int64_t> in = graph_.values[src].dims, out = graph_.values[dst].dims;
    const ir::Padding2D pad = p.padding;
    const int64_t esize = ir::element_size(graph_.values[dst].dtype);
    add_kernel_step(op, [this, src, dst, in, out, pad, esize](uint8_t* arena) {
      const uint8_t* s = bytes_at(arena, src);
      uint8_t* d = bytes_at(arena, dst);
      const int64_t C = in[3] * esize, row = in[2] * C;
      std::memset(d, 0, static_cast<size_t>(element_count(out) * esize));
      for (int64_t n = 0; n < in[0]; ++n)
        for (int64_t h = 0; h < in[1]; ++h) {
          const uint8_t* from = s + (n * in[1] + h) * row;
          uint8_t* to = d + ((n * out[1] + h + pad.top) * out[2] + pad.left) * C;
          std::memcpy(to, from, static_cast<size_t>(row));
        }
    }, "nhwc -> nhwc");
  }

  void add_crop(const ir::Op& op, const ir::CropOp& c) {
    const ir::ValueId src = op.inputs[0], dst = op.output;
    const std::vector<int64_t> in = graph_.values[src].dims, out = graph_.values[dst].dims;
    const ir::Padding2D crop = c.cropping;
    const int64_t esize = ir::element_size(graph_.values[dst].dtype);
    add_kernel_step(op, [this, src, dst, in, out, crop, esize](uint8_t* arena) {
      const uint8_t* s = bytes_at(arena, src);
      uint8_t* d = bytes_at(arena, dst);
      const int64_t C = in[3] * esize, row = out[2] * C;
      for (int64_t n = 0; n < out[0]; ++n)
        for (int64_t h = 0; h < out[1]; ++h) {
          const uint8_t* from = s + ((n * in[1] + h + crop.top) * in[2] + crop.left) * C;
          std::memcpy(d + (n * out[1] + h) * row, from, static_cast<size_t>(row));
        }
    }, "nhwc -> nhwc");
  }

  void add_upsample(const ir::Op& op, const ir::UpsampleOp& u) {
    const ir::ValueId src = op.inputs[0], dst = op.output;
    const std::vector<int64_t> in = graph_.values[src].dims, out = graph_.values[dst].dims;
    const int fh = u.factor_h, fw = u.factor_w;
    const int64_t esize = ir::element_size(graph_.values[dst].dtype);
    add_kernel_step(op, [this, src, dst, in, out, fh, fw, esize](uint8_t* arena) {
      const uint8_t* s = bytes_at(arena, src);
      uint8_t* d = bytes_at(arena, dst);
      const int64_t C = in[3] * esize;
      for (int64_t n = 0; n < out[0]; ++n)
        for (int64_t h = 0; h < out[1]; ++h)
          for (int64_t w = 0; w < out[2]; ++w) {
            const uint8_t* from = s + ((n * in[1] + h / fh) * in[2] + w / fw) * C;
            std::memcpy(d + ((n * out[1] + h) * out[2] + w) * C, from, static_cast<size_t>(C));
          }
    }, "nhwc -> nhwc");
  }

  void add_custom(const ir::Op& op, const ir::CustomOp& custom) {
    std::vector<std::vector<int64_t>> dims;
    for (ir::ValueId v : op.inputs) dims.push_back(graph_.values[v].dims);
    const std::vector<int64_t> out_dims = graph_.values[op.output].dims;
    add_kernel_step(op, [this, custom, inputs = op.inputs, dims, out = op.output, out_dims](uint8_t* arena) {
      std::vector<const float*> srcs;
      for (ir::ValueId v : inputs) srcs.push_back(at(arena, v));
      run_custom_op(custom, dims, srcs, out_dims, at(arena, out));
    }, "row-major");
  }

  void add_convert(const ir::Op& op) {
    const memory::desc src = desc_of(op.inputs[0]), dst = desc_of(op.output);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::reorder::primitive_desc pd(engine_, src, engine_, dst, attr);
    Step step;
    step.primitive = dnnl::reorder(pd);
    step.activations = {{DNNL_ARG_SRC, op.inputs[0], src}, {DNNL_ARG_DST, op.output, dst}};
    auto text = [](const memory::desc& md) {
      return layout_name(md) + (md.data_type() == memory::data_type::bf16 ? " bf16" : " f32");
    };
    finish_step(step, pd, op, text(src) + " -> " + text(dst));
  }

  void add_concat(const ir::Op& op, const ir::ConcatOp& c) {
    const auto& dst_dims = graph_.values[op.output].dims;
    const int rank = static_cast<int>(dst_dims.size());
    // Keras's last axis is oneDNN's channel axis 1; the spatial axes follow it.
    const int axis = rank <= 2 ? c.axis : (c.axis == rank - 1 ? 1 : c.axis + 1);
    std::vector<memory::desc> srcs;
    Step step;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      srcs.push_back(desc_of(op.inputs[i]));
      step.activations.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), op.inputs[i], srcs.back()});
    }
    const memory::desc dst = desc_of(op.output);
    dnnl::concat::primitive_desc pd(dst, axis, srcs, engine_, attributes(op));
    step.primitive = dnnl::concat(pd);
    step.activations.push_back({DNNL_ARG_DST, op.output, dst});
    finish_step(step, pd, op, fmt::format("{} -> {}", layout_name(srcs.front()), layout_name(dst)));
  }

  // Activations stay NHWC end to end; a primitive that wanted another layout would need a reorder here.
  void check_layout(const memory::desc& chosen, const memory::desc& wanted, const ir::Op& op, const char* what) const {
    if (chosen != wanted) {
      throw InternalError(fmt::format("onednn: the primitive for {} chose a {} layout {} instead of {}",
                                      fmt::join(op.layers, ", "), what, layout_name(chosen), layout_name(wanted)));
    }
  }

  void add_op(const ir::Op& op) {
    const size_t first = steps_.size();
    dispatch(op);
    if (steps_.size() > first) steps_[first].flops = ir::op_flops(graph_, op);
  }

  void dispatch(const ir::Op& op) {
    try {
      if (const auto* c = std::get_if<ir::Conv2DOp>(&op.attrs)) return add_conv(op, *c);
      if (const auto* p = std::get_if<ir::Pool2DOp>(&op.attrs)) return add_pool(op, *p);
      if (const auto* a = std::get_if<ir::ActivationOp>(&op.attrs)) return add_activation(op, *a);
      if (const auto* b = std::get_if<ir::BinaryOp>(&op.attrs)) return add_binary(op, *b);
      if (std::holds_alternative<ir::SoftmaxOp>(op.attrs)) return add_softmax(op);
      if (const auto* d = std::get_if<ir::DenseOp>(&op.attrs)) return add_dense(op, *d);
      if (const auto* bn = std::get_if<ir::BatchNormOp>(&op.attrs)) return add_batch_norm(op, *bn);
      if (const auto* p = std::get_if<ir::PadOp>(&op.attrs)) return add_pad(op, *p);
      if (const auto* c = std::get_if<ir::CropOp>(&op.attrs)) return add_crop(op, *c);
      if (const auto* u = std::get_if<ir::UpsampleOp>(&op.attrs)) return add_upsample(op, *u);
      if (std::holds_alternative<ir::ReshapeOp>(op.attrs)) return;  // the output shares the input's buffer
      if (const auto* c = std::get_if<ir::ConcatOp>(&op.attrs)) return add_concat(op, *c);
      if (const auto* c = std::get_if<ir::CustomOp>(&op.attrs)) return add_custom(op, *c);
      if (std::holds_alternative<ir::ConvertOp>(op.attrs)) return add_convert(op);
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
  // This plan's (possibly shared) reordered weights, which it keeps alive (the cache holds them weakly), and
  // what each was made from, for release(): the source weakly, so that it can be freed.
  struct Reordered {
    std::weak_ptr<const Tensor> source;
    std::shared_ptr<const Tensor> scale;
    memory::desc source_desc;
    std::shared_ptr<memory> copy;
  };
  std::vector<Reordered> weights_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<Context>> pool_;
};

}  // namespace

void check_precision_support(const std::string& precision) {
  if (precision != "bfloat16") return;
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  // oneDNN emulates bfloat16 on older AVX-512 CPUs, slower than float32: refuse rather than run slowly.
  if (isa != dnnl::cpu_isa::avx512_core_bf16 && isa != dnnl::cpu_isa::avx512_core_amx) {
    throw ValueError(fmt::format("[compile] precision 'bfloat16' needs a CPU with native bfloat16 instructions "
                                 "(oneDNN ISA avx512_core_bf16 or newer); this CPU's effective ISA is {}. Use "
                                 "'float32'",
                                 static_cast<int>(isa)));
  }
}

namespace {

// The primitive descriptor `op` (a convolution) would get with its input and output in the blocked layout,
// or nothing when oneDNN has no kernel for it on this CPU: what the Winograd and depthwise-fusion checks ask.
std::optional<dnnl::convolution_forward::primitive_desc> blocked_conv_primitive_desc(const ir::Graph& graph,
                                                                                     ir::Op op) {
  ir::Graph probe;
  probe.values = {graph.values[op.inputs[0]], graph.values[op.output]};
  for (ir::Value& v : probe.values) v.layout = ir::Layout::kBlocked16;
  op.inputs = {0};
  op.output = 1;
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  try {
    return conv_primitive_desc(probe, op, std::get<ir::Conv2DOp>(op.attrs), engine);
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
  return pd.src_desc() == value_desc(blocked, 0) && pd.dst_desc() == value_desc(blocked, 1);
}

}  // namespace

bool onednn_prefers_winograd(const ir::Graph& graph, const ir::Op& op) {
  const auto* c = std::get_if<ir::Conv2DOp>(&op.attrs);
  if (c == nullptr) return false;
  const auto& k = c->kernel->dims();  // (KH, KW, IC/G, OC)
  const std::vector<int64_t>& out = graph.values[op.output].dims;
  // Measured on oneDNN 2.6 (avx512_core, 1 thread, layout conversions included, docs/performance.md): the
  // Winograd kernels take 0.34-0.79x the direct time from 32 channels in and out and a 4x4 output up, and
  // lose below that (3.5x slower with 3 input channels, 2.6x on a 2x2 output, whose transformed weights are
  // read whole). A convolution with a fused residual add stays direct: the rule was measured without one.
  const bool shape_pays = k[0] == 3 && k[1] == 3 && c->stride_h == 1 && c->stride_w == 1 &&
                          c->dilation_h == 1 && c->dilation_w == 1 && c->groups == 1 && k[2] >= 32 &&
                          k[3] >= 32 && out[1] >= 4 && out[2] >= 4;
  if (!shape_pays || graph.values[op.inputs[0]].dtype != ir::DataType::kFloat32 ||
      graph.values[op.output].dtype != ir::DataType::kFloat32) {
    return false;
  }
  for (const ir::PostOp& p : op.post_ops) {
    if (p.kind == ir::PostOp::Kind::kSum) return false;
  }
  // Whether oneDNN has a Winograd kernel for it, with these post-ops, on this CPU.
  ir::Op winograd = op;
  std::get<ir::Conv2DOp>(winograd.attrs).algorithm = ir::Conv2DOp::Algorithm::kWinograd;
  return blocked_conv_primitive_desc(graph, winograd).has_value();
}

bool onednn_runs_blocked(const ir::Graph& graph, const ir::Op& op) {
  const auto* c = std::get_if<ir::Conv2DOp>(&op.attrs);
  if (c == nullptr || c->algorithm != ir::Conv2DOp::Algorithm::kDirect ||
      graph.values[op.inputs[0]].dtype != ir::DataType::kFloat32 ||
      graph.values[op.output].dtype != ir::DataType::kFloat32) {
    return false;
  }
  // Measured on oneDNN 2.6 (avx512_core, 1 thread): in nChw16c the direct kernels (jit_1x1, jit_dw) run
  // MobileNetV2's depthwise convolutions in 0.5-0.9x the time of the NHWC ones (brdgmm_dw) and its narrow
  // projections (to 16-32 channels) in 0.5-0.7x; ResNet50's and MobileNetV2's other 1x1 shapes within 3%
  // either way, except an expansion from 24 channels (1.15-1.25x). Only a real kernel counts: a ref:
  // implementation would be hundreds of times slower.
  const auto pd = blocked_conv_primitive_desc(graph, op);
  return pd && std::string(pd->impl_info_str()).rfind("ref", 0) != 0 &&
         keeps_blocked_layouts(*pd, graph.values[op.inputs[0]], graph.values[op.output]);
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
  constexpr int64_t kMinBytes = int64_t{8} << 20;
  if (mode == DepthwiseFusion::kBySize) {
    ir::Graph blocked;
    blocked.values = {graph.values[pointwise.inputs[0]], graph.values[pointwise.output],
                      graph.values[depthwise.output]};
    for (ir::Value& v : blocked.values) v.layout = ir::Layout::kBlocked16;
    const int64_t expanded = blocked.bytes(1), converted = blocked.bytes(0) + blocked.bytes(2);
    if (expanded < kMinBytes || expanded < 2 * converted) return false;
  }
  const auto& dw = std::get<ir::Conv2DOp>(depthwise.attrs);
  const std::vector<int64_t>& in = graph.values[depthwise.inputs[0]].dims;
  const std::vector<int64_t>& out = graph.values[depthwise.output].dims;
  // oneDNN 2.6 computes the fused depthwise output as ceil(in / stride) with the given top/left padding and
  // whatever bottom/right padding that leaves (measured against explicit paddings: (0, 1) for stride 2 on an
  // even size, Keras's correct_pad; (1, 1) otherwise); any other padding would be silently different.
  const int64_t s = dw.stride_h, pad = dw.padding.top;
  auto implied_after = [&](int64_t size, int64_t out_size) { return (out_size - 1) * s + 3 - size - pad; };
  if (dw.stride_w != s || (s != 1 && s != 2) || dw.padding.left != pad || (pad != 0 && pad != 1) ||
      out[1] != (in[1] + s - 1) / s || out[2] != (in[2] + s - 1) / s ||
      dw.padding.bottom != implied_after(in[1], out[1]) || dw.padding.right != implied_after(in[2], out[2])) {
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
  return keeps_blocked_layouts(*pd, graph.values[pointwise.inputs[0]], graph.values[depthwise.output]) &&
         !reference && (!chained || mode == DepthwiseFusion::kAlways);
}

std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options) {
  return std::make_unique<OnednnExecutor>(graph, options);
}

}  // namespace strata::detail
