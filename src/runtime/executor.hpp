#pragma once
// What a backend hands the runtime: something that runs one compiled program on raw buffers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/released_weight.hpp"

namespace strata::detail {

/// One step's timing from Executor::profile.
struct StepProfile {
  std::string primitive, layers, implementation;
  std::vector<double> milliseconds;  // one per repetition
  double flops = 0.0;                // per forward pass
};

class Executor {
 public:
  virtual ~Executor() = default;
  /// Runs the program: reads one dense row-major buffer per graph input, writes one per graph output, each
  /// of its value's type (float32, or an integer input's int32/int64). Must be safe to call from several
  /// threads at once.
  virtual void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) const = 0;
  /// The plan report (one line per primitive), without the header the runtime adds.
  virtual std::string plan_string() const = 0;
  /// Runs `repetitions` forward passes, timing every step on its own (waiting for it to finish).
  virtual std::vector<StepProfile> profile(const std::vector<const void*>& inputs, int repetitions) const = 0;
  /// Number of primitives (or kernel calls) per forward pass.
  virtual int step_count() const = 0;
  /// Bytes of working memory the plan keeps between passes (pooled arenas and scratchpads), which the plan
  /// cache weighs; 0 when every pass allocates its own.
  virtual int64_t held_bytes() const { return 0; }
  /// A record rebuilding `weight` bit for bit from this plan's own copy of it, so that the layer may free
  /// its tensor (CompileOptions::release_weights); null when the plan holds no copy it can turn back exactly.
  virtual std::shared_ptr<const ReleasedWeight> release(
      const std::shared_ptr<const Tensor>& /*weight*/) const {
    return nullptr;
  }
};

}  // namespace strata::detail
