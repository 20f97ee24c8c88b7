#include "core/released_weight.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace strata::detail {
namespace {

constexpr uint8_t kExact = 0, kUp = 1, kDown = 2, kException = 3;

// Encoder and decoder must compute r the same way, so both call this.
float unscaled(float y, std::span<const float> scale, size_t i, int64_t channels) {
  return scale.empty() ? y : y / scale[i % static_cast<size_t>(channels)];
}

float up(float r) {
  return std::nextafter(r, std::numeric_limits<float>::infinity());
}
float down(float r) {
  return std::nextafter(r, -std::numeric_limits<float>::infinity());
}

}  // namespace

size_t WeightCorrections::bytes() const {
  return codes.capacity() + exceptions.capacity() * sizeof(exceptions[0]);
}

std::optional<WeightCorrections> encode_corrections(std::span<const float> kernel,
                                                    std::span<const float> scaled,
                                                    std::span<const float> scale, int64_t channels) {
  if (kernel.size() >= (size_t{1} << 32) || kernel.size() != scaled.size()) return std::nullopt;
  WeightCorrections out;
  std::vector<uint8_t> codes((kernel.size() + 3) / 4, 0);
  bool any = false;
  const size_t max_exceptions = kernel.size() / 16;
  for (size_t i = 0; i < kernel.size(); ++i) {
    const uint32_t k = std::bit_cast<uint32_t>(kernel[i]);
    const float r = unscaled(scaled[i], scale, i, channels);
    uint8_t code = kException;
    if (std::bit_cast<uint32_t>(r) == k) {
      code = kExact;
    } else if (std::bit_cast<uint32_t>(up(r)) == k) {
      code = kUp;
    } else if (std::bit_cast<uint32_t>(down(r)) == k) {
      code = kDown;
    } else {
      if (out.exceptions.size() == max_exceptions) return std::nullopt;
      out.exceptions.emplace_back(static_cast<uint32_t>(i), k);
    }
    codes[i / 4] |= static_cast<uint8_t>(code << (2 * (i % 4)));
    any = any || code != kExact;
  }
  if (any) out.codes = std::move(codes);
  out.exceptions.shrink_to_fit();
  return out;
}

void apply_corrections(std::span<float> values, std::span<const float> scale, int64_t channels,
                       const WeightCorrections& corrections) {
  if (corrections.codes.empty() && scale.empty()) return;
  auto next_exception = corrections.exceptions.begin();
  for (size_t i = 0; i < values.size(); ++i) {
    const float r = unscaled(values[i], scale, i, channels);
    const uint8_t code = corrections.codes.empty()
                             ? kExact
                             : static_cast<uint8_t>((corrections.codes[i / 4] >> (2 * (i % 4))) & 3);
    switch (code) {
      case kExact:
        values[i] = r;
        break;
      case kUp:
        values[i] = up(r);
        break;
      case kDown:
        values[i] = down(r);
        break;
      default:
        values[i] = std::bit_cast<float>((next_exception++)->second);
        break;
    }
  }
}

}  // namespace strata::detail
