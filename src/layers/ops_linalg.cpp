// keras.ops.matmul on symbolic tensors: a batched matrix product of two tensors of one rank, as one oneDNN
// matmul (an attention's q @ k^T and scores @ v).

#include <fmt/format.h>

#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

class MatmulOpLayer : public OpLayer {
 public:
  // numpy broadcasting lines up the batch axes too: ops::arange's batch of 1 stretches.
  bool broadcasts_batch() const override { return true; }

  MatmulOpLayer() : OpLayer("Matmul", "keras.src.ops.numpy") {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 2);
    const Shape& a = inputs[0];
    const Shape& b = inputs[1];
    if (a.rank() < 3 || a.rank() != b.rank()) {
      throw ShapeError(
          fmt::format("{} Expected two tensors of one rank, 3 or more (the batch, then matrices in "
                      "the last two axes), received shapes {} and {}",
                      prefix(), a.to_string(), b.to_string()));
    }
    const Dim& k1 = a[-1];
    const Dim& k2 = b[-2];
    if (k1 && k2 && *k1 != *k2) {
      throw ShapeError(
          fmt::format("{} Inner dimensions (`x1.shape[-1]` and `x2.shape[-2]`) must be equal, but "
                      "received `x1.shape={}` and `x2.shape={}`",
                      prefix(), a.to_string(), b.to_string()));
    }
    const std::vector<Dim> lead_a(a.dims().begin(), a.dims().end() - 2),
        lead_b(b.dims().begin(), b.dims().end() - 2);
    std::vector<Dim> out = broadcast_op_shapes(prefix(), Shape(lead_a), Shape(lead_b)).dims();
    out.push_back(a[-2]);
    out.push_back(b[-1]);
    return {Shape(out)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& a = graph.values[inputs[0]].dims;
    const std::vector<int64_t>& b = graph.values[inputs[1]].dims;
    const size_t rank = a.size();
    std::vector<int64_t> out;
    for (size_t d = 0; d + 2 < rank; ++d) {
      if (a[d] != b[d] && a[d] != 1 && b[d] != 1) {
        throw ShapeError(fmt::format("{} Cannot broadcast the leading axes of shapes {} and {}", prefix(),
                                     to_shape(a).to_string(), to_shape(b).to_string()));
      }
      out.push_back(std::max(a[d], b[d]));
    }
    if (a[rank - 1] != b[rank - 2]) {
      throw ShapeError(fmt::format("{} Inner dimensions must be equal, received shapes {} and {}", prefix(),
                                   to_shape(a).to_string(), to_shape(b).to_string()));
    }
    out.push_back(a[rank - 2]);
    out.push_back(b[rank - 1]);
    const ir::ValueId v = graph.add_value(out, name());
    graph.ops.push_back(ir::Op{ir::MatMulOp{}, {inputs[0], inputs[1]}, {v}, {}, {name()}});
    return {v};
  }
};

}  // namespace
}  // namespace strata::detail

namespace strata::ops {

SymbolicTensor matmul(const SymbolicTensor& x1, const SymbolicTensor& x2) {
  return detail::call_op(std::make_shared<detail::MatmulOpLayer>(), {x1, x2});
}

}  // namespace strata::ops
