#pragma once
/// @file compiled_model.hpp
/// `strata::CompiledModel`: a model lowered to a plan of primitives, ready to run forward passes.

#include <memory>
#include <string>
#include <vector>

#include "strata/compile_options.hpp"
#include "strata/tensor.hpp"

namespace strata {

namespace detail {
class CompiledModelImpl;
}

/// A model compiled with fixed options. A plan is built for each concrete input shape (batch size, and
/// image size where an Input said `None`) the first time it is seen, then cached (at most 8 shapes,
/// least recently used dropped first). If the model's weights change (`set_weights`), the next call
/// rebuilds the plan, so results always reflect the current weights.
///
/// Thread safety: `predict` may be called from several threads at once on one CompiledModel; each call
/// takes its own activation arena and scratchpad from a pool, so the answers equal serial calls.
/// Changing weights while a predict runs is not allowed.
class CompiledModel {
 public:
  /// Runs a forward pass of a single-input, single-output model. Throws ShapeError when the input's
  /// rank or non-batch dimensions differ from the model's Input, or the batch is empty; ValueError when
  /// the model has several inputs or outputs.
  Tensor predict(const Tensor& input, PredictOptions options = {}) const;
  /// Runs a forward pass with one tensor per model input; returns one tensor per model output. Throws
  /// ValueError for a wrong count of tensors and ShapeError for a wrong shape, naming the input.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs, PredictOptions options = {}) const;
  /// A report of the plan for inputs of the given dimensions (batch included), one line per primitive in
  /// run order: the Keras layers it covers, its post-op chain, the implementation, layouts, then the
  /// arena and weight bytes.
  std::string plan_string(const std::vector<std::vector<int64_t>>& input_dims) const;
  /// The plan report for batch size `batch`, for models whose Input shapes are known but for the batch.
  /// Throws ValueError when an Input has an unknown (`None`) non-batch dimension.
  std::string plan_string(int64_t batch = 1) const;
  /// The options this model was compiled with.
  const CompileOptions& options() const;

  /// @internal
  explicit CompiledModel(std::shared_ptr<detail::CompiledModelImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<detail::CompiledModelImpl> impl_;
};

}  // namespace strata
