#pragma once
// Keras's InputLayer: the layer behind `strata::Input`, with one call and no inputs.

#include "layers/layer_impl.hpp"

namespace strata::detail {

class InputLayer : public LayerImpl {
 public:
  InputLayer(Shape shape, const std::string& name);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override;
  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override;
  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
};

}  // namespace strata::detail
