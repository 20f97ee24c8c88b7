#pragma once
// Reading the arrays of the HDF5 files Keras wrote (inputs, predictions, activations) as Tensors, for the
// tests that compare strata with what Keras computed.

#include <string>
#include <vector>

#include "io/hdf5_file.hpp"
#include "strata/tensor.hpp"

namespace strata_test {

/// The float dataset `name` of `group` (widened from float16 or bfloat16 as the weights reader does).
inline strata::Tensor read_dataset(const strata::detail::h5::Group& group, const std::string& name) {
  const strata::detail::h5::Dataset d = group.open_dataset(name);
  const std::vector<int64_t> dims = d.dims();
  int64_t count = 1;
  for (int64_t n : dims) count *= n;
  return strata::Tensor(dims, d.read_floats(count));
}

/// The float dataset at `path` ("outputs/conv0") of the file `file`.
inline strata::Tensor read_dataset(const std::string& file, const std::string& path) {
  return read_dataset(strata::detail::h5::File::open(file).root(), path);
}

}  // namespace strata_test
