#include "backend/gather_kernel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

#include "backend/integer_ids.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

namespace strata::detail {
namespace {

// Below this many output floats a team costs more than the copy.
constexpr int64_t kParallelFloats = int64_t{1} << 15;

template <class Id>
void gather(const ir::GatherOp& op, const std::vector<int64_t>& id_dims, const Id* ids, float* dst) {
  const int64_t rows = op.table->dims()[0], width = op.table->dims()[1];
  const int64_t count = element_count(id_dims);
  // Every id is checked before any row is copied, so that a bad one never leaves a half-written output.
  for (int64_t i = 0; i < count; ++i) {
    const int64_t id = ids[i];
    if (id < -rows || id >= rows) {
      throw ValueError(fmt::format(
          "{} Expected ids in [-{}, {}) (input_dim {}), received {} at index ({}) of the input{}", op.where,
          rows, rows, rows, id, fmt::join(position_of(i, id_dims), ", "),
          op.ids_cast
              ? " (cast to int32 from a float or bool input, as Keras casts ids: NaN and values beyond "
                "int32 become -2147483648)"
              : ""));
    }
  }
  const float* table = op.table->data();
  auto copy = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t id = ids[i] < 0 ? ids[i] + rows : ids[i];
      std::memcpy(dst + i * width, table + id * width, static_cast<size_t>(width) * sizeof(float));
    }
  };
  if (count * width < kParallelFloats) {
    copy(0, count);
  } else {
    strata::parallel_for(0, count, copy);
  }
}

}  // namespace

void run_gather(const ir::GatherOp& op, const std::vector<int64_t>& id_dims, ir::DataType id_type,
                const void* ids, float* dst) {
  visit_ids(id_type, ids, "gather", [&](const auto* typed) { gather(op, id_dims, typed, dst); });
}

}  // namespace strata::detail
