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

/// One primitive's share of a forward pass, from `CompiledModel::profile`.
struct ProfileEntry {
  /// The primitive and its post-op chain, e.g. "conv + sum + relu".
  std::string primitive;
  /// The Keras layers it computes, comma-separated.
  std::string layers;
  /// The implementation oneDNN chose (e.g. "brgconv:avx512_core"), "strata:cpp", or "reference loops".
  std::string implementation;
  /// Median time per forward pass, in milliseconds.
  double milliseconds = 0.0;
  /// Arithmetic rate of convolutions and dense layers (2 FLOP per multiply-accumulate); 0 for other steps.
  double gflops = 0.0;
  /// Fraction of the summed step times.
  double share = 0.0;
};

/// Per-primitive timings of a compiled model, in run order.
struct ProfileReport {
  /// One entry per primitive, in run order.
  std::vector<ProfileEntry> entries;
  /// Sum of the entries' median times, in milliseconds.
  double total_milliseconds = 0.0;
  /// Median wall time of a whole forward pass (includes copying inputs and outputs), in milliseconds.
  double forward_milliseconds = 0.0;
  /// The report as a table, slowest steps easy to spot.
  std::string to_string() const;
};

/// A model compiled with fixed options. A plan is built for each concrete input shape (batch size, and
/// image size where an Input said `None`) the first time it is seen, then cached (at most 8 shapes,
/// least recently used dropped first). If the model's weights change (`set_weights`), the next call
/// rebuilds the plan, so results always reflect the current weights.
///
/// Thread safety: `predict` may be called from several threads at once on one CompiledModel; each call
/// takes its own activation arena and scratchpad from a pool, so the answers equal serial calls (bitwise,
/// except that a Winograd convolution run on fewer threads, as concurrent calls with adaptive threads may
/// be, rounds differently in the last bits; see docs/compiler.md).
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
  /// Times each primitive separately over `repetitions` forward passes (after one warm-up pass) on these
  /// inputs and returns medians mapped to Keras layer names. Errors as `predict`; ValueError for
  /// repetitions below 1.
  ProfileReport profile(const std::vector<Tensor>& inputs, int repetitions = 10) const;
  /// The options this model was compiled with.
  const CompileOptions& options() const;

  /// @internal
  explicit CompiledModel(std::shared_ptr<detail::CompiledModelImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<detail::CompiledModelImpl> impl_;
};

}  // namespace strata
