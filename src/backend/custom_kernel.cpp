#include "backend/custom_kernel.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "strata/error.hpp"

namespace strata::detail {

void run_custom_op(const ir::CustomOp& op, const std::vector<CustomInput>& inputs,
                   const std::vector<std::vector<int64_t>>& output_dims, const std::vector<float*>& outputs) {
  std::vector<Tensor> in;
  for (const CustomInput& input : inputs) {
    Tensor t = Tensor::zeros(input.dims, ir::tensor_dtype_of(input.type));
    std::memcpy(t.raw_data(), input.data, static_cast<size_t>(t.nbytes()));
    in.push_back(std::move(t));
  }
  std::vector<const Tensor*> in_ptrs, weights;
  for (const Tensor& t : in) in_ptrs.push_back(&t);
  for (const auto& w : op.weights) weights.push_back(w.get());
  std::vector<Tensor> out;
  for (const std::vector<int64_t>& dims : output_dims) out.push_back(Tensor::zeros(dims));
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : out) out_ptrs.push_back(&t);
  op.definition->call_outputs(in_ptrs, weights, out_ptrs);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].dims() != output_dims[i]) {
      const std::string which =
          out.size() == 1 ? "the output's shape" : fmt::format("the shape of output {}", i);
      throw ValueError(fmt::format("[{}] call() changed {} to {}; expected {}", op.definition->class_name(),
                                   which, out[i].shape().to_string(), to_shape(output_dims[i]).to_string()));
    }
    std::memcpy(outputs[i], out[i].data(), static_cast<size_t>(out[i].size()) * sizeof(float));
  }
}

}  // namespace strata::detail
