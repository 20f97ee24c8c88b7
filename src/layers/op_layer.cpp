#include "layers/op_layer.hpp"

#include <fmt/format.h>

#include "strata/error.hpp"

namespace strata::detail {

Shape broadcast_op_shapes(const std::string& where, const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) {
    // numpy would line the shorter shape's batch axis up with an axis of the longer one: right for one batch
    // size only, and never what a model means.
    throw ShapeError(
        fmt::format("{} Cannot broadcast tensors of different ranks, {} and {}: their batch axes "
                    "would not line up. Give the smaller one the same rank first "
                    "(ops::expand_dims or ops::reshape)",
                    where, a.to_string(), b.to_string()));
  }
  std::vector<Dim> out(a.dims());
  for (int i = 0; i < a.rank(); ++i) {
    const Dim& x = a[i];
    const Dim& y = b[i];
    // Keras's rule term by term: an unknown dimension meets a known one optimistically.
    if (x && *x == 1) {
      out[i] = y;
    } else if (!x) {
      out[i] = (y && *y == 1) ? None : y;
    } else if (!(y && *y != 1 && *y != *x)) {
      out[i] = x;
    } else {
      throw ShapeError(
          fmt::format("{} Cannot broadcast shape, the failure dim has value {}, which cannot be "
                      "broadcasted to {}. Input shapes are: {} and {}",
                      where, *x, *y, a.to_string(), b.to_string()));
    }
  }
  return Shape(out);
}

SymbolicTensor call_op(std::shared_ptr<OpLayer> op, const std::vector<SymbolicTensor>& inputs) {
  return call_layer(op, inputs).front();
}

int normalize_axis(const std::string& where, int axis, int rank, bool batch_allowed) {
  const int normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) {
    throw ValueError(fmt::format("{} axis {} is out of bounds for a tensor of rank {}", where, axis, rank));
  }
  if (normalized == 0 && !batch_allowed) {
    throw ValueError(
        fmt::format("{} axis {} is the batch axis, which strata keeps: every op here works on one "
                    "sample at a time",
                    where, axis));
  }
  return normalized;
}

nlohmann::json axes_json(const ops::Axes& axes) {
  if (!axes.given()) return nullptr;
  if (axes.single()) return axes.values().front();
  return axes.values();
}

}  // namespace strata::detail
