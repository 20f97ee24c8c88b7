#pragma once
// The runtime behind CompiledModel: input checks, the per-shape plan cache, and batch slicing.

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "runtime/executor.hpp"
#include "runtime/thread_chooser.hpp"
#include "strata/compile_options.hpp"
#include "strata/compiled_model.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

class FunctionalImpl;

/// A program compiled for one concrete set of input dimensions and one thread count.
struct Plan {
  ir::Graph graph;
  std::unique_ptr<Executor> executor;
  uint64_t weights_version = 0;
  /// The threads its primitives were created for (0: OpenMP's default, with adaptive_threads off).
  int threads = 0;
  /// The layer of the first NaN or infinite weight of the program, or empty: oneDNN's kernels would not
  /// give Keras's answer (see CompiledModelImpl::run), so every pass runs the reference plan.
  std::string non_finite_weight_layer;
  /// Passes run so far: the first touches a fresh arena and is not timed for the thread chooser.
  mutable std::atomic<int64_t> passes{0};
};

class CompiledModelImpl {
 public:
  /// The plan cache keeps the most recently used input shapes: always the last kMinCachedShapes, whatever
  /// their plans hold; older ones up to kMaxCachedShapes while what they hold between passes (arenas,
  /// scratchpads) stays within kExtraCacheBytes. Many small shapes (a text model's sequence lengths) then
  /// stay cached without rebuilding, and large ones are bounded as before.
  static constexpr size_t kMinCachedShapes = 8;
  static constexpr size_t kMaxCachedShapes = 64;
  static constexpr int64_t kExtraCacheBytes = int64_t{256} << 20;

  /// `model` must outlive this object; `owner`, when given, keeps it alive (null when the model itself
  /// owns this cache).
  CompiledModelImpl(const FunctionalImpl* model, std::shared_ptr<const FunctionalImpl> owner,
                    CompileOptions options);

  /// Takes the inputs by pointer: the public predict overloads pass the caller's tensors without copying.
  std::vector<Tensor> predict(const std::vector<const Tensor*>& inputs, const PredictOptions& options) const;
  /// The plan for these input dimensions and `threads` threads (-1: the most a pass may use), compiled now
  /// or taken from the cache. Plans for more than one thread are built on a team thread.
  std::shared_ptr<const Plan> plan_for(const std::vector<std::vector<int64_t>>& input_dims,
                                       int threads = -1) const;
  /// The most threads a pass of this model may use (0 with adaptive_threads off and num_threads 0).
  int most_threads() const;
  std::string plan_string(const std::vector<std::vector<int64_t>>& input_dims) const;
  ProfileReport profile(const std::vector<Tensor>& inputs, int repetitions) const;
  /// Input dimensions with batch `batch`; ValueError, prefixed "[where]" and ending in `remedy`, when an
  /// input has an unknown non-batch dimension.
  std::vector<std::vector<int64_t>> dims_for_batch(
      int64_t batch, const char* where = "plan_string",
      const char* remedy = "pass the input dimensions explicitly") const;
  /// CompileOptions::release_weights: builds the batch-1 plan and gives every weight of `model` (the model
  /// compiled) it holds an exact copy of over to a record rebuilding it. Changes the model, so like
  /// set_weights it must not run concurrently with other uses of it.
  void release_weights(FunctionalImpl& model);
  const CompileOptions& options() const { return options_; }
  /// Tests only: other limits than kMinCachedShapes, kMaxCachedShapes and kExtraCacheBytes.
  void set_cache_limits(size_t min_shapes, size_t max_shapes, int64_t extra_bytes) {
    min_cached_ = min_shapes;
    max_cached_ = max_shapes;
    extra_bytes_ = extra_bytes;
  }
  const FunctionalImpl& model() const { return *model_; }

 private:
  /// Throws ValueError or ShapeError, prefixed "[where]", unless `dims` fit the model's Inputs.
  void check_input_dims(const std::vector<std::vector<int64_t>>& dims, const char* where) const;
  /// Throws ValueError, prefixed "[where]", unless each input has its Input's element type.
  void check_input_dtypes(const std::vector<const Tensor*>& inputs, const char* where) const;
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs) const;
  /// CompileOptions::non_finite "error": throws ValueError naming the first non-finite input element, or
  /// else `weight_layer`.
  [[noreturn]] void throw_non_finite(const std::vector<const Tensor*>& inputs,
                                     const std::string& weight_layer) const;
  /// The cache entry of these dimensions, created (without plans) when missing; `mutex_` held.
  struct ShapePlans;
  ShapePlans& entry_for(const std::vector<std::vector<int64_t>>& input_dims) const;
  /// A plan of options_.backend for `threads` threads, or with `exact` a plan of the reference backend in
  /// float32 (what passes meeting NaN or infinities run).
  std::shared_ptr<const Plan> build_plan(const std::vector<std::vector<int64_t>>& input_dims, int threads,
                                         bool exact = false) const;
  /// The reference plan for these dimensions, compiled now or taken from the cache.
  std::shared_ptr<const Plan> exact_plan_for(const std::vector<std::vector<int64_t>>& input_dims) const;
  /// Runs `work` holding `threads` threads of the process's budget (on a team thread when more than one).
  void with_threads(int threads, const std::function<void(int granted)>& work) const;

  const FunctionalImpl* model_;
  std::shared_ptr<const FunctionalImpl> owner_;
  CompileOptions options_;
  // What release_weights did, for the plan report.
  struct ReleaseReport {
    size_t weights = 0, candidates = 0, bytes = 0;
  };
  ReleaseReport released_;
  // The thread counts a pass may use (thread_counts(most_threads())).
  std::vector<int> thread_counts_;
  // One entry per input shape, most recently used first: its plans (one per thread count run so far) and
  // the chooser of the thread count, which learns from that shape's passes.
  struct ShapePlans {
    std::vector<std::vector<int64_t>> dims;
    uint64_t weights_version = 0;
    std::vector<std::shared_ptr<const Plan>> plans;
    std::shared_ptr<const Plan> exact;  // built on the first pass that needs it
    std::shared_ptr<ThreadChooser> chooser;
  };
  mutable std::mutex mutex_;
  mutable std::list<ShapePlans> cache_;
  size_t min_cached_ = kMinCachedShapes, max_cached_ = kMaxCachedShapes;
  int64_t extra_bytes_ = kExtraCacheBytes;
  /// Drops the least recently used entries past the limits; `mutex_` held.
  void trim_cache() const;
};

/// Throws ValueError unless the options name a known backend and precision and a valid thread count.
void validate_compile_options(const CompileOptions& options);

}  // namespace strata::detail
