#include "strata/tensor.hpp"

#include <fmt/format.h>

#include <random>

#include "strata/error.hpp"

namespace strata {

namespace {

void check_dims(const std::vector<int64_t>& dims, const char* where) {
  for (int64_t d : dims) {
    if (d < 0) throw ValueError(fmt::format("{}: dimensions must be non-negative, received {}", where,
                                            to_shape(dims).to_string()));
  }
}

}  // namespace

int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kBool:
      return "bool";
  }
  return "float32";
}

DType parse_dtype(const std::string& name, const std::string& where) {
  for (DType d : {DType::kFloat32, DType::kInt32, DType::kInt64, DType::kBool}) {
    if (name == dtype_name(d)) return d;
  }
  throw ValueError(
      fmt::format("{} Unknown dtype '{}'. Expected one of: float32, int32, int64, bool", where, name));
}

int64_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kInt64:
      return 8;
    case DType::kBool:
      return 1;
    case DType::kFloat32:
    case DType::kInt32:
      break;
  }
  return 4;
}

namespace {

void check_count(const std::vector<int64_t>& dims, size_t count) {
  check_dims(dims, "Tensor");
  if (element_count(dims) != static_cast<int64_t>(count)) {
    throw ValueError(fmt::format("Tensor: dimensions {} need {} values, received {}",
                                 to_shape(dims).to_string(), element_count(dims), count));
  }
}

}  // namespace

Tensor::Tensor(std::vector<int64_t> dims, std::vector<float> values)
    : dims_(std::move(dims)), values_(std::move(values)) {
  check_count(dims_, values_.size());
}

Tensor Tensor::from_int32(std::vector<int64_t> dims, std::vector<int32_t> values) {
  check_count(dims, values.size());
  Tensor t;
  t.dims_ = std::move(dims);
  t.dtype_ = DType::kInt32;
  t.int32_values_ = std::move(values);
  return t;
}

Tensor Tensor::from_int64(std::vector<int64_t> dims, std::vector<int64_t> values) {
  check_count(dims, values.size());
  Tensor t;
  t.dims_ = std::move(dims);
  t.dtype_ = DType::kInt64;
  t.int64_values_ = std::move(values);
  return t;
}

Tensor Tensor::from_bool(std::vector<int64_t> dims, std::vector<uint8_t> values) {
  check_count(dims, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] > 1) {
      throw ValueError(
          fmt::format("Tensor::from_bool: expected bytes 0 or 1, received {} at element {}", values[i], i));
    }
  }
  Tensor t;
  t.dims_ = std::move(dims);
  t.dtype_ = DType::kBool;
  t.bool_values_ = std::move(values);
  return t;
}

Tensor Tensor::zeros(std::vector<int64_t> dims, DType dtype) {
  check_dims(dims, "Tensor::zeros");
  const auto n = static_cast<size_t>(element_count(dims));
  switch (dtype) {
    case DType::kInt32:
      return from_int32(std::move(dims), std::vector<int32_t>(n, 0));
    case DType::kInt64:
      return from_int64(std::move(dims), std::vector<int64_t>(n, 0));
    case DType::kBool:
      return from_bool(std::move(dims), std::vector<uint8_t>(n, 0));
    case DType::kFloat32:
      break;
  }
  return Tensor(std::move(dims), std::vector<float>(n, 0.0f));
}

int64_t Tensor::size() const {
  switch (dtype_) {
    case DType::kInt32:
      return static_cast<int64_t>(int32_values_.size());
    case DType::kInt64:
      return static_cast<int64_t>(int64_values_.size());
    case DType::kBool:
      return static_cast<int64_t>(bool_values_.size());
    case DType::kFloat32:
      break;
  }
  return static_cast<int64_t>(values_.size());
}

void Tensor::throw_not(DType wanted) const {
  throw ValueError(fmt::format("Tensor: expected a {} tensor, this one holds {} (shape {})",
                               dtype_name(wanted), dtype_name(dtype_), shape().to_string()));
}

void Tensor::expect(DType wanted) const {
  if (dtype_ != wanted) throw_not(wanted);
}

const std::vector<float>& Tensor::values() const {
  expect(DType::kFloat32);
  return values_;
}
int32_t* Tensor::int32_data() {
  expect(DType::kInt32);
  return int32_values_.data();
}
const int32_t* Tensor::int32_data() const {
  expect(DType::kInt32);
  return int32_values_.data();
}
const std::vector<int32_t>& Tensor::int32_values() const {
  expect(DType::kInt32);
  return int32_values_;
}
int64_t* Tensor::int64_data() {
  expect(DType::kInt64);
  return int64_values_.data();
}
const int64_t* Tensor::int64_data() const {
  expect(DType::kInt64);
  return int64_values_.data();
}
const std::vector<int64_t>& Tensor::int64_values() const {
  expect(DType::kInt64);
  return int64_values_;
}

const uint8_t* Tensor::bool_data() const {
  expect(DType::kBool);
  return bool_values_.data();
}
const std::vector<uint8_t>& Tensor::bool_values() const {
  expect(DType::kBool);
  return bool_values_;
}

void* Tensor::raw_data() {
  return const_cast<void*>(static_cast<const Tensor&>(*this).raw_data());
}

const void* Tensor::raw_data() const {
  switch (dtype_) {
    case DType::kInt32:
      return int32_values_.data();
    case DType::kInt64:
      return int64_values_.data();
    case DType::kBool:
      return bool_values_.data();
    case DType::kFloat32:
      break;
  }
  return values_.data();
}

int64_t Tensor::nbytes() const {
  return size() * dtype_size(dtype_);
}

Tensor Tensor::random_uniform(std::vector<int64_t> dims, uint64_t seed, float minval, float maxval) {
  check_dims(dims, "Tensor::random_uniform");
  if (!(minval < maxval)) {
    throw ValueError(fmt::format("Tensor::random_uniform: expected minval < maxval, received {} and {}",
                                 minval, maxval));
  }
  // mt19937_64 is specified bit for bit by the standard; the float conversion below is ours (not
  // std::uniform_real_distribution, whose algorithm varies between standard libraries).
  std::mt19937_64 engine(seed);
  std::vector<float> values(static_cast<size_t>(element_count(dims)));
  const double span = static_cast<double>(maxval) - minval;
  for (float& v : values) {
    const double unit = static_cast<double>(engine() >> 11) * 0x1.0p-53;
    v = static_cast<float>(minval + unit * span);
    if (v >= maxval) v = minval;  // rounding to float can land on maxval
  }
  return Tensor(std::move(dims), std::move(values));
}

Shape Tensor::shape() const { return to_shape(dims_); }

}  // namespace strata
