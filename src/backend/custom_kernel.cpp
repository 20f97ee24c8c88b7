#include "backend/custom_kernel.hpp"

#include <fmt/format.h>

#include <cstring>

#include "strata/error.hpp"

namespace strata::detail {

void run_custom_op(const ir::CustomOp& op, const std::vector<std::vector<int64_t>>& input_dims,
                   const std::vector<const float*>& inputs, const std::vector<int64_t>& output_dims, float* output) {
  std::vector<Tensor> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int64_t n = element_count(input_dims[i]);
    in.emplace_back(input_dims[i], std::vector<float>(inputs[i], inputs[i] + n));
  }
  std::vector<const Tensor*> in_ptrs, weights;
  for (const Tensor& t : in) in_ptrs.push_back(&t);
  for (const auto& w : op.weights) weights.push_back(w.get());
  Tensor out = Tensor::zeros(output_dims);
  op.definition->call(in_ptrs, weights, out);
  if (out.dims() != output_dims) {
    throw ValueError(fmt::format("[{}] call() changed the output's shape to {}; expected {}", op.definition->class_name(),
                                 out.shape().to_string(), to_shape(output_dims).to_string()));
  }
  std::memcpy(output, out.data(), static_cast<size_t>(out.size()) * sizeof(float));
}

}  // namespace strata::detail
