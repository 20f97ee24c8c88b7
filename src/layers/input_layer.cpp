#include "layers/input_layer.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "strata/error.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata {
namespace detail {

InputLayer::InputLayer(Shape shape, const std::string& name) : LayerImpl("InputLayer", name), shape_(std::move(shape)) {}

std::vector<Shape> InputLayer::compute_output_shapes(const std::vector<Shape>& inputs) const {
  expect_input_count(*this, inputs, 0);
  return {shape_};
}

std::vector<ir::ValueId> InputLayer::lower(ir::Graph&, const Node&, const std::vector<ir::ValueId>&) const {
  throw InternalError(fmt::format("{} an InputLayer is bound to a graph input, never lowered", prefix()));
}

}  // namespace detail

SymbolicTensor Input(std::vector<Dim> dims, std::string name) {
  if (dims.empty()) {
    throw ValueError("[Input] Expected at least one dimension (the batch excluded), received ()");
  }
  for (const Dim& d : dims) {
    if (d && *d <= 0) {
      throw ValueError(fmt::format("[Input] Expected positive dimensions or None, received {}",
                                   Shape(dims).to_string()));
    }
  }
  dims.insert(dims.begin(), None);
  Shape shape(std::move(dims));
  auto layer = std::make_shared<detail::InputLayer>(shape, name);
  auto node = std::make_shared<detail::Node>();
  node->layer = layer;
  node->output_shapes = {shape};
  layer->inbound_nodes.push_back(node);
  layer->mark_built();
  return SymbolicTensor(node, 0);
}

}  // namespace strata
