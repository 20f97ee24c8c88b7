#pragma once
/// @file time_distributed.hpp
/// `strata::layers::TimeDistributed`: one layer applied to every step of a sequence.

#include <string>

#include "strata/layer.hpp"

namespace strata::layers {

/// Keras's `TimeDistributed`: `layer` applied to each slice `x[:, t]` of a (batch, steps, ...) input, the
/// same weights for every step. The wrapped layer itself is used (its weights are shared with the handle
/// given), as Keras does. Compiles to the wrapped layer's own ops over batch * steps rows: a reshape in, a
/// reshape out, no copies.
class TimeDistributed : public Layer {
 public:
  /// Wraps `layer` (any layer of one input and one output). `options.name`: empty means the default.
  /// Throws ValueError for an empty handle.
  explicit TimeDistributed(const Layer& layer, LayerOptions options = {});
  /// Calls the layer. Throws ShapeError for an input of rank below 3, ValueError when the wrapped layer has
  /// several inputs or outputs, and what the wrapped layer throws for one step's shape
  /// `(batch, input.shape[2:])`.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
