#include "backend/one_hot_kernel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "backend/integer_ids.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

namespace strata::detail {
namespace {

// Below this many output floats a team costs more than the writes.
constexpr int64_t kParallelFloats = int64_t{1} << 15;

template <class Id>
void encode(const ir::OneHotOp& op, const std::vector<int64_t>& id_dims, const Id* ids, float* dst) {
  const int64_t depth = op.depth, count = element_count(id_dims);
  for (int64_t i = 0; i < count; ++i) {
    if (ids[i] < 0 || ids[i] >= depth) {
      throw ValueError(fmt::format(
          "{} Expected values in [0, {}) (num_tokens {}), received {} at index ({}) of the input{}", op.where,
          depth, depth, static_cast<int64_t>(ids[i]), fmt::join(position_of(i, id_dims), ", "),
          op.ids_cast ? " (cast to int32 from a float or bool input: NaN and values beyond int32 become "
                        "-2147483648)"
                      : ""));
    }
  }
  // One output row per id (one_hot) or per row of ids (multi_hot, count).
  const bool per_id = op.mode == ir::OneHotOp::Mode::kOneHot;
  const int64_t width = per_id ? 1 : id_dims.back(), rows = count / width;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* row = dst + r * depth;
      std::fill(row, row + depth, 0.0f);
      for (int64_t j = 0; j < width; ++j) {
        const auto id = static_cast<int64_t>(ids[r * width + j]);
        row[id] = op.mode == ir::OneHotOp::Mode::kCount ? row[id] + 1.0f : 1.0f;
      }
    }
  };
  if (rows * depth < kParallelFloats) {
    run(0, rows);
  } else {
    strata::parallel_for(0, rows, run);
  }
}

}  // namespace

void run_one_hot(const ir::OneHotOp& op, const std::vector<int64_t>& id_dims, ir::DataType id_type,
                 const void* ids, float* dst) {
  visit_ids(id_type, ids, "one_hot", [&](const auto* typed) { encode(op, id_dims, typed, dst); });
}

}  // namespace strata::detail
