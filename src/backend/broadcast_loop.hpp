#pragma once
// numpy's broadcasting as a loop over the output, shared by the plain C++ element-wise steps of both
// backends (typed ops, a power, a binary op whose operands both stretch).

#include <array>
#include <cstdint>
#include <vector>

#include "strata/parallel.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

// Below this many elements a team costs more than the loop.
inline constexpr int64_t kParallelElements = int64_t{1} << 14;

// Calls `body(i, offsets)` for every output element i, with each input's element offset under numpy's
// broadcasting (a size-1 axis, or a missing leading one, stays put). Chunks run on the OpenMP team, each
// from its own multi-index.
template <size_t N, class Body>
inline void broadcast_loop(const std::vector<int64_t>& dst_dims,
                           const std::array<std::vector<int64_t>, N>& in_dims, const Body& body) {
  const size_t rank = dst_dims.size();
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) {
    strides[k].assign(rank, 0);
    const size_t lead = rank - in_dims[k].size();
    int64_t stride = 1;
    for (size_t d = in_dims[k].size(); d-- > 0;) {
      strides[k][d + lead] = in_dims[k][d] == 1 ? 0 : stride;
      stride *= in_dims[k][d];
    }
  }
  const int64_t total = element_count(dst_dims);
  if (total == 0) return;
  auto chunk = [&](int64_t begin, int64_t end) {
    std::vector<int64_t> index(rank, 0);
    std::array<int64_t, N> offsets{};
    for (int64_t rest = begin, d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      index[d] = rest % dst_dims[d];
      rest /= dst_dims[d];
      for (size_t k = 0; k < N; ++k) offsets[k] += index[d] * strides[k][d];
    }
    for (int64_t i = begin; i < end; ++i) {
      body(i, offsets);
      for (size_t d = rank; d-- > 0;) {
        for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
        if (++index[d] < dst_dims[d]) break;
        for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * dst_dims[d];
        index[d] = 0;
      }
    }
  };
  if (total < kParallelElements) {
    chunk(0, total);
  } else {
    strata::parallel_for(0, total, chunk);
  }
}

}  // namespace strata::detail
