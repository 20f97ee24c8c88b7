#pragma once
// Keras's InputLayer: the layer behind `strata::Input`, with one call and no inputs.

#include <memory>

#include "layers/configured_layer.hpp"
#include "strata/layer.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata::detail {

/// InputLayer's arguments: the shape without the batch dimension, and the element type.
struct InputLayerArgs {
  std::vector<Dim> shape;
  layers::InputLayerOptions options;
};

class InputLayer : public ConfiguredLayer<InputLayerArgs> {
 public:
  /// `shape` includes the (unknown) batch dimension.
  InputLayer(Shape shape, const std::string& name, DType dtype = DType::kFloat32);
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override;
  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override;
  DType dtype() const { return dtype_; }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override;
  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
  DType dtype_;
};

/// The tensor of an InputLayer: the one its live node produces, or a new node's when none is alive (a
/// `layers::InputLayer` handle keeps only the layer, so a Sequential re-creates the node from it).
SymbolicTensor input_tensor(const std::shared_ptr<InputLayer>& layer);

}  // namespace strata::detail
