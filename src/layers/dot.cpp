// Keras's Dot merge layer (keras/src/layers/merging/dot.py): its batch_dot moves the first input's axis
// last and the second's right after the batch, flattens the axes between into one, multiplies the two as
// batched matrices and gives the product the inputs' remaining axes back. Normalizing first is Keras's
// ops.normalize: x * rsqrt(max(sum(x^2), epsilon^2)).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>
#include <numeric>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/layers/merge.hpp"

namespace strata::layers {
namespace {

struct DotArgs {
  Axes axes;
  DotOptions options;
};

const detail::LayerSchema<DotArgs>& dot_schema() {
  static const auto schema = std::move(detail::LayerSchema<DotArgs>("Dot")
                                           .required("axes", STRATA_ARG(axes))
                                           .option("normalize", STRATA_ARG(options.normalize)));
  return schema;
}

// numerical_utils.normalize calls ops.normalize with Keras's epsilon, 1e-7, whose square clamps the sum.
constexpr float kSquaredEpsilon = 1e-14f;

class DotImpl : public detail::ConfiguredLayer<DotArgs> {
 public:
  explicit DotImpl(DotArgs args) : ConfiguredLayer(dot_schema(), std::move(args)) {
    const std::vector<int>& a = args_.axes.values();
    if (!args_.axes.given() || (args_.axes.single() ? a.size() != 1 : a.size() != 2)) {
      throw ValueError(
          fmt::format("{} Invalid format for argument `axes`: it should be an int or contain two elements. "
                      "Received: axes=[{}]",
                      prefix(), fmt::join(a, ", ")));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() != 2) {
      throw ValueError(fmt::format("{} A `Dot` layer should be called on a list of 2 inputs. Received {}",
                                   prefix(), inputs.size()));
    }
    const Shape& x = inputs[0];
    const Shape& y = inputs[1];
    const auto [a0, a1] = axes(x.rank(), y.rank(), x, y);
    if (x[a0] && y[a1] && *x[a0] != *y[a1]) {
      throw ShapeError(fmt::format(
          "{} Incompatible input shapes: axis values {} (at axis {}) != {} (at axis {}). Full input shapes: "
          "{}, {}",
          prefix(), *x[a0], a0, *y[a1], a1, x.to_string(), y.to_string()));
    }
    std::vector<Dim> out;
    for (int d = 0; d < x.rank(); ++d)
      if (d != a0) out.push_back(x[d]);
    for (int d = 1; d < y.rank(); ++d)
      if (d != a1) out.push_back(y[d]);
    if (out.size() == 1) out.push_back(Dim(1));
    return {Shape(out)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::string& n = name();
    ir::ValueId x = inputs[0], y = inputs[1];
    const std::vector<int64_t> xd = graph.values[x].dims, yd = graph.values[y].dims;
    const int xr = static_cast<int>(xd.size()), yr = static_cast<int>(yd.size());
    const auto [a0, a1] = axes(xr, yr, to_shape(xd), to_shape(yd));
    if (xd[a0] != yd[a1] || xd[0] != yd[0]) {
      throw ShapeError(fmt::format("{} Incompatible input shapes {} and {} for axes ({}, {})", prefix(),
                                   to_shape(xd).to_string(), to_shape(yd).to_string(), a0, a1));
    }
    if (args_.options.normalize) {
      x = detail::emit_l2_normalize(graph, x, {a0}, kSquaredEpsilon, n);
      y = detail::emit_l2_normalize(graph, y, {a1}, kSquaredEpsilon, n);
    }
    // x as (batch, rows, k): its axis moved last; y as (batch, k, columns): its axis moved after the batch.
    std::vector<int> xp(static_cast<size_t>(xr)), yp(static_cast<size_t>(yr));
    std::iota(xp.begin(), xp.end(), 0);
    std::iota(yp.begin(), yp.end(), 0);
    xp.erase(xp.begin() + a0);
    xp.push_back(a0);
    yp.erase(yp.begin() + a1);
    yp.insert(yp.begin() + 1, a1);
    const int64_t batch = xd[0], k = xd[a0];
    const int64_t rows = element_count(xd) / (batch * k), columns = element_count(yd) / (batch * k);
    x = detail::emit_reshape(graph, detail::emit_transpose(graph, x, xp, n), {batch, rows, k}, n);
    y = detail::emit_reshape(graph, detail::emit_transpose(graph, y, yp, n), {batch, k, columns}, n);
    const ir::ValueId product = graph.add_value({batch, rows, columns}, n);
    graph.ops.push_back(ir::Op{ir::MatMulOp{}, {x, y}, {product}, {}, {n}});
    std::vector<int64_t> out;
    for (int d = 0; d < xr; ++d)
      if (d != a0) out.push_back(xd[d]);
    for (int d = 1; d < yr; ++d)
      if (d != a1) out.push_back(yd[d]);
    if (out.size() == 1) out.push_back(1);
    return {detail::emit_reshape(graph, product, out, n)};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& x = node.inputs[0].shape();
    const Shape& y = node.inputs[1].shape();
    int64_t total = 1;
    for (int d = 1; d < x.rank(); ++d) {
      if (!x[d]) return 0;
      total *= *x[d];
    }
    const int a1 = axes(x.rank(), y.rank(), x, y).second;
    for (int d = 1; d < y.rank(); ++d) {
      if (d == a1) continue;
      if (!y[d]) return 0;
      total *= *y[d];
    }
    return total;
  }

 private:
  // Keras's axes for inputs of ranks `xr` and `yr`: a negative one counts from the end.
  std::pair<int, int> axes(int xr, int yr, const Shape& x, const Shape& y) const {
    if (xr < 2 || yr < 2) {
      throw ShapeError(
          fmt::format("{} Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {} and {}",
                      prefix(), x.to_string(), y.to_string()));
    }
    const std::vector<int>& given = args_.axes.values();
    const int g0 = given[0], g1 = given.size() == 2 ? given[1] : given[0];
    // Keras takes a negative axis modulo the rank (Python's %, always in [0, rank)).
    const auto wrap = [](int a, int rank) { return a < 0 ? ((a % rank) + rank) % rank : a; };
    const int a0 = wrap(g0, xr), a1 = wrap(g1, yr);
    if (a0 <= 0 || a0 >= xr || a1 <= 0 || a1 >= yr) {
      throw ShapeError(fmt::format(
          "{} Expected axes within the inputs' ranks and not the batch axis 0, received axes=[{}] for "
          "shapes {} and {}",
          prefix(), fmt::join(given, ", "), x.to_string(), y.to_string()));
    }
    return {a0, a1};
  }
};

}  // namespace

Dot::Dot(Axes axes, DotOptions options) {
  impl_ = std::make_shared<DotImpl>(DotArgs{std::move(axes), std::move(options)});
}

SymbolicTensor Dot::operator()(const std::vector<SymbolicTensor>& inputs) const {
  return call(inputs).front();
}

SymbolicTensor dot(const std::vector<SymbolicTensor>& inputs, Axes axes, DotOptions options) {
  return Dot(std::move(axes), std::move(options))(inputs);
}

}  // namespace strata::layers

namespace strata::detail {
void register_dot_layers() {
  register_layer(layers::dot_schema(),
                 [](layers::DotArgs a) { return std::make_shared<layers::DotImpl>(std::move(a)); });
}
}  // namespace strata::detail
