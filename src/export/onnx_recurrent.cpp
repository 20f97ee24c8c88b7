// Keras's recurrent layers as ONNX's RNN, GRU and LSTM operators (one direction each, ONNX's time-major
// layout between two Transposes): Keras's kernels transposed to ONNX's (gates * hidden, input), the LSTM's
// gates reordered from Keras's i, f, c, o to ONNX's i, o, f, c, and Keras's activations by ONNX's names.

#include <limits>

#include "export/onnx_builder.hpp"

namespace strata::detail::onnx_export {
namespace {

using Cell = ir::RecurrentOp::Cell;

// ONNX's name and parameters of a recurrent activation; nullopt for one ONNX's cells do not have.
struct OnnxCellActivation {
  std::string name;
  std::optional<float> alpha, beta;
};

std::optional<OnnxCellActivation> cell_activation(const Activation& a) {
  switch (a.kind) {
    case ActivationKind::kTanh:
      return OnnxCellActivation{"Tanh", {}, {}};
    case ActivationKind::kSigmoid:
      return OnnxCellActivation{"Sigmoid", {}, {}};
    case ActivationKind::kRelu:
      if (a.alpha == 0.0f && a.threshold == 0.0f && std::isinf(a.max_value))
        return OnnxCellActivation{"Relu", {}, {}};
      return std::nullopt;
    case ActivationKind::kLinear:
      return OnnxCellActivation{"Affine", 1.0f, 0.0f};
    // Keras 3's hard_sigmoid: relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1).
    case ActivationKind::kHardSigmoid:
      return OnnxCellActivation{"HardSigmoid", 1.0f / 6.0f, 0.5f};
    case ActivationKind::kHardSigmoidKeras2:
      return OnnxCellActivation{"HardSigmoid", 0.2f, 0.5f};
    case ActivationKind::kSoftplus:
      return OnnxCellActivation{"Softplus", {}, {}};
    case ActivationKind::kElu:
      return OnnxCellActivation{"Elu", 1.0f, {}};
    default:
      return std::nullopt;
  }
}

// Keras's (rows, gates * hidden) matrix as ONNX's (1, gates * hidden, rows), gates taken in `order`.
std::pair<std::vector<int64_t>, std::vector<float>> gates_first(const Tensor& t, int64_t hidden,
                                                                const std::vector<int>& order) {
  const int64_t rows = t.dims()[0], width = t.dims()[1];
  std::vector<float> dst(static_cast<size_t>(t.size()));
  int64_t at = 0;
  for (int g : order) {
    for (int64_t j = 0; j < hidden; ++j)
      for (int64_t i = 0; i < rows; ++i)
        dst[static_cast<size_t>(at++)] = t.data()[i * width + g * hidden + j];
  }
  return {{1, static_cast<int64_t>(order.size()) * hidden, rows}, std::move(dst)};
}

}  // namespace

void OnnxBuilder::recurrent(const ir::Op& op, const ir::RecurrentOp&, const std::string& name) {
  // A Bidirectional layer's halves as two one-direction nodes (ONNX's bidirectional form would need its
  // output split again).
  const std::vector<ir::RecurrentHalf> halves = ir::recurrent_halves(op);
  // ONNX's recurrent ops take sequence lengths (padding at the end only, zeros written after it), not
  // Keras's mask of any steps: refused rather than exported unmasked.
  if (halves.front().attrs->masked) {
    throw ValueError(
        fmt::format("[{}] Cannot export to ONNX: it skips masked steps (Keras's mask from "
                    "Embedding(mask_zero) or Masking), which ONNX's recurrent operators cannot express",
                    name));
  }
  for (size_t i = 0; i < halves.size(); ++i)
    recurrent_half(halves[i], halves.size() == 1 ? name : name + (i == 0 ? "/forward" : "/backward"));
}

void OnnxBuilder::recurrent_half(const ir::RecurrentHalf& half, const std::string& name) {
  const ir::RecurrentOp& r = *half.attrs;
  const int64_t hidden = r.recurrent_kernel->dims()[0];
  const int gates = r.gates();
  // ONNX's gate orders: LSTM i, o, f, c (Keras: i, f, c, o); GRU z, r, h and RNN as Keras.
  const std::vector<int> order = r.cell == Cell::kLstm  ? std::vector<int>{0, 3, 1, 2}
                                 : r.cell == Cell::kGru ? std::vector<int>{0, 1, 2}
                                                        : std::vector<int>{0};
  // f (gates), g (candidate), h (output) for an LSTM; f, g for a GRU; one for an RNN.
  std::vector<Activation> acts{r.activation};
  if (r.cell == Cell::kGru) acts = {r.recurrent_activation, r.activation};
  if (r.cell == Cell::kLstm) acts = {r.recurrent_activation, r.activation, r.activation};
  std::vector<std::string> act_names;
  std::vector<float> alphas, betas;
  for (const Activation& a : acts) {
    const auto onnx = cell_activation(a);
    if (!onnx) {
      throw ValueError(
          fmt::format("[{}] Cannot export to ONNX: its recurrent cell uses the activation {}, "
                      "which ONNX's recurrent operators do not have",
                      name, detail::activation_name(a)));
    }
    act_names.push_back(onnx->name);
    if (onnx->alpha) alphas.push_back(*onnx->alpha);
    if (onnx->beta) betas.push_back(*onnx->beta);
  }

  const std::string w = out_.weight(r.kernel, "onnx_rnn_w", name + "/W",
                                    [&](const Tensor& t) { return gates_first(t, hidden, order); });
  const std::string rw = out_.weight(r.recurrent_kernel, "onnx_rnn_r", name + "/R",
                                     [&](const Tensor& t) { return gates_first(t, hidden, order); });
  // B is (1, 2 * gates * hidden): the input biases, then the recurrent ones (only a reset_after GRU has any).
  std::vector<float> bias(static_cast<size_t>(2 * gates * hidden), 0.0f);
  if (r.bias) {
    const float* b = r.bias->data();
    for (size_t g = 0; g < order.size(); ++g) {
      for (int64_t j = 0; j < hidden; ++j) {
        bias[g * hidden + j] = b[order[g] * hidden + j];
        if (r.cell == Cell::kGru && r.reset_after)
          bias[(gates + g) * hidden + j] = b[(gates + order[g]) * hidden + j];
      }
    }
  }
  const std::string b = out_.initializer(name + "/B", {1, 2 * gates * hidden}, bias);

  // ONNX's sequences are time-major: (T, N, F).
  const std::string x_tnc = out_.unique(name + "/time_major");
  OnnxGraph::attr(out_.node("Transpose", {get(half.sequence, Layout::kNhwc)}, {x_tnc}, name + "/time_major"),
                  "perm", std::vector<int64_t>{1, 0, 2});
  const std::string axis0 = out_.int64_initializer(name + "/axis0", {0});
  auto with_direction_axis = [&](ir::ValueId v, const char* what) {
    const std::string t = out_.unique(fmt::format("{}/{}", name, what));
    out_.node("Unsqueeze", {get(v, Layout::kNhwc), axis0}, {t}, t);
    return t;
  };
  std::vector<std::string> inputs{
      x_tnc, w, rw, b, "", !half.initial.empty() ? with_direction_axis(half.initial[0], "initial_h") : ""};
  if (r.cell == Cell::kLstm)
    inputs.push_back(half.initial.size() > 1 ? with_direction_axis(half.initial[1], "initial_c") : "");
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();

  const std::string y = out_.unique(name + "/Y"), y_h = out_.unique(name + "/Y_h");
  std::vector<std::string> outputs{y, y_h};
  std::string y_c;
  if (r.cell == Cell::kLstm) outputs.push_back(y_c = out_.unique(name + "/Y_c"));
  const char* type = r.cell == Cell::kLstm ? "LSTM" : r.cell == Cell::kGru ? "GRU" : "RNN";
  onnx::NodeProto& node = out_.node(type, inputs, outputs, name);
  OnnxGraph::attr(node, "hidden_size", hidden);
  OnnxGraph::attr(node, "direction", std::string(r.backwards ? "reverse" : "forward"));
  onnx::AttributeProto* names = node.add_attribute();
  names->set_name("activations");
  names->set_type(onnx::AttributeProto_AttributeType_STRINGS);
  for (const std::string& n : act_names) names->add_strings(n);
  auto floats = [&](const char* key, const std::vector<float>& values) {
    if (values.empty()) return;
    onnx::AttributeProto* a = node.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_FLOATS);
    for (float v : values) a->add_floats(v);
  };
  floats("activation_alpha", alphas);
  floats("activation_beta", betas);
  if (r.cell == Cell::kGru) OnnxGraph::attr(node, "linear_before_reset", int64_t{r.reset_after ? 1 : 0});

