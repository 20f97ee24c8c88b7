// Keras's recurrent layers (SimpleRNN, GRU, LSTM): a shape rule over (batch, steps, features) sequences,
// the weights in a cell as Keras keeps them (Keras 3 files store them under `<layer>/cell/vars`, Keras 2
// files as `<layer>/<cell name>/kernel:0`), and one RecurrentOp per call.

#include "strata/layers/recurrent.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/recurrent_impl.hpp"
#include "layers/weights_sublayer.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using Cell = ir::RecurrentOp::Cell;

template <class Options>
struct RecurrentArgs {
  int units = 0;
  Options options;
};

template <class Options>
struct CellTraits;
template <>
struct CellTraits<SimpleRNNOptions> {
  static constexpr Cell cell = Cell::kSimple;
  static constexpr const char* cell_class = "SimpleRNNCell";
  static constexpr const char* cell_name = "simple_rnn_cell";
};
template <>
struct CellTraits<GRUOptions> {
  static constexpr Cell cell = Cell::kGru;
  static constexpr const char* cell_class = "GRUCell";
  static constexpr const char* cell_name = "gru_cell";
};
template <>
struct CellTraits<LSTMOptions> {
  static constexpr Cell cell = Cell::kLstm;
  static constexpr const char* cell_class = "LSTMCell";
  static constexpr const char* cell_name = "lstm_cell";
};

// The keys every recurrent class writes, after its cell's own: Keras's RNN base, then what has no effect at
// inference. `.option` for what strata keeps in the options struct.
template <class Args>
detail::LayerSchema<Args>& rnn_keys(detail::LayerSchema<Args>& s) {
  using Init = detail::InitializerCodec;
  s.template option<Init>("kernel_initializer", STRATA_ARG(options.kernel_initializer))
      .template option<Init>("recurrent_initializer", STRATA_ARG(options.recurrent_initializer))
      .template option<Init>("bias_initializer", STRATA_ARG(options.bias_initializer));
  return s;
}

template <class Args>
detail::LayerSchema<Args>& rnn_tail(detail::LayerSchema<Args>& s) {
  s.kept("kernel_regularizer")
      .kept("recurrent_regularizer")
      .kept("bias_regularizer")
      .kept("activity_regularizer")
      .kept("kernel_constraint")
      .kept("recurrent_constraint")
      .kept("bias_constraint")
      .option("dropout", STRATA_ARG(options.dropout))
      .option("recurrent_dropout", STRATA_ARG(options.recurrent_dropout))
      .option("return_sequences", STRATA_ARG(options.return_sequences))
      .option("return_state", STRATA_ARG(options.return_state))
      .option("go_backwards", STRATA_ARG(options.go_backwards))
      .option("stateful", STRATA_ARG(options.stateful))
      .option("unroll", STRATA_ARG(options.unroll))
      .option("zero_output_for_mask", STRATA_ARG(options.zero_output_for_mask))
      // Keras 2's implementation choice (1 or 2: the same numbers) and tf.keras's time_major layout flag.
      .accepted("implementation")
      .only_default("time_major", false);
  return s;
}

const detail::LayerSchema<RecurrentArgs<SimpleRNNOptions>>& simple_rnn_schema() {
  static const auto schema = [] {
    detail::LayerSchema<RecurrentArgs<SimpleRNNOptions>> s("SimpleRNN");
    s.required("units", STRATA_ARG(units))
        .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
        .option("use_bias", STRATA_ARG(options.use_bias));
    rnn_keys(s);
    // Keras 3's SimpleRNN takes a seed (for dropout) but does not write it.
    rnn_tail(s).accepted("seed");
    return s;
  }();
  return schema;
}

const detail::LayerSchema<RecurrentArgs<GRUOptions>>& gru_schema() {
  static const auto schema = [] {
    detail::LayerSchema<RecurrentArgs<GRUOptions>> s("GRU");
    s.required("units", STRATA_ARG(units))
        .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
        .option<detail::ActivationCodec>("recurrent_activation", STRATA_ARG(options.recurrent_activation))
        .option("use_bias", STRATA_ARG(options.use_bias));
    rnn_keys(s);
    rnn_tail(s).option("reset_after", STRATA_ARG(options.reset_after)).kept("seed").accepted("use_cudnn");
    return s;
  }();
  return schema;
}

