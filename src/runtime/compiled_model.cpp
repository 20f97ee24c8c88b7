#include "strata/compiled_model.hpp"

#include <fmt/format.h>

#include "graph/functional.hpp"
#include "runtime/compiled_model_impl.hpp"
#include "strata/error.hpp"

namespace strata {

Tensor CompiledModel::predict(const Tensor& input, PredictOptions options) const {
  const size_t n_outputs = impl_->model().outputs().size();
  if (n_outputs != 1) {
    throw ValueError(
        fmt::format("[predict] Model \"{}\" has {} outputs; call predict with a vector of inputs to get "
                    "them all",
                    impl_->model().name(), n_outputs));
  }
  return std::move(impl_->predict({&input}, options).front());
}

std::vector<Tensor> CompiledModel::predict(const std::vector<Tensor>& inputs, PredictOptions options) const {
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(&t);
  return impl_->predict(pointers, options);
}

std::string CompiledModel::plan_string(const std::vector<std::vector<int64_t>>& input_dims) const {
  return impl_->plan_string(input_dims);
}

std::string CompiledModel::plan_string(int64_t batch) const {
  return impl_->plan_string(impl_->dims_for_batch(batch));
}

ProfileReport CompiledModel::profile(const std::vector<Tensor>& inputs, int repetitions) const {
  return impl_->profile(inputs, repetitions);
}

std::string ProfileReport::to_string() const {
  std::string text = fmt::format("  {:>3}  {:<22} {:>9} {:>7} {:>8}  {:<29} {}\n", "#", "primitive", "ms",
                                 "share", "GFLOP/s", "implementation", "Keras layers");
  for (size_t i = 0; i < entries.size(); ++i) {
    const ProfileEntry& e = entries[i];
    text += fmt::format("  {:>3}  {:<22} {:>9.3f} {:>6.1f}% {:>8}  {:<29} {}\n", i, e.primitive,
                        e.milliseconds, 100.0 * e.share, e.gflops > 0 ? fmt::format("{:.1f}", e.gflops) : "-",
                        e.implementation, e.layers);
  }
  text += fmt::format("  steps {:.3f} ms, forward pass {:.3f} ms (median)\n", total_milliseconds,
                      forward_milliseconds);
  return text;
}

const CompileOptions& CompiledModel::options() const {
  return impl_->options();
}

}  // namespace strata
