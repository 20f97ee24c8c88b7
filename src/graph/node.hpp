#pragma once
// One call of a layer: its inputs, its output shapes, and what the compiler needs to know about it.

#include <memory>
#include <optional>
#include <vector>

#include "compiler/ir.hpp"
#include "layers/layer_impl.hpp"
#include "strata/shape.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata::detail {

struct Node {
  std::shared_ptr<LayerImpl> layer;
  std::vector<SymbolicTensor> inputs;
  std::vector<Shape> output_shapes;
  /// The element type of each output: float32 but for an integer Input and what reads it.
  std::vector<DType> output_dtypes;
  /// Position among the layer's calls: the `0` in Keras's `conv2d[0][0]`.
  int index_in_layer = 0;
  /// For convolutions and pooling whose spatial input size is known at build time, the padding TensorFlow
  /// applies (`same` puts the odd pixel bottom/right). The compiler recomputes it for concrete sizes and
  /// checks the two agree.
  std::optional<ir::SpatialPadding> padding;

  /// An Input's node: no inputs, and not an op made from numbers alone (ops::arange).
  bool is_input() const { return inputs.empty() && !layer->takes_no_inputs(); }
};

}  // namespace strata::detail
