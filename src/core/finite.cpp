#include "core/finite.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace strata::detail {

bool all_finite(const float* data, int64_t count) {
  // Exponent bits all ones means NaN or an infinity. Testing the bits (not std::isfinite) in a branch-free
  // OR lets the compiler vectorize the loop: it runs on every input of every pass.
  constexpr uint32_t kExponent = 0x7f800000u;
  constexpr int64_t kChunk = 4096;
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int64_t end = begin + kChunk < count ? begin + kChunk : count;
    uint32_t any = 0;
    for (int64_t i = begin; i < end; ++i) {
      uint32_t bits;
      std::memcpy(&bits, data + i, sizeof bits);
      any |= static_cast<uint32_t>((bits & kExponent) == kExponent);
    }
    if (any) return false;
  }
  return true;
}

float narrow_to_float(double value) {
  return std::fabs(value) <= std::numeric_limits<float>::max() ? static_cast<float>(value) : 0.0f;
}

}  // namespace strata::detail