const detail::LayerSchema<RecurrentArgs<LSTMOptions>>& lstm_schema() {
  static const auto schema = [] {
    detail::LayerSchema<RecurrentArgs<LSTMOptions>> s("LSTM");
    s.required("units", STRATA_ARG(units))
        .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
        .option<detail::ActivationCodec>("recurrent_activation", STRATA_ARG(options.recurrent_activation))
        .option("use_bias", STRATA_ARG(options.use_bias));
    rnn_keys(s).option("unit_forget_bias", STRATA_ARG(options.unit_forget_bias));
    rnn_tail(s).kept("seed").accepted("use_cudnn");
    return s;
  }();
  return schema;
}

template <class Options>
const detail::LayerSchema<RecurrentArgs<Options>>& schema_of() {
  if constexpr (std::is_same_v<Options, SimpleRNNOptions>) return simple_rnn_schema();
  if constexpr (std::is_same_v<Options, GRUOptions>) return gru_schema();
  if constexpr (std::is_same_v<Options, LSTMOptions>) return lstm_schema();
}

template <class Options>
class RecurrentImpl : public detail::ConfiguredLayer<RecurrentArgs<Options>>,
                      public detail::RecurrentLayerImpl {
  using Base = detail::ConfiguredLayer<RecurrentArgs<Options>>;
  using Traits = CellTraits<Options>;

 public:
  explicit RecurrentImpl(RecurrentArgs<Options> a)
      : Base(schema_of<Options>(), std::move(a)),
        cell_(std::make_shared<detail::WeightsSublayer>(Traits::cell_class, Traits::cell_name)) {
    const Options& o = this->args_.options;
    const std::string where = this->prefix();
    if (this->args_.units <= 0) {
      throw ValueError(
          fmt::format("{} Received an invalid value for argument `units`, expected a positive "
                      "integer, got {}",
                      where, this->args_.units));
    }
    activation_ = detail::parse_activation(o.activation, where);
    if constexpr (requires { o.recurrent_activation; })
      recurrent_activation_ = detail::parse_activation(o.recurrent_activation, where);
    for (const detail::Activation* a : {&activation_, &recurrent_activation_}) {
      if (detail::is_softmax(a->kind)) {
        throw ValueError(fmt::format("{} Expected an element-wise activation, received {}", where,
                                     detail::activation_name(*a)));
      }
    }
    for (const auto& [what, value] :
         {std::pair{"dropout", o.dropout}, {"recurrent_dropout", o.recurrent_dropout}}) {
      if (!(value >= 0.0f && value <= 1.0f))
        throw ValueError(fmt::format("{} Expected {} in [0, 1], received {}", where, what, value));
    }
    if (o.stateful) {
      throw ValueError(
          fmt::format("{} stateful=True keeps states between batches for training and streaming; "
                      "strata runs stateless inference. Pass the states with initial_state and "
                      "return_state instead",
                      where));
    }
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.recurrent_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  int states() const { return Traits::cell == Cell::kLstm ? 2 : 1; }
  int state_count() const override { return states(); }
  bool returns_sequences() const override { return options().return_sequences; }
  bool returns_state() const override { return options().return_state; }
  bool goes_backwards() const override { return options().go_backwards; }
  int units() const { return this->args_.units; }
  const Options& options() const { return this->args_.options; }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    const std::string where = this->prefix();
    const int states = this->states();
    if (inputs.empty() || (inputs.size() != 1 && inputs.size() != static_cast<size_t>(1 + states))) {
      throw ValueError(
          fmt::format("{} Expected a sequence and {} initial state tensor{}, received {} initial "
                      "state tensors",
                      where, states, states == 1 ? "" : "s", inputs.empty() ? 0 : inputs.size() - 1));
    }
    const Shape& x = inputs[0];
    if (x.rank() != 3) {
      throw ShapeError(
          fmt::format("{} Expected a sequence of rank 3 (batch, steps, features), received shape {}", where,
                      x.to_string()));
    }
    detail::expect_channels(*this, x, features_);
    for (size_t i = 1; i < inputs.size(); ++i) {
      const Shape& s = inputs[i];
      if (s.rank() != 2 || s[1] != Dim(units())) {
        throw ShapeError(fmt::format("{} Expected initial state {} of shape (None, {}), received shape {}",
                                     where, i - 1, units(), s.to_string()));
      }
    }
    const Options& o = options();
    std::vector<Shape> out;
    out.push_back(o.return_sequences ? Shape({x[0], x[1], Dim(units())}) : Shape({x[0], Dim(units())}));
    if (o.return_state) {
      for (int s = 0; s < states; ++s) out.push_back(Shape({x[0], Dim(units())}));
    }
    return out;
  }

  void build(const std::vector<Shape>& inputs) override {
    features_ = *inputs[0][2];
    const Options& o = options();
    const int64_t units = this->units(), gates = Traits::cell == Cell::kSimple ? 1
                                                 : Traits::cell == Cell::kGru  ? 3
                                                                               : 4;
    const int64_t width = gates * units;
    cell_->discard_build();
    cell_->make("kernel", detail::initialize(o.kernel_initializer, {features_, width}, double(features_),
                                             double(width)));
    cell_->make("recurrent_kernel",
                detail::initialize(o.recurrent_initializer, {units, width}, double(units), double(width)));
    if (o.use_bias) {
      Tensor bias = [&] {
        if constexpr (Traits::cell == Cell::kGru) {
          if (o.reset_after) return detail::initialize(o.bias_initializer, {2, width}, 2.0, double(width));
        }
        return detail::initialize(o.bias_initializer, {width}, double(width), double(width));
      }();
      if constexpr (Traits::cell == Cell::kLstm) {
        // Keras's unit_forget_bias: the initializer's values for i, c and o, ones for the forget gate.
        if (o.unit_forget_bias) {
          const Tensor gate = detail::initialize(o.bias_initializer, {units}, double(units), double(units));
          const Tensor rest =
              detail::initialize(o.bias_initializer, {2 * units}, double(2 * units), double(2 * units));
          float* b = bias.data();
          std::copy(gate.data(), gate.data() + units, b);
          std::fill(b + units, b + 2 * units, 1.0f);
          std::copy(rest.data(), rest.data() + 2 * units, b + 2 * units);
        }
      }
      cell_->make("bias", std::move(bias));
    }
    cell_->mark_built();
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    if (!node.mask_input) return lower_with(graph, inputs, options().go_backwards, false, -1, false);
    const std::vector<ir::ValueId> given(inputs.begin(), inputs.end() - 1);
    return lower_with(graph, given, options().go_backwards, false, inputs.back(),
                      options().zero_output_for_mask);
  }

  /// The op of one call: the outputs Keras returns (output, then the states with return_state). `aligned`
  /// as in ir::RecurrentOp (a Bidirectional's backward half).
  std::vector<ir::ValueId> lower_with(ir::Graph& graph, const std::vector<ir::ValueId>& inputs,
                                      bool backwards, bool aligned, ir::ValueId mask,
                                      bool zero_output_for_mask) const override {
    const std::vector<int64_t> x = graph.values[inputs[0]].dims;  // add_value below moves the values
    const int64_t units = this->units();
    ir::RecurrentOp op;
    op.cell = Traits::cell;
    op.activation = activation_;
    op.recurrent_activation = recurrent_activation_;
    const auto& vars = cell_->variables();
    op.kernel = vars[0].tensor();
    op.recurrent_kernel = vars[1].tensor();
    if (vars.size() > 2) op.bias = vars[2].tensor();
    if constexpr (Traits::cell == Cell::kGru) op.reset_after = options().reset_after;
    op.backwards = backwards;
    op.aligned = aligned;
    std::vector<ir::ValueId> op_inputs = inputs;
    if (mask >= 0) {
      detail::expect_mask_dims(graph, mask, {x[0], x[1]}, this->prefix(), "mask");
      op.masked = true;
      op.zero_output_for_mask = zero_output_for_mask;
      op_inputs.push_back(detail::emit_cast(graph, mask, DType::kBool, this->name()));
    }
    std::vector<ir::ValueId> outs;
    outs.push_back(graph.add_value({x[0], x[1], units}, this->name()));
    for (int s = 0; s < states(); ++s) outs.push_back(graph.add_value({x[0], units}, this->name()));
    graph.ops.push_back(ir::Op{op, op_inputs, outs, {}, {this->name()}});
    ir::ValueId last = outs[1];
    if (mask >= 0 && !options().return_sequences) {
      // Keras's last output is the last one written, which a masked row never wrote (zeros) even when its
      // state is a given initial one: the sequence's last computed step.
      const bool first = backwards && aligned;
      ir::SpatialPadding crop;
      crop.before = {static_cast<int>(first ? 0 : x[1] - 1)};
      crop.after = {static_cast<int>(first ? x[1] - 1 : 0)};
      const ir::ValueId step = graph.add_value({x[0], 1, units}, this->name());
      graph.ops.push_back(ir::Op{ir::CropOp{crop}, {outs[0]}, {step}, {}, {this->name()}});
      last = detail::emit_reshape(graph, step, {x[0], units}, this->name());
    }
    std::vector<ir::ValueId> result{options().return_sequences ? outs[0] : last};
    if (options().return_state) result.insert(result.end(), outs.begin() + 1, outs.end());
    return result;
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& x = node.inputs[0].shape();
    if (!x[1]) return 0;
    int64_t per_step = 0;
    for (const detail::Variable& v : cell_->variables()) {
      if (v.dims().size() == 2 && v.name != "bias") per_step += v.size();
    }
    return per_step * *x[1];
  }

  std::vector<SymbolicTensor> call_from_config(const std::shared_ptr<detail::LayerImpl>& self,
                                               const detail::ConfigCall& call) override {
    return detail::call_recurrent_from_config(self, call);
  }
  nlohmann::json keras3_call(const detail::Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    return detail::recurrent_keras3_call(node, ref);
  }
  std::string cpp_call(const detail::Node& node, const std::string& callee,
                       const std::vector<std::string>& inputs) const override {
    return detail::recurrent_cpp_call(node, callee, inputs);
  }
  nlohmann::json keras3_build_config(const detail::Node& node) const override {
    return detail::recurrent_keras3_build_config(node);
  }
  std::vector<detail::SublayerGroup> sublayers() const override { return {{"cell", false, {cell_.get()}}}; }
  std::vector<detail::Variable> weights() const override { return detail::held_weights({cell_}); }
  void set_weights(const std::vector<Tensor>& values) override {
    detail::set_held_weights(this->prefix(), {cell_}, values);
  }
  uint64_t weights_version() const override { return detail::held_weights_version({cell_}); }
  size_t release_weights(const detail::LayerImpl::ReleaseFn& release) override {
    return detail::release_held_weights({cell_}, release);
  }

 private:
  std::shared_ptr<detail::WeightsSublayer> cell_;
  detail::Activation activation_{detail::ActivationKind::kTanh};
  detail::Activation recurrent_activation_{detail::ActivationKind::kSigmoid};
  int64_t features_ = -1;
};

}  // namespace

