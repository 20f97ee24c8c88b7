#pragma once
/// @file tensor.hpp
/// Dense float32 tensors, row-major and channels-last (NHWC), the data that predict consumes and returns.

#include <cstdint>
#include <vector>

#include "strata/shape.hpp"

namespace strata {

/// A dense float32 tensor in row-major order. Image tensors are NHWC, as in Keras.
class Tensor {
 public:
  /// An empty tensor (rank 0, no elements).
  Tensor() = default;
  /// A tensor of the given dimensions holding `values` in row-major order. Throws ValueError when a
  /// dimension is negative or when the count of values is not the product of the dimensions.
  Tensor(std::vector<int64_t> dims, std::vector<float> values);

  /// A tensor of zeros. Throws ValueError for a negative dimension.
  static Tensor zeros(std::vector<int64_t> dims);
  /// A tensor of values drawn uniformly from [minval, maxval) by a generator seeded with `seed`:
  /// the same seed gives the same values on every run and machine.
  static Tensor random_uniform(std::vector<int64_t> dims, uint64_t seed, float minval = 0.0f,
                               float maxval = 1.0f);

  /// The dimensions, outermost first.
  const std::vector<int64_t>& dims() const { return dims_; }
  /// The dimensions as a (fully known) Shape.
  Shape shape() const;
  /// The number of dimensions.
  int rank() const { return static_cast<int>(dims_.size()); }
  /// The number of elements.
  int64_t size() const { return static_cast<int64_t>(values_.size()); }
  /// The values in row-major order.
  float* data() { return values_.data(); }
  /// The values in row-major order.
  const float* data() const { return values_.data(); }
  /// The values as a vector.
  const std::vector<float>& values() const { return values_; }

  /// Equal when the dimensions and every value are equal (bitwise for non-NaN values).
  friend bool operator==(const Tensor&, const Tensor&) = default;

 private:
  std::vector<int64_t> dims_;
  std::vector<float> values_;
};

/// The number of elements of a tensor with these dimensions.
int64_t element_count(const std::vector<int64_t>& dims);

}  // namespace strata
