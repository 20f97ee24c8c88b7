#pragma once
// What the kernels that read integer ids share (the Embedding gather, CategoryEncoding's one_hot): an id's
// position for their error messages, and the dispatch on the ids' type.

#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"
#include "strata/error.hpp"

namespace strata::detail {

/// The multi-index of flat position `at` in `dims`.
inline std::vector<int64_t> position_of(int64_t at, const std::vector<int64_t>& dims) {
  std::vector<int64_t> index(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = at % dims[d];
    at /= dims[d];
  }
  return index;
}

/// Calls `f` with `ids` as `const int32_t*` or `const int64_t*`; throws InternalError naming `kernel` for
/// another type (the layers cast ids first).
template <class F>
void visit_ids(ir::DataType type, const void* ids, const char* kernel, F&& f) {
  switch (type) {
    case ir::DataType::kInt32:
      return f(static_cast<const int32_t*>(ids));
    case ir::DataType::kInt64:
      return f(static_cast<const int64_t*>(ids));
    case ir::DataType::kFloat32:
    case ir::DataType::kBFloat16:
    case ir::DataType::kBool:
      break;
  }
  throw InternalError(fmt::format("{}: ids that are not int32 or int64 reached the kernel", kernel));
}

}  // namespace strata::detail
