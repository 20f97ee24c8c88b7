#include "strata/symbolic_tensor.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "strata/error.hpp"
#include "strata/layer.hpp"

namespace strata {

const Shape& SymbolicTensor::shape() const {
  if (!node_) throw ValueError("[SymbolicTensor] This SymbolicTensor is empty; it has no shape");
  return node_->output_shapes.at(index_);
}

DType SymbolicTensor::dtype() const {
  if (!node_) throw ValueError("[SymbolicTensor] This SymbolicTensor is empty; it has no dtype");
  return node_->output_dtypes.at(index_);
}

Layer SymbolicTensor::layer() const {
  if (!node_) throw ValueError("[SymbolicTensor] This SymbolicTensor is empty; it has no layer");
  return Layer(node_->layer);
}

SymbolicTensor SymbolicTensor::mask() const {
  if (!node_) throw ValueError("[SymbolicTensor] This SymbolicTensor is empty; it has no mask");
  const auto& masks = node_->output_masks;
  return static_cast<size_t>(index_) < masks.size() ? masks[static_cast<size_t>(index_)] : SymbolicTensor();
}

std::string SymbolicTensor::name() const {
  if (!node_) return "<empty>";
  return fmt::format("{}[{}][{}]", node_->layer->name(), node_->index_in_layer, index_);
}

}  // namespace strata
