#include "strata/layers/merge.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/broadcast.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class AddImpl : public detail::LayerImpl {
 public:
  explicit AddImpl(const LayerOptions& o) : LayerImpl("Add", o.name) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() < 2) {
      throw ValueError(fmt::format("{} A merge layer should be called on a list of at least 2 inputs, received {}",
                                   prefix(), inputs.size()));
    }
    for (const Shape& s : inputs) {
      if (s.rank() < 1) throw ShapeError(fmt::format("{} Expected inputs with a batch dimension, received ()", prefix()));
    }
    Shape out = inputs[0].without_batch();
    for (size_t i = 1; i < inputs.size(); ++i) {
      const Shape next = inputs[i].without_batch();
      std::optional<Shape> merged = detail::broadcast_shapes(out, next);
      if (!merged) {
        // Keras swaps the two so that the longer shape comes first, and names them in that order.
        const bool swap = out.rank() < next.rank();
        throw ShapeError(fmt::format("{} Inputs have incompatible shapes. Received shapes {} and {}", prefix(),
                                     (swap ? next : out).to_string(), (swap ? out : next).to_string()));
      }
      out = *merged;
    }
    // The batch is unknown unless every input fixes it to the same value.
    Dim out_batch = inputs[0][0];
    for (const Shape& s : inputs) {
      if (s[0] != out_batch) out_batch = None;
    }
    std::vector<Dim> dims{out_batch};
    dims.insert(dims.end(), out.dims().begin(), out.dims().end());
    return {Shape(dims)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    ir::ValueId acc = inputs[0];
    for (size_t i = 1; i < inputs.size(); ++i) {
      auto dims = detail::broadcast_dims(graph.values[acc].dims, graph.values[inputs[i]].dims);
      if (!dims) {
        throw ShapeError(fmt::format("{} Inputs have incompatible shapes. Received shapes {} and {}", prefix(),
                                     to_shape(graph.values[acc].dims).to_string(),
                                     to_shape(graph.values[inputs[i]].dims).to_string()));
      }
      ir::ValueId out = graph.add_value(*dims, i + 1 == inputs.size() ? name() : fmt::format("{}.partial{}", name(), i));
      graph.ops.push_back(ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kAdd}, {acc, inputs[i]}, out, {}, {name()}});
      acc = out;
    }
    return {acc};
  }
};

}  // namespace

Add::Add(LayerOptions options) { impl_ = std::make_shared<AddImpl>(options); }

SymbolicTensor Add::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

SymbolicTensor add(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Add(std::move(options))(inputs);
}

}  // namespace strata::layers