SymbolicTensor RecurrentLayer::operator()(const SymbolicTensor& sequence,
                                          const std::vector<SymbolicTensor>& initial_state,
                                          const SymbolicTensor& mask) const {
  // Counted before the call, which would add a node: a failed call leaves the layer as it was. (Empty
  // tensors go to the call, which names them.)
  size_t outputs = 1;
  if (sequence &&
      std::all_of(initial_state.begin(), initial_state.end(), [](const auto& s) { return bool(s); })) {
    std::vector<Shape> shapes{sequence.shape()};
    for (const SymbolicTensor& s : initial_state) shapes.push_back(s.shape());
    outputs = impl_->compute_output_shapes(shapes).size();
  }
  if (outputs != 1) {
    throw ValueError(
        fmt::format("{} The layer has {} outputs (with return_state: the output and the last states; "
                    "a Bidirectional with merge_mode None: both halves); call it with call_all",
                    impl_->prefix(), outputs));
  }
  return call_all(sequence, initial_state, mask).front();
}

std::vector<SymbolicTensor> RecurrentLayer::call_all(const SymbolicTensor& sequence,
                                                     const std::vector<SymbolicTensor>& initial_state,
                                                     const SymbolicTensor& mask) const {
  std::vector<SymbolicTensor> inputs{sequence};
  inputs.insert(inputs.end(), initial_state.begin(), initial_state.end());
  return mask ? call_masked(inputs, mask) : call(inputs);
}

