#pragma once
// Runs a RecurrentOp (Keras's SimpleRNN, GRU, LSTM) on raw buffers, straight from Keras 3's cell code
// (keras/src/layers/rnn/*.py), with any activation Keras allows. The reference executor runs every
// recurrent op with it; the oneDNN backend runs it only for the activations oneDNN's RNN cells do not have
// (an LSTM with hard_sigmoid gates, say). Its oracles are outside strata: tfjs-layers' recurrent layers and
// Keras's own stored outputs.

#include <cstdint>

#include "compiler/ir.hpp"

namespace strata::detail {

/// The buffers of one run: the sequence `x` (batch, steps, features) and the initial states (null for
/// zeros; c only for an LSTM); the outputs of RecurrentOp, any of which may be null when not wanted.
struct RecurrentBuffers {
  int64_t batch = 0, steps = 0, features = 0;
  const float* x = nullptr;
  const float* h0 = nullptr;
  const float* c0 = nullptr;
  /// Keras's mask (batch, steps), nonzero at the steps that count; null for none (RecurrentOp::masked).
  const uint8_t* mask = nullptr;
  float* sequence = nullptr;
  float* h = nullptr;
  float* c = nullptr;
};

/// Computes `op` on `b`: the input projection of every step as one product, then the steps in order, the
/// batch rows split over the calling thread's OpenMP team.
void run_recurrent(const ir::RecurrentOp& op, const RecurrentBuffers& b);

}  // namespace strata::detail
