#pragma once
/// @file recurrent.hpp
/// `strata::layers::SimpleRNN`, `GRU` and `LSTM`: Keras's recurrent layers over (batch, steps, features)
/// sequences.

#include <string>
#include <utility>
#include <vector>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `SimpleRNN` keyword arguments, in Keras's order (regularizers, constraints and seed have no effect
/// at inference and are kept in configs).
struct SimpleRNNOptions {
  /// The activation of the candidate and of the output (SimpleRNN: of the state). Keras's names; tanh (and,
  /// for SimpleRNN, relu and sigmoid) run in oneDNN's cell, any other in a plain C++ cell.
  std::string activation = "tanh";
  /// Whether the layer has a bias.
  bool use_bias = true;
  /// Initializer of the kernel (input projection).
  Initializer kernel_initializer = "glorot_uniform";
  /// Initializer of the recurrent kernel (state projection).
  Initializer recurrent_initializer = "orthogonal";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// Dropout of the inputs in training; inference (all strata runs) ignores it.
  float dropout = 0.0f;
  /// Dropout of the state in training; inference ignores it.
  float recurrent_dropout = 0.0f;
  /// Return the output of every step (batch, steps, units) rather than the last (batch, units).
  bool return_sequences = false;
  /// Also return the last state(s): the layer then has 2 outputs (3 for LSTM: output, h, c); call it with
  /// `call_all`.
  bool return_state = false;
  /// Read the sequence from its last step; the outputs come in the order computed, as Keras returns them.
  bool go_backwards = false;
  /// Keras's state kept across batches; strata runs stateless inference, so true is a ValueError.
  bool stateful = false;
  /// Keras's loop unrolling; accepted, and the result is the same either way.
  bool unroll = false;
  /// With a mask, write zeros at the masked steps (and as the last output when the last step is masked)
  /// instead of the last output written: Keras's RNN argument, which Bidirectional sets to
  /// return_sequences in both halves.
  bool zero_output_for_mask = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `SimpleRNNOptions{}.set_name(...).set_return_sequences(...)`.
  /// Sets `activation`; returns this struct for chaining.
  SimpleRNNOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  SimpleRNNOptions& set_use_bias(bool value) {
    use_bias = value;
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  SimpleRNNOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `recurrent_initializer`; returns this struct for chaining.
  SimpleRNNOptions& set_recurrent_initializer(Initializer value) {
    recurrent_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  SimpleRNNOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  SimpleRNNOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `recurrent_dropout`; returns this struct for chaining.
  SimpleRNNOptions& set_recurrent_dropout(float value) {
    recurrent_dropout = value;
    return *this;
  }
  /// Sets `return_sequences`; returns this struct for chaining.
  SimpleRNNOptions& set_return_sequences(bool value) {
    return_sequences = value;
    return *this;
  }
  /// Sets `return_state`; returns this struct for chaining.
  SimpleRNNOptions& set_return_state(bool value) {
    return_state = value;
    return *this;
  }
  /// Sets `go_backwards`; returns this struct for chaining.
  SimpleRNNOptions& set_go_backwards(bool value) {
    go_backwards = value;
    return *this;
  }
  /// Sets `stateful`; returns this struct for chaining.
  SimpleRNNOptions& set_stateful(bool value) {
    stateful = value;
    return *this;
  }
  /// Sets `unroll`; returns this struct for chaining.
  SimpleRNNOptions& set_unroll(bool value) {
    unroll = value;
    return *this;
  }
  /// Sets `zero_output_for_mask`; returns this struct for chaining.
  SimpleRNNOptions& set_zero_output_for_mask(bool value) {
    zero_output_for_mask = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  SimpleRNNOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras `GRU` keyword arguments, in Keras's order (regularizers, constraints and seed have no effect at
/// inference and are kept in configs).
struct GRUOptions {
  /// The activation of the candidate (and, for LSTM, of the carry before the output gate), by Keras's name.
  /// tanh runs in oneDNN's cell, any other in a plain C++ cell.
  std::string activation = "tanh";
  /// The gates' activation. With tanh as `activation`, sigmoid runs in oneDNN's cell; any other in a plain
  /// C++ cell. "hard_sigmoid" is Keras 3's relu6(x + 3) / 6, not Keras 2's clip(0.2 x + 0.5, 0, 1).
  std::string recurrent_activation = "sigmoid";
  /// Whether the layer has a bias.
  bool use_bias = true;
  /// Initializer of the kernel (input projection).
  Initializer kernel_initializer = "glorot_uniform";
  /// Initializer of the recurrent kernel (state projection).
  Initializer recurrent_initializer = "orthogonal";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// Dropout of the inputs in training; inference (all strata runs) ignores it.
  float dropout = 0.0f;
  /// Dropout of the state in training; inference ignores it.
  float recurrent_dropout = 0.0f;
  /// Return the output of every step (batch, steps, units) rather than the last (batch, units).
  bool return_sequences = false;
  /// Also return the last state(s): the layer then has 2 outputs (3 for LSTM: output, h, c); call it with
  /// `call_all`.
  bool return_state = false;
  /// Read the sequence from its last step; the outputs come in the order computed, as Keras returns them.
  bool go_backwards = false;
  /// Keras's state kept across batches; strata runs stateless inference, so true is a ValueError.
  bool stateful = false;
  /// Keras's loop unrolling; accepted, and the result is the same either way.
  bool unroll = false;
  /// With a mask, write zeros at the masked steps (and as the last output when the last step is masked)
  /// instead of the last output written: Keras's RNN argument, which Bidirectional sets to
  /// return_sequences in both halves.
  bool zero_output_for_mask = false;
  /// Apply the reset gate after the recurrent matrix product (Keras 3's and cuDNN's form, the default) rather
  /// than before it (Keras 2.2's form).
  bool reset_after = true;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `GRUOptions{}.set_name(...).set_return_sequences(...)`.
  /// Sets `activation`; returns this struct for chaining.
  GRUOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `recurrent_activation`; returns this struct for chaining.
  GRUOptions& set_recurrent_activation(std::string value) {
    recurrent_activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  GRUOptions& set_use_bias(bool value) {
    use_bias = value;
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  GRUOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `recurrent_initializer`; returns this struct for chaining.
  GRUOptions& set_recurrent_initializer(Initializer value) {
    recurrent_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  GRUOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  GRUOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `recurrent_dropout`; returns this struct for chaining.
  GRUOptions& set_recurrent_dropout(float value) {
    recurrent_dropout = value;
    return *this;
  }
  /// Sets `return_sequences`; returns this struct for chaining.
  GRUOptions& set_return_sequences(bool value) {
    return_sequences = value;
    return *this;
  }
  /// Sets `return_state`; returns this struct for chaining.
  GRUOptions& set_return_state(bool value) {
    return_state = value;
    return *this;
  }
  /// Sets `go_backwards`; returns this struct for chaining.
  GRUOptions& set_go_backwards(bool value) {
    go_backwards = value;
    return *this;
  }
  /// Sets `stateful`; returns this struct for chaining.
  GRUOptions& set_stateful(bool value) {
    stateful = value;
    return *this;
  }
  /// Sets `unroll`; returns this struct for chaining.
  GRUOptions& set_unroll(bool value) {
    unroll = value;
    return *this;
  }
  /// Sets `zero_output_for_mask`; returns this struct for chaining.
  GRUOptions& set_zero_output_for_mask(bool value) {
    zero_output_for_mask = value;
    return *this;
  }
  /// Sets `reset_after`; returns this struct for chaining.
  GRUOptions& set_reset_after(bool value) {
    reset_after = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  GRUOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras `LSTM` keyword arguments, in Keras's order (regularizers, constraints and seed have no effect at
/// inference and are kept in configs).
struct LSTMOptions {
  /// The activation of the candidate (and, for LSTM, of the carry before the output gate), by Keras's name.
  /// tanh runs in oneDNN's cell, any other in a plain C++ cell.
  std::string activation = "tanh";
  /// The gates' activation. With tanh as `activation`, sigmoid runs in oneDNN's cell; any other in a plain
  /// C++ cell. "hard_sigmoid" is Keras 3's relu6(x + 3) / 6, not Keras 2's clip(0.2 x + 0.5, 0, 1).
  std::string recurrent_activation = "sigmoid";
  /// Whether the layer has a bias.
  bool use_bias = true;
  /// Initializer of the kernel (input projection).
  Initializer kernel_initializer = "glorot_uniform";
  /// Initializer of the recurrent kernel (state projection).
  Initializer recurrent_initializer = "orthogonal";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// Adds 1 to the forget gate's initial bias (Keras's default).
  bool unit_forget_bias = true;
  /// Dropout of the inputs in training; inference (all strata runs) ignores it.
  float dropout = 0.0f;
  /// Dropout of the state in training; inference ignores it.
  float recurrent_dropout = 0.0f;
  /// Return the output of every step (batch, steps, units) rather than the last (batch, units).
  bool return_sequences = false;
  /// Also return the last state(s): the layer then has 2 outputs (3 for LSTM: output, h, c); call it with
  /// `call_all`.
  bool return_state = false;
  /// Read the sequence from its last step; the outputs come in the order computed, as Keras returns them.
  bool go_backwards = false;
  /// Keras's state kept across batches; strata runs stateless inference, so true is a ValueError.
  bool stateful = false;
  /// Keras's loop unrolling; accepted, and the result is the same either way.
  bool unroll = false;
  /// With a mask, write zeros at the masked steps (and as the last output when the last step is masked)
  /// instead of the last output written: Keras's RNN argument, which Bidirectional sets to
  /// return_sequences in both halves.
  bool zero_output_for_mask = false;
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `LSTMOptions{}.set_name(...).set_return_sequences(...)`.
  /// Sets `activation`; returns this struct for chaining.
  LSTMOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `recurrent_activation`; returns this struct for chaining.
  LSTMOptions& set_recurrent_activation(std::string value) {
    recurrent_activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  LSTMOptions& set_use_bias(bool value) {
    use_bias = value;
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  LSTMOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `recurrent_initializer`; returns this struct for chaining.
  LSTMOptions& set_recurrent_initializer(Initializer value) {
    recurrent_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  LSTMOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `unit_forget_bias`; returns this struct for chaining.
  LSTMOptions& set_unit_forget_bias(bool value) {
    unit_forget_bias = value;
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  LSTMOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `recurrent_dropout`; returns this struct for chaining.
  LSTMOptions& set_recurrent_dropout(float value) {
    recurrent_dropout = value;
    return *this;
  }
  /// Sets `return_sequences`; returns this struct for chaining.
  LSTMOptions& set_return_sequences(bool value) {
    return_sequences = value;
    return *this;
  }
  /// Sets `return_state`; returns this struct for chaining.
  LSTMOptions& set_return_state(bool value) {
    return_state = value;
    return *this;
  }
  /// Sets `go_backwards`; returns this struct for chaining.
  LSTMOptions& set_go_backwards(bool value) {
    go_backwards = value;
    return *this;
  }
  /// Sets `stateful`; returns this struct for chaining.
  LSTMOptions& set_stateful(bool value) {
    stateful = value;
    return *this;
  }
  /// Sets `unroll`; returns this struct for chaining.
  LSTMOptions& set_unroll(bool value) {
    unroll = value;
    return *this;
  }
  /// Sets `zero_output_for_mask`; returns this struct for chaining.
  LSTMOptions& set_zero_output_for_mask(bool value) {
    zero_output_for_mask = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  LSTMOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};
/// What the recurrent layers share: calls on a sequence, with initial states or without. Its weights live
/// in the layer's cell, as Keras's do (`lstm/lstm_cell/kernel`), in Keras's order: kernel (features,
/// gates * units), recurrent_kernel (units, gates * units), bias (gates * units; a GRU with reset_after
/// (2, 3 * units): input bias, then recurrent bias), the gates in Keras's order (LSTM i, f, c, o; GRU z, r,
/// h).
class RecurrentLayer : public Layer {
 public:
  /// Calls the layer on a float32 sequence (batch, steps, features), from zero states or from
  /// `initial_state` (h, and c for an LSTM; each (batch, units)). Returns the output: every step's
  /// (batch, steps, units) with return_sequences, else the last (batch, units). Throws ValueError when the
  /// layer has return_state (use call_all) or for a wrong number of states; ShapeError for a sequence that
  /// is not of rank 3, a features count other than the first call's, or a state of another shape.
  ///
  /// Keras's mask: without `initial_state`, a sequence carrying a mask (SymbolicTensor::mask, from
  /// `Embedding(mask_zero = true)` or `Masking`) makes the layer skip its masked steps: each keeps the states
  /// and outputs the last output (zeros before the first kept step; zeros at every masked step in a
  /// Bidirectional that returns sequences). `mask` (a bool (batch, steps), true where a step counts; any
  /// type is read as nonzero) replaces it, as Keras's `mask=`; with initial states only a given mask counts,
  /// as in Keras. The output carries no mask. A masked layer runs Keras's loop in plain C++ on the plan's
  /// threads rather than oneDNN's RNN primitive, and cannot be exported to ONNX.
  SymbolicTensor operator()(const SymbolicTensor& sequence,
                            const std::vector<SymbolicTensor>& initial_state = {},
                            const SymbolicTensor& mask = {}) const;
  /// As operator(), returning every output: the output, then with return_state the last states (h; and c
  /// for an LSTM), as Keras's `output, h, c = lstm(x)`.
  std::vector<SymbolicTensor> call_all(const SymbolicTensor& sequence,
                                       const std::vector<SymbolicTensor>& initial_state = {},
                                       const SymbolicTensor& mask = {}) const;

 protected:
  RecurrentLayer() = default;
};

/// Keras's `SimpleRNN`: `h = activation(x @ kernel + h @ recurrent_kernel + bias)` per step. Compiles to one
/// oneDNN vanilla RNN primitive.
class SimpleRNN : public RecurrentLayer {
 public:
  /// Creates the layer. Throws ValueError for units < 1, an unknown activation or initializer, a dropout
  /// outside [0, 1], or stateful.
  explicit SimpleRNN(int units, SimpleRNNOptions options = {});
};

/// Keras's `GRU` (Cho et al. 2014): update and reset gates and a candidate state, with Keras 3's
/// `reset_after` form by default. Compiles to one oneDNN GRU primitive (linear-before-reset for reset_after).
class GRU : public RecurrentLayer {
 public:
  /// Creates the layer. Throws as SimpleRNN's constructor.
  explicit GRU(int units, GRUOptions options = {});
};

/// Keras's `LSTM` (Hochreiter 1997): input, forget and output gates and a carry state. Compiles to one
/// oneDNN LSTM primitive.
class LSTM : public RecurrentLayer {
 public:
  /// Creates the layer. Throws as SimpleRNN's constructor.
  explicit LSTM(int units, LSTMOptions options = {});
};

}  // namespace strata::layers

namespace strata::layers {

/// Keras `Bidirectional` keyword arguments, in Keras's order.
struct BidirectionalOptions {
  /// How the forward and backward outputs combine: "concat" (the last axis), "sum", "mul", "ave", or "" for
  /// Keras's None (both outputs, forward first; call with call_all).
  std::string merge_mode = "concat";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `BidirectionalOptions{}.set_name(...).set_merge_mode(...)`.
  /// Sets `merge_mode`; returns this struct for chaining.
  BidirectionalOptions& set_merge_mode(std::string value) {
    merge_mode = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  BidirectionalOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras's `Bidirectional`: a copy of `layer` named `forward_<name>` reads the sequence forwards, another
/// named `backward_<name>` (with go_backwards) reads it backwards, and their outputs merge, the backward
/// sequence realigned with the input's steps. With return_state the outputs are the merged output, the
/// forward states, then the backward ones; initial states are given the same way (forward half first).
/// Weights: the forward layer's, then the backward layer's. Each half compiles to its own oneDNN RNN
/// primitive; on two threads the two run at once, one thread each.
class Bidirectional : public RecurrentLayer {
 public:
  /// Wraps a copy of `layer` (SimpleRNN, GRU or LSTM; its own weights are not shared). Throws ValueError for
  /// a merge_mode Keras does not have, or a layer with go_backwards.
  explicit Bidirectional(const RecurrentLayer& layer, BidirectionalOptions options = {});
};

}  // namespace strata::layers
