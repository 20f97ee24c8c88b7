#include "core/initializers.hpp"

#include <fmt/format.h>

#include <cmath>
#include <random>

#include "core/limits.hpp"
#include "core/session.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

const std::vector<std::string>& known_initializers() {
  static const std::vector<std::string> names = {"glorot_uniform", "glorot_normal", "he_uniform",
                                                 "he_normal",      "lecun_uniform", "lecun_normal",
                                                 "zeros",          "ones"};
  return names;
}

double unit_uniform(std::mt19937_64& engine) { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

// Box-Muller on our own unit draws, so the values do not depend on the standard library.
double standard_normal(std::mt19937_64& engine) {
  double u1 = unit_uniform(engine);
  while (u1 <= 0.0) u1 = unit_uniform(engine);
  const double u2 = unit_uniform(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace

void check_initializer(const std::string& name, const std::string& where) {
  for (const std::string& known : known_initializers()) {
    if (known == name) return;
  }
  throw ValueError(fmt::format("{} Unknown initializer '{}'. Expected one of: {}", where, name,
                               fmt::join(known_initializers(), ", ")));
}

Tensor initialize(const std::string& name, std::vector<int64_t> dims, double fan_in, double fan_out) {
  // Checked before allocating: a product that overflowed would allocate the wrong size, and a failed
  // allocation must say how much was asked for.
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d > 0 && elements > kMaxSampleElements / d) {
      throw ResourceError(
          fmt::format("A weight of shape ({}) would have more than 2^40 elements", fmt::join(dims, ", ")));
    }
    elements *= d;
  }
  Tensor t;
  try {
    t = Tensor::zeros(dims);
  } catch (const std::bad_alloc&) {
    throw ResourceError(fmt::format("Could not allocate {} bytes ({:.2f} GB) for a weight of shape ({})",
                                    elements * 4, static_cast<double>(elements) * 4e-9,
                                    fmt::join(dims, ", ")));
  }
  float* v = t.data();
  const int64_t n = t.size();
  if (name == "zeros") return t;
  if (name == "ones") {
    for (int64_t i = 0; i < n; ++i) v[i] = 1.0f;
    return t;
  }
  // Keras's variance scaling: scale / fan, with fan_avg for glorot, fan_in for he (scale 2) and lecun.
  double scale = 1.0;
  double fan = fan_in;
  if (name.starts_with("glorot")) fan = (fan_in + fan_out) / 2.0;
  if (name.starts_with("he")) scale = 2.0;
  const double variance = scale / std::max(1.0, fan);
  const bool uniform = name.ends_with("uniform");
  with_weight_generator([&](std::mt19937_64& engine) {
    if (uniform) {
      const double limit = std::sqrt(3.0 * variance);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((2.0 * unit_uniform(engine) - 1.0) * limit);
    } else {
      // Truncated normal at two standard deviations; 0.8796... is the stddev of a unit normal so truncated.
      const double stddev = std::sqrt(variance) / 0.87962566103423978;
      for (int64_t i = 0; i < n; ++i) {
        double x = standard_normal(engine);
        while (std::abs(x) > 2.0) x = standard_normal(engine);
        v[i] = static_cast<float>(x * stddev);
      }
    }
  });
  return t;
}

}  // namespace strata::detail
