#pragma once
// Finding NaN and infinities quickly: the runtime sends passes that meet them to the reference backend.

#include <cstdint>

namespace strata::detail {

/// True when none of the `count` floats at `data` is NaN or an infinity.
bool all_finite(const float* data, int64_t count);

}  // namespace strata::detail
