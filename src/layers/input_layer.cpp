#include "layers/input_layer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"
#include "strata/layers/input_layer.hpp"
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

nlohmann::json InputLayer::config() const {
  nlohmann::json batch_shape = nlohmann::json::array();
  for (const Dim& d : shape_.dims()) batch_shape.push_back(d ? nlohmann::json(*d) : nlohmann::json(nullptr));
  return {{"batch_shape", batch_shape}, {"dtype", "float32"}, {"sparse", false}};
}

SymbolicTensor input_tensor(const std::shared_ptr<InputLayer>& layer) {
  std::erase_if(layer->inbound_nodes, [](const std::weak_ptr<Node>& n) { return n.expired(); });
  if (!layer->inbound_nodes.empty()) return SymbolicTensor(layer->inbound_nodes.front().lock(), 0);
  auto node = std::make_shared<Node>();
  node->layer = layer;
  node->output_shapes = {layer->shape()};
  layer->inbound_nodes.push_back(node);
  return SymbolicTensor(node, 0);
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
  detail::check_shape_size("[Input]", "input", Shape(dims));
  auto layer = std::make_shared<detail::InputLayer>(Shape(std::move(dims)), name);
  layer->mark_built();
  return detail::input_tensor(layer);
}

}  // namespace strata

namespace strata::layers {

InputLayer::InputLayer(std::vector<Dim> shape, LayerOptions options) {
  // The node made here dies with the returned tensor; input_tensor() makes it again when needed.
  impl_ = strata::Input(std::move(shape), std::move(options.name)).node()->layer;
}

}  // namespace strata::layers
