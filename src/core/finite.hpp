#pragma once
// Finding NaN and infinities quickly: the runtime sends passes that meet them to the reference backend.

#include <cstdint>

namespace strata::detail {

/// True when none of the `count` floats at `data` is NaN or an infinity.
bool all_finite(const float* data, int64_t count);

/// `value` as a float32 when it is within float32's range, otherwise 0: converting a double beyond that
/// range (or NaN) is undefined behaviour, so layers narrow their arguments with this and refuse the double.
float narrow_to_float(double value);

}  // namespace strata::detail
