#pragma once
// The runtime behind CompiledModel: input checks, the per-shape plan cache, and batch slicing.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "compiler/ir.hpp"
#include "runtime/executor.hpp"
#include "strata/compile_options.hpp"
#include "strata/compiled_model.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

class FunctionalImpl;

/// A program compiled for one concrete set of input dimensions.
struct Plan {
  ir::Graph graph;
  std::unique_ptr<Executor> executor;
  uint64_t weights_version = 0;
};

class CompiledModelImpl {
 public:
  static constexpr size_t kMaxCachedPlans = 8;

  /// `model` must outlive this object; `owner`, when given, keeps it alive (null when the model itself
  /// owns this cache).
  CompiledModelImpl(const FunctionalImpl* model, std::shared_ptr<const FunctionalImpl> owner, CompileOptions options);

  /// Takes the inputs by pointer: the public predict overloads pass the caller's tensors without copying.
  std::vector<Tensor> predict(const std::vector<const Tensor*>& inputs, const PredictOptions& options) const;
  /// The plan for these input dimensions, compiled now or taken from the cache.
  std::shared_ptr<const Plan> plan_for(const std::vector<std::vector<int64_t>>& input_dims) const;
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
  const FunctionalImpl& model() const { return *model_; }

 private:
  /// Throws ValueError or ShapeError, prefixed "[where]", unless `dims` fit the model's Inputs.
  void check_input_dims(const std::vector<std::vector<int64_t>>& dims, const char* where) const;
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs) const;

  const FunctionalImpl* model_;
  std::shared_ptr<const FunctionalImpl> owner_;
  CompileOptions options_;
  // What release_weights did, for the plan report.
  struct ReleaseReport {
    size_t weights = 0, candidates = 0, bytes = 0;
  };
  ReleaseReport released_;
  mutable std::mutex mutex_;
  mutable std::list<std::pair<std::vector<std::vector<int64_t>>, std::shared_ptr<const Plan>>> cache_;
};

/// Throws ValueError unless the options name a known backend and precision and a valid thread count.
void validate_compile_options(const CompileOptions& options);

}  // namespace strata::detail
