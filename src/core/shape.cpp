#include "strata/shape.hpp"

#include <fmt/format.h>

#include "strata/error.hpp"

namespace strata {

const Dim& Shape::operator[](int axis) const {
  const int r = rank();
  const int i = axis < 0 ? axis + r : axis;
  if (i < 0 || i >= r) {
    throw ValueError(fmt::format("Shape {}: axis {} is out of range for rank {}", to_string(), axis, r));
  }
  return dims_[i];
}

bool Shape::is_fully_defined() const {
  for (const Dim& d : dims_) {
    if (!d) return false;
  }
  return true;
}

std::string Shape::to_string() const {
  std::string text = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) text += ", ";
    text += dims_[i] ? std::to_string(*dims_[i]) : "None";
  }
  // Python prints a one-element tuple with a trailing comma.
  if (dims_.size() == 1) text += ",";
  return text + ")";
}

Shape Shape::without_batch() const {
  if (dims_.empty()) return *this;
  return Shape(std::vector<Dim>(dims_.begin() + 1, dims_.end()));
}

Shape to_shape(const std::vector<int64_t>& dims) { return Shape(std::vector<Dim>(dims.begin(), dims.end())); }

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.to_string(); }

std::string Size2::to_string() const {
  if (!given_) return "None";
  return fmt::format("({}, {})", h_, w_);
}

}  // namespace strata

namespace strata {

std::string Margins1D::to_string() const {
  return fmt::format("({}, {})", before_, after_);
}

std::string Margins2D::to_string() const {
  return fmt::format("(({}, {}), ({}, {}))", top_, bottom_, left_, right_);
}

}  // namespace strata
