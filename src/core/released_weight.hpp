#pragma once
// A layer weight whose Keras-layout tensor was freed after compiling (CompileOptions::release_weights) and
// is rebuilt bit for bit, on demand, from the copy a plan keeps. The interface lives in core so that layers
// can hold one without seeing the backend that implements it; the corrections live here so that they can be
// tested without a backend.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::detail {

class ReleasedWeight {
 public:
  virtual ~ReleasedWeight() = default;
  /// The released tensor's dims, known without rebuilding it.
  virtual const std::vector<int64_t>& dims() const = 0;
  /// The released tensor, bitwise equal to it. While one caller holds the result, others get the same
  /// tensor. Safe to call from several threads at once.
  virtual std::shared_ptr<const Tensor> materialize() const = 0;
  /// Bytes the record holds besides the plan's copy (the corrections).
  virtual size_t overhead_bytes() const = 0;
};

/// What turns a per-channel scaled copy y = fl(k * s[c]) back into k exactly: with r = y / s[c] (r = y when
/// there is no scale), a 2-bit code per element: 0 k is r, 1 k is nextafter(r, +inf), 2 k is
/// nextafter(r, -inf), 3 k is in `exceptions`. All comparisons are on the bits, so NaN and -0 round-trip.
struct WeightCorrections {
  /// Four codes per byte, element i in bits 2 * (i % 4); empty when every code is 0.
  std::vector<uint8_t> codes;
  /// (element index, bits of k) for every code 3, by increasing index.
  std::vector<std::pair<uint32_t, uint32_t>> exceptions;
  /// Heap bytes of both lists.
  size_t bytes() const;
};

/// The corrections rebuilding `kernel` from `scaled` (same size; element i's channel is i % `channels`, the
/// last Keras axis, as in ir::effective_kernel; `scale` empty for none). Nothing when more than 1/16 of the
/// elements are exceptions (the record would then save little) or there are 2^32 elements or more.
std::optional<WeightCorrections> encode_corrections(std::span<const float> kernel,
                                                    std::span<const float> scaled,
                                                    std::span<const float> scale, int64_t channels);

/// Turns `values` (the scaled copy passed to encode_corrections) into the kernel, in place.
void apply_corrections(std::span<float> values, std::span<const float> scale, int64_t channels,
                       const WeightCorrections& corrections);

}  // namespace strata::detail
