#pragma once
/// @file tensor.hpp
/// Dense tensors, row-major and channels-last (NHWC), the data that predict consumes and returns: float32,
/// int32/int64 (token ids, indices), or bool (what comparisons return).

#include <cstdint>
#include <string>
#include <vector>

#include "strata/shape.hpp"

namespace strata {

/// The element types a Tensor holds, as Keras names them: "float32", "int32", "int64", "bool".
enum class DType { kFloat32, kInt32, kInt64, kBool };

/// Keras's name of `dtype` ("float32", "int32", "int64", "bool").
std::string dtype_name(DType dtype);

/// The DType Keras calls `name`. Throws ValueError, prefixed with `where`, listing the four names for any
/// other.
DType parse_dtype(const std::string& name, const std::string& where);

/// A dense tensor in row-major order. Image tensors are NHWC, as in Keras. It holds float32 values unless
/// made by from_int32, from_int64, from_bool or zeros with another type; the accessors of one type throw
/// ValueError on a tensor of another.
class Tensor {
 public:
  /// An empty tensor (rank 0, no elements).
  Tensor() = default;
  /// A float32 tensor of the given dimensions holding `values` in row-major order. Throws ValueError when a
  /// dimension is negative or when the count of values is not the product of the dimensions.
  Tensor(std::vector<int64_t> dims, std::vector<float> values);
  /// An int32 tensor, as the constructor checks it.
  static Tensor from_int32(std::vector<int64_t> dims, std::vector<int32_t> values);
  /// An int64 tensor, as the constructor checks it.
  static Tensor from_int64(std::vector<int64_t> dims, std::vector<int64_t> values);
  /// A bool tensor, one byte per element holding 0 (false) or 1 (true), as numpy stores them. Throws
  /// ValueError for any other byte, as well as the constructor's checks.
  static Tensor from_bool(std::vector<int64_t> dims, std::vector<uint8_t> values);

  /// A tensor of zeros. Throws ValueError for a negative dimension.
  static Tensor zeros(std::vector<int64_t> dims, DType dtype = DType::kFloat32);
  /// A float32 tensor of values drawn uniformly from [minval, maxval) by a generator seeded with `seed`:
  /// the same seed gives the same values on every run and machine.
  static Tensor random_uniform(std::vector<int64_t> dims, uint64_t seed, float minval = 0.0f,
                               float maxval = 1.0f);

  /// The dimensions, outermost first.
  const std::vector<int64_t>& dims() const { return dims_; }
  /// The dimensions as a (fully known) Shape.
  Shape shape() const;
  /// The number of dimensions.
  int rank() const { return static_cast<int>(dims_.size()); }
  /// The element type.
  DType dtype() const { return dtype_; }
  /// The number of elements.
  int64_t size() const;
  /// The float32 values in row-major order. Throws ValueError for an integer tensor. (Inline: kernels
  /// index it per element, and the type check then leaves the loop.)
  float* data() {
    if (dtype_ != DType::kFloat32) throw_not(DType::kFloat32);
    return values_.data();
  }
  /// The float32 values in row-major order. Throws ValueError for an integer tensor.
  const float* data() const {
    if (dtype_ != DType::kFloat32) throw_not(DType::kFloat32);
    return values_.data();
  }
  /// The float32 values as a vector. Throws ValueError for an integer tensor.
  const std::vector<float>& values() const;
  /// The int32 values in row-major order. Throws ValueError for a tensor of another type.
  int32_t* int32_data();
  /// The int32 values in row-major order. Throws ValueError for a tensor of another type.
  const int32_t* int32_data() const;
  /// The int32 values as a vector. Throws ValueError for a tensor of another type.
  const std::vector<int32_t>& int32_values() const;
  /// The int64 values in row-major order. Throws ValueError for a tensor of another type.
  int64_t* int64_data();
  /// The int64 values in row-major order. Throws ValueError for a tensor of another type.
  const int64_t* int64_data() const;
  /// The int64 values as a vector. Throws ValueError for a tensor of another type.
  const std::vector<int64_t>& int64_values() const;
  /// The bool values (0 or 1, a byte each) in row-major order. Throws ValueError for a tensor of another
  /// type.
  const uint8_t* bool_data() const;
  /// The bool values as a vector. Throws ValueError for a tensor of another type.
  const std::vector<uint8_t>& bool_values() const;
  /// The elements' bytes, whatever their type: size() times 4 (float32, int32), 8 (int64) or 1 (bool).
  void* raw_data();
  /// The elements' bytes, whatever their type.
  const void* raw_data() const;
  /// Bytes of the elements.
  int64_t nbytes() const;

  /// Equal when the types, the dimensions and every value are equal (bitwise for non-NaN values).
  friend bool operator==(const Tensor&, const Tensor&) = default;

 private:
  void expect(DType wanted) const;
  [[noreturn]] void throw_not(DType wanted) const;

  std::vector<int64_t> dims_;
  DType dtype_ = DType::kFloat32;
  std::vector<float> values_;
  std::vector<int32_t> int32_values_;
  std::vector<int64_t> int64_values_;
  std::vector<uint8_t> bool_values_;
};

/// The number of elements of a tensor with these dimensions.
int64_t element_count(const std::vector<int64_t>& dims);

/// Bytes per element of `dtype`: 4 for float32 and int32, 8 for int64, 1 for bool.
int64_t dtype_size(DType dtype);

}  // namespace strata
