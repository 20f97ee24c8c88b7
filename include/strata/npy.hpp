#pragma once
/// @file npy.hpp
/// NumPy `.npy` files, so inputs and outputs move between strata and Python.

#include <string>

#include "strata/tensor.hpp"

namespace strata {

/// Reads a float32, int32, int64 or bool C-order `.npy` file (either byte order; format versions 1.0 to 3.0) as a
/// Tensor of that type. Throws FileError for a missing or truncated file, another dtype, Fortran order, or a
/// malformed header, saying what was expected and found.
Tensor load_npy(const std::string& path);

/// Writes `tensor` as a C-order `.npy` file of its type (format 1.0). Throws FileError when it cannot be
/// written.
void save_npy(const std::string& path, const Tensor& tensor);

}  // namespace strata
