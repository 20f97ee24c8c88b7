#include "backend/onednn/onednn_executor.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "backend/onednn/convolution_rules.hpp"
#include "backend/onednn/descriptors.hpp"
#include "backend/onednn/plan_builder.hpp"
#include "backend/onednn/post_op_rules.hpp"
#include "backend/onednn/released_weights.hpp"
#include "strata/error.hpp"
#include "strata/tensor.hpp"

// The executor of a oneDNN plan: what every step shares (the arena, scratchpads, streams, the thread count)
// and running, profiling and reporting the steps PlanBuilder made.

namespace strata::detail {
namespace {

using onednn::Arg;
using onednn::layout_name;
using onednn::memory;
using onednn::Reordered;
using onednn::Step;
using onednn::tag;

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
    onednn::PlanBuilder builder(graph_, engine_);
    for (const ir::Op& op : graph_.ops) builder.add(op);
    steps_ = builder.take_steps();
    weights_ = builder.take_weights();
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

  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) const override {
    // Scoped: the context goes back to the pool and the thread count is restored even when a step throws
    // (a custom kernel may throw anything).
    const PooledContext ctx(*this);
    const OmpThreadScope threads(num_threads_);
    try {
      for (size_t i = 0; i < inputs.size(); ++i) {
        const ir::ValueId v = graph_.inputs[i];
        std::memcpy(ctx->arena.get() + graph_.values[v].offset, inputs[i],
                    static_cast<size_t>(graph_.bytes(v)));
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
        const ir::ValueId v = graph_.outputs[i];
        std::memcpy(outputs[i], ctx->arena.get() + graph_.values[v].offset,
                    static_cast<size_t>(graph_.bytes(v)));
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

  int64_t held_bytes() const override {
    std::lock_guard lock(pool_mutex_);
    return static_cast<int64_t>(pool_.size()) *
           (graph_.arena_bytes + static_cast<int64_t>(scratchpad_bytes_));
  }

  std::vector<StepProfile> profile(const std::vector<const void*>& inputs, int repetitions) const override {
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
        const ir::ValueId v = graph_.inputs[i];
        std::memcpy(ctx->arena.get() + graph_.values[v].offset, inputs[i],
                    static_cast<size_t>(graph_.bytes(v)));
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

  ir::Graph graph_;
  int num_threads_;
  dnnl::engine engine_;
  std::vector<Step> steps_;
  size_t scratchpad_bytes_ = 0;
  // This plan's (possibly shared) reordered weights, which it keeps alive.
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

BackendRules onednn_rules() {
  return {onednn_accepts_post_ops, onednn_fuses_depthwise,     onednn_fuses_binary, onednn_prefers_winograd,
          onednn_runs_blocked,     onednn_prefers_subsampling, onednn::kMaxRank};
}

std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options) {
  return std::make_unique<OnednnExecutor>(graph, options);
}

}  // namespace strata::detail