SimpleRNN::SimpleRNN(int units, SimpleRNNOptions options) {
  impl_ = std::make_shared<RecurrentImpl<SimpleRNNOptions>>(
      RecurrentArgs<SimpleRNNOptions>{units, std::move(options)});
}

GRU::GRU(int units, GRUOptions options) {
  impl_ = std::make_shared<RecurrentImpl<GRUOptions>>(RecurrentArgs<GRUOptions>{units, std::move(options)});
}

LSTM::LSTM(int units, LSTMOptions options) {
  impl_ = std::make_shared<RecurrentImpl<LSTMOptions>>(RecurrentArgs<LSTMOptions>{units, std::move(options)});
}

}  // namespace strata::layers

namespace strata::detail {
nlohmann::json recurrent_keras3_build_config(const Node& node) {
  const std::vector<SymbolicTensor> arguments = node.arguments();
  if (arguments.size() == 1) return {{"input_shape", shape_json(arguments.front().shape())}};
  nlohmann::json states = nlohmann::json::array();
  for (size_t i = 1; i < arguments.size(); ++i) states.push_back(shape_json(arguments[i].shape()));
  return {{"shapes_dict",
           {{"sequences_shape", shape_json(arguments.front().shape())}, {"initial_state_shape", states}}}};
}

nlohmann::json recurrent_keras3_call(const Node& node,
                                     const std::function<nlohmann::json(const SymbolicTensor&)>& ref) {
  nlohmann::json kwargs = nlohmann::json::object();
  const std::vector<SymbolicTensor> arguments = node.arguments();
  if (arguments.size() > 1) {
    nlohmann::json states = nlohmann::json::array();
    for (size_t i = 1; i < arguments.size(); ++i) states.push_back(ref(arguments[i]));
    kwargs["initial_state"] = states;
  }
  if (node.mask_input) kwargs["mask"] = ref(node.inputs.back());
  return {{"args", nlohmann::json::array({ref(node.inputs.front())})}, {"kwargs", kwargs}};
}

std::string recurrent_cpp_call(const Node& node, const std::string& callee,
                               const std::vector<std::string>& inputs) {
  const std::string call = node.output_shapes.size() > 1 ? callee + ".call_all" : callee;
  // A mask the call takes from its sequence by itself is left out.
  const bool explicit_mask = node.mask_input && !automatic_mask_argument(node);
  const size_t arguments = inputs.size() - (node.mask_input ? 1 : 0);
  const std::vector<std::string> states(inputs.begin() + 1, inputs.begin() + static_cast<long>(arguments));
  if (explicit_mask)
    return fmt::format("{}({}, {{{}}}, {})", call, inputs[0], fmt::join(states, ", "), inputs.back());
  if (states.empty()) return fmt::format("{}({})", call, inputs[0]);
  return fmt::format("{}({}, {{{}}})", call, inputs[0], fmt::join(states, ", "));
}

std::vector<SymbolicTensor> call_recurrent_from_config(const std::shared_ptr<LayerImpl>& self,
                                                       const ConfigCall& call) {
  // Keras 3's RNN.call(sequences, initial_state=None, mask=None, training=False).
  expect_config_kwargs(*self, call, {"initial_state", "sequences"}, {});
  std::vector<SymbolicTensor> inputs = leading_inputs(*self, call, "sequences");
  if (const auto it = call.tensor_kwargs.find("initial_state"); it != call.tensor_kwargs.end())
    inputs.insert(inputs.end(), it->second.begin(), it->second.end());
  // Keras fills in the mask only for a call of the sequence alone.
  return call_layer(self, inputs,
                    config_mask(*self, call, inputs.size() == 1 ? inputs[0].mask() : SymbolicTensor()));
}

void register_recurrent_layers() {
  using namespace layers;
  register_layer(simple_rnn_schema(), [](RecurrentArgs<SimpleRNNOptions> a) {
    return std::make_shared<RecurrentImpl<SimpleRNNOptions>>(std::move(a));
  });
  register_layer(gru_schema(), [](RecurrentArgs<GRUOptions> a) {
    return std::make_shared<RecurrentImpl<GRUOptions>>(std::move(a));
  });
  register_layer(lstm_schema(), [](RecurrentArgs<LSTMOptions> a) {
    return std::make_shared<RecurrentImpl<LSTMOptions>>(std::move(a));
  });
}
}  // namespace strata::detail
