#pragma once
// A double as the nearest float32 without undefined behaviour: C++ leaves a double beyond float's range
// undefined when converted ([conv.double]); Keras and numpy give an infinity, as IEEE rounding does.

#include <cmath>
#include <limits>

namespace strata::detail {

/// `value` rounded to float32 as IEEE rounds it: an infinity of its sign from float's largest value plus
/// half its spacing (2^103) on, the largest float below that; NaN stays NaN.
inline float saturating_float(double value) {
  constexpr double kMax = std::numeric_limits<float>::max();
  const double overflow = kMax + std::ldexp(1.0, 103);
  if (value >= overflow) return std::numeric_limits<float>::infinity();
  if (value <= -overflow) return -std::numeric_limits<float>::infinity();
  if (value > kMax) return std::numeric_limits<float>::max();
  if (value < -kMax) return -std::numeric_limits<float>::max();
  return static_cast<float>(value);
}

}  // namespace strata::detail
