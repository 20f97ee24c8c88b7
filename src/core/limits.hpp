#pragma once
// Size limits every part of strata shares.

#include <cstdint>

namespace strata::detail {

/// The most elements one sample of a tensor (or one weight) may have: 2^40 (4 TiB of float32), beyond any
/// machine, and small enough that shape arithmetic on checked shapes cannot overflow int64.
constexpr int64_t kMaxSampleElements = int64_t{1} << 40;

}  // namespace strata::detail
