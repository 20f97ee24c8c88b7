#include "layers/broadcast.hpp"

namespace strata::detail {

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  if (a.rank() < b.rank()) return broadcast_shapes(b, a);
  std::vector<Dim> out(a.dims().begin(), a.dims().begin() + (a.rank() - b.rank()));
  for (int i = 0; i < b.rank(); ++i) {
    const Dim& x = a.dims()[a.rank() - b.rank() + i];
    const Dim& y = b.dims()[i];
    if (!x || !y) {
      out.push_back(None);
    } else if (*x == 1) {
      out.push_back(y);
    } else if (*y == 1 || *x == *y) {
      out.push_back(x);
    } else {
      return std::nullopt;
    }
  }
  return Shape(out);
}

std::optional<std::vector<int64_t>> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() < b.size()) return broadcast_dims(b, a);
  std::vector<int64_t> out(a.begin(), a.begin() + (a.size() - b.size()));
  for (size_t i = 0; i < b.size(); ++i) {
    const int64_t x = a[a.size() - b.size() + i];
    const int64_t y = b[i];
    if (x == y || y == 1) {
      out.push_back(x);
    } else if (x == 1) {
      out.push_back(y);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace strata::detail
