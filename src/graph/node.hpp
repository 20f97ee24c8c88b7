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
  /// The last input is Keras's `mask` argument (a layer whose call takes one: the recurrent layers, global
  /// average pooling...), given explicitly or taken from the first input's mask. Shape rules, builds and
  /// configs see the other inputs as the call's arguments; lowering gets the mask's value last.
  bool mask_input = false;
  /// How many inputs after the call's own are the masks of its arguments that carry one, in argument order:
  /// a layer whose arithmetic reads them (Keras's Multiply reads get_keras_mask inside call) gets their
  /// values when lowered. They are no arguments of the call: configs, summaries, plots and generated C++
  /// leave them out, and a call on the same tensors finds them again.
  int hidden_masks = 0;
  /// Keras's `_keras_mask` of each output (an empty handle where there is none): made by the layer's
  /// compute_masks after the call, from ops recorded in the graph as Keras's compute_mask records them.
  std::vector<SymbolicTensor> output_masks;
  /// The node is an op that a layer's compute_masks made (Embedding's `not_equal`), not one the user called:
  /// generated C++ leaves it to the layer to make again.
  bool automatic_mask = false;
  /// An automatic mask op that a loaded config's op of the same computation was merged into
  /// (canonical_mask), taking its name: another config op may not claim it too.
  bool claimed_by_config = false;
  /// For a config's op whose computation an automatic mask op took over (canonical_mask), that op: the
  /// loader points the config op's other readers at it, so one computation is in the model once.
  std::weak_ptr<Node> canonical_twin;

  /// The inputs that are the call's arguments: all but the mask argument and the hidden masks.
  std::vector<SymbolicTensor> arguments() const {
    return {inputs.begin(), inputs.end() - hidden_masks - (mask_input ? 1 : 0)};
  }
  /// What the call was given: the arguments and the mask argument, without the hidden masks.
  std::vector<SymbolicTensor> call_inputs() const { return {inputs.begin(), inputs.end() - hidden_masks}; }
  /// The mask argument, or an empty handle.
  SymbolicTensor mask() const {
    return mask_input ? inputs[inputs.size() - 1 - hidden_masks] : SymbolicTensor();
  }

  /// An Input's node: no inputs, and not an op made from numbers alone (ops::arange).
  bool is_input() const { return inputs.empty() && !layer->takes_no_inputs(); }
};

}  // namespace strata::detail
