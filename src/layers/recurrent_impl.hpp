#pragma once
// What a Bidirectional layer needs of the recurrent layers it wraps (src/layers/recurrent.cpp): their
// flags, and their op lowered in either direction.

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"
#include "layers/config_call.hpp"

namespace strata::detail {

/// Implemented by SimpleRNN, GRU and LSTM beside LayerImpl.
class RecurrentLayerImpl {
 public:
  virtual ~RecurrentLayerImpl() = default;
  /// States of the cell: 2 for an LSTM (h, c), else 1.
  virtual int state_count() const = 0;
  virtual bool returns_sequences() const = 0;
  virtual bool returns_state() const = 0;
  virtual bool goes_backwards() const = 0;
  /// The op of one call on `inputs` (the sequence, then initial states), read backwards or not; `aligned` as
  /// ir::RecurrentOp's. `mask` is Keras's mask value (any type) or -1; `zero_output_for_mask` as
  /// ir::RecurrentOp's. Returns the outputs Keras's call returns (output, then states with return_state).
  virtual std::vector<ir::ValueId> lower_with(ir::Graph& graph, const std::vector<ir::ValueId>& inputs,
                                              bool backwards, bool aligned, ir::ValueId mask = -1,
                                              bool zero_output_for_mask = false) const = 0;
};

/// A recurrent layer's (or Bidirectional's) call from a model config: the sequence, then the states given
/// positionally (Keras 2's node lists them) or as the keyword `initial_state` (Keras 3's).
std::vector<SymbolicTensor> call_recurrent_from_config(const std::shared_ptr<LayerImpl>& self,
                                                       const ConfigCall& call);

/// Keras 3's record of a recurrent layer's (or Bidirectional's) call: the sequence as the argument, the
/// states as the keyword `initial_state`.
nlohmann::json recurrent_keras3_call(const Node& node,
                                     const std::function<nlohmann::json(const SymbolicTensor&)>& ref);

/// The C++ call of a recurrent layer (or Bidirectional): `callee(x)`, `callee(x, {h, c})` with initial
/// states, `.call_all` with return_state.
std::string recurrent_cpp_call(const Node& node, const std::string& callee,
                               const std::vector<std::string>& inputs);

/// Keras 3's build_config of a recurrent layer (or Bidirectional): RNN.build(sequences_shape,
/// initial_state_shape=None), so a shapes_dict when states were given.
nlohmann::json recurrent_keras3_build_config(const Node& node);

}  // namespace strata::detail
