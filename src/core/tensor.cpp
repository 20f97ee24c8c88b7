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

Tensor::Tensor(std::vector<int64_t> dims, std::vector<float> values)
    : dims_(std::move(dims)), values_(std::move(values)) {
  check_dims(dims_, "Tensor");
  if (element_count(dims_) != static_cast<int64_t>(values_.size())) {
    throw ValueError(fmt::format("Tensor: dimensions {} need {} values, received {}", shape().to_string(),
                                 element_count(dims_), values_.size()));
  }
}

Tensor Tensor::zeros(std::vector<int64_t> dims) {
  check_dims(dims, "Tensor::zeros");
  std::vector<float> values(static_cast<size_t>(element_count(dims)), 0.0f);
  return Tensor(std::move(dims), std::move(values));
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