  // Y (T, 1, N, H) -> (N, T, H); ONNX's reverse direction writes output t for input t, Keras's go_backwards
  // in the order computed.
  const std::string squeezed = out_.unique(name + "/Y_squeezed");
  out_.node("Squeeze", {y, out_.int64_initializer(name + "/axis1", {1})}, {squeezed}, squeezed);
  const bool flip = r.backwards && !r.aligned;
  const std::string batch_major = flip ? out_.unique(name + "/Y_batch_major") : define_value(half.outputs[0]);
  OnnxGraph::attr(out_.node("Transpose", {squeezed}, {batch_major}, name + "/batch_major"), "perm",
                  std::vector<int64_t>{1, 0, 2});
  if (flip) {
    out_.node(
        "Slice",
        {batch_major, out_.int64_initializer(name + "/flip_start", {-1}),
         out_.int64_initializer(name + "/flip_end", {std::numeric_limits<int64_t>::min()}),
         out_.int64_initializer(name + "/flip_axis", {1}), out_.int64_initializer(name + "/flip_step", {-1})},
        {define_value(half.outputs[0])}, name + "/go_backwards");
  }
  out_.node("Squeeze", {y_h, axis0}, {define_value(half.outputs[1])}, name + "/h");
  if (r.cell == Cell::kLstm) out_.node("Squeeze", {y_c, axis0}, {define_value(half.outputs[2])}, name + "/c");
}

}  // namespace strata::detail::onnx_export
