// The element-wise ops of keras.ops: binary arithmetic with numpy broadcasting (a number operand becomes an
// element-wise step that fuses into the op before it), math functions, and the activations of keras.ops.nn.

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/saturating.hpp"
#include "graph/node.hpp"
#include "layers/broadcast.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

constexpr const char* kNn = "keras.src.ops.nn";
constexpr const char* kMath = "keras.src.ops.math";
constexpr float kInfinity = std::numeric_limits<float>::infinity();

enum class Binary { kAdd, kSubtract, kMultiply, kDivide, kTrueDivide, kMaximum, kMinimum, kPower };

const char* class_name_of(Binary op) {
  switch (op) {
    case Binary::kAdd:
      return "Add";
    case Binary::kSubtract:
      return "Subtract";
    case Binary::kMultiply:
      return "Multiply";
    case Binary::kDivide:
      return "Divide";
    case Binary::kTrueDivide:
      return "TrueDivide";
    case Binary::kMaximum:
      return "Maximum";
    case Binary::kMinimum:
      return "Minimum";
    case Binary::kPower:
      return "Power";
  }
  return "?";
}

class BinaryOpLayer : public OpLayer {
 public:
  // numpy broadcasting lines up the batch axes too: ops::arange's batch of 1 stretches.
  bool broadcasts_batch() const override { return true; }

  BinaryOpLayer(Binary op, OpArgument x1, OpArgument x2)
      : OpLayer(class_name_of(op), kNumpy), op_(op), x1_(x1), x2_(x2) {
    if (!x1.is_tensor() && !x2.is_tensor()) {
      throw ValueError(
          fmt::format("{} Expected at least one symbolic tensor operand, received two numbers ({} and "
                      "{}): compute those in C++",
                      prefix(), *x1.number, *x2.number));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (x1_.is_tensor() && x2_.is_tensor()) {
      expect_input_count(*this, inputs, 2);
      return {broadcast_op_shapes(prefix(), inputs[0], inputs[1])};
    }
    expect_input_count(*this, inputs, 1);
    return {inputs[0]};
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    return {result_dtype(inputs)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& given) const override {
    const DType type = result_dtype(value_dtypes(graph, given));
    if (type != DType::kFloat32) return lower_integers(graph, given, type);
    // float32: integer or bool operands converted first, then oneDNN's binary or an element-wise step.
    std::vector<ir::ValueId> inputs;
    for (ir::ValueId v : given) inputs.push_back(emit_cast(graph, v, DType::kFloat32, name()));
    if (inputs.size() == 1) {
      const std::vector<int64_t> dims = graph.values[inputs[0]].dims;
      const ir::ValueId out = graph.add_value(dims, name());
      graph.ops.push_back(ir::Op{ir::ActivationOp{number_step()}, {inputs[0]}, {out}, {}, {name()}});
      return {out};
    }
    const auto& a = graph.values[inputs[0]].dims;
    const auto& b = graph.values[inputs[1]].dims;
    const std::optional<std::vector<int64_t>> dims = broadcast_dims(a, b);
    if (!dims) {
      throw ShapeError(fmt::format("{} Cannot broadcast shapes {} and {}", prefix(), to_shape(a).to_string(),
                                   to_shape(b).to_string()));
    }
    const ir::ValueId out = graph.add_value(*dims, name());
    graph.ops.push_back(ir::Op{ir::BinaryOp{binary_kind()}, {inputs[0], inputs[1]}, {out}, {}, {name()}});
    return {out};
  }

  nlohmann::json call_numbers() const override {
    nlohmann::json out = nlohmann::json::object();
    if (!x1_.is_tensor()) out["x1"] = x1_.json();
    if (!x2_.is_tensor()) out["x2"] = x2_.json();
    return out;
  }
  std::vector<OpArgument> call_arguments(size_t) const override { return {x1_, x2_}; }

 private:
  // Keras's result type (true division always gives a float: Keras adds `float` to its operands), refusing
  // what strata does not compute: arithmetic on bools, and powers of integers.
  DType result_dtype(const std::vector<DType>& tensors) const {
    std::vector<OperandType> types = operand_types({x1_, x2_}, tensors);
    const bool divides = op_ == Binary::kDivide || op_ == Binary::kTrueDivide;
    if (divides) types.push_back(OperandType::number(false));
    const DType type = result_type(types);
    if (type == DType::kBool) {
      throw ValueError(
          fmt::format("{} Expected numeric operands, received bool ones: arithmetic on bools is "
                      "not defined; cast them with ops::cast first",
                      prefix()));
    }
    if (op_ == Binary::kPower && type != DType::kFloat32) {
      throw ValueError(
          fmt::format("{} strata computes power in float32; received {} operands: cast them "
                      "with ops::cast(x, \"float32\") first",
                      prefix(), dtype_name(type)));
    }
    check_number_range(prefix(), {x1_, x2_}, {type, type});
    return type;
  }

  // Integer arithmetic: one plain C++ step on operands converted to `type` (bool becomes 0 and 1).
  std::vector<ir::ValueId> lower_integers(ir::Graph& graph, const std::vector<ir::ValueId>& given,
                                          DType type) const {
    using K = ir::ElementwiseOp::Kind;
    K kind = K::kAdd;
    switch (op_) {
      case Binary::kAdd:
        kind = K::kAdd;
        break;
      case Binary::kSubtract:
        kind = K::kSubtract;
        break;
      case Binary::kMultiply:
        kind = K::kMultiply;
        break;
      case Binary::kMaximum:
        kind = K::kMaximum;
        break;
      case Binary::kMinimum:
        kind = K::kMinimum;
        break;
      case Binary::kDivide:
      case Binary::kTrueDivide:
      case Binary::kPower:
        throw InternalError(fmt::format("{} integer lowering of a float op", prefix()));
    }
    const ElementwiseOperands operands = elementwise_operands(graph, {x1_, x2_}, given, {type, type}, name());
    return {emit_elementwise(graph, kind, operands, type, name(), prefix())};
  }

  ir::BinaryOp::Kind binary_kind() const {
    switch (op_) {
      case Binary::kSubtract:
        return ir::BinaryOp::Kind::kSubtract;
      case Binary::kMultiply:
        return ir::BinaryOp::Kind::kMultiply;
      case Binary::kDivide:
      case Binary::kTrueDivide:
        return ir::BinaryOp::Kind::kDivide;
      case Binary::kMaximum:
        return ir::BinaryOp::Kind::kMaximum;
      case Binary::kMinimum:
        return ir::BinaryOp::Kind::kMinimum;
      case Binary::kPower:
        return ir::BinaryOp::Kind::kPower;
      case Binary::kAdd:
        break;
    }
    return ir::BinaryOp::Kind::kAdd;
  }

  // The op with its number operand folded in, as one element-wise step (Keras's float32 weak typing: the
  // number is rounded to float32 once).
  Activation number_step() const {
    const bool number_first = !x1_.is_tensor();
    const OpArgument& number = number_first ? x1_ : x2_;
    const float c = number.integral ? static_cast<float>(number.integer) : saturating_float(*number.number);
    switch (op_) {
      case Binary::kAdd:
        return Activation::affine(1.0f, c);
      case Binary::kSubtract:
        return number_first ? Activation::affine(-1.0f, c) : Activation::affine(1.0f, -c);
      case Binary::kMultiply:
        return Activation::affine(c, 0.0f);
      case Binary::kDivide:
      case Binary::kTrueDivide:
        return number_first ? Activation{ActivationKind::kPower, c, -1.0f}
                            : Activation::affine(1.0f / c, 0.0f);
      case Binary::kMaximum:
        return Activation{ActivationKind::kClip, c, kInfinity};
      case Binary::kMinimum:
        return Activation{ActivationKind::kClip, -kInfinity, c};
      case Binary::kPower:
        return number_first ? Activation{ActivationKind::kRpow, c, 0.0f}
                            : Activation{ActivationKind::kPower, 1.0f, c};
    }
    return Activation{};
  }

  Binary op_;
  OpArgument x1_, x2_;
};

// What a unary op does with integer and bool inputs, as Keras's: math functions give float32 (sqrt, exp,
// log), negative keeps an integer type (and refuses bool), absolute keeps any (a bool is its own absolute
// value, as in Keras's TensorFlow backend), square makes bools int32; activations and the rest take float32
// only.
enum class IntegerRule { kFloatOnly, kToFloat, kKeep, kAbsolute, kSquare };

// An op of one tensor computed by one element-wise activation (or softmax), with its constructor arguments.
class UnaryOpLayer : public OpLayer {
 public:
  UnaryOpLayer(const char* class_name, const char* module, Activation activation,
               nlohmann::json config = nlohmann::json::object(), IntegerRule rule = IntegerRule::kFloatOnly)
      : OpLayer(class_name, module), activation_(activation), config_(std::move(config)), rule_(rule) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 1);
    if (is_softmax(activation_.kind)) {
      if (inputs[0].rank() < 2) {
        throw ValueError(
            fmt::format("{} strata computes softmax over an axis of a tensor with a batch axis; "
                        "received shape {}",
                        prefix(), inputs[0].to_string()));
      }
      normalize_axis(prefix(), config_["axis"].get<int>(), inputs[0].rank());
    }
    return {inputs[0]};
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    return {result_dtype(inputs.at(0))};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const DType in_type = ir::tensor_dtype_of(graph.values[inputs[0]].dtype);
    const DType type = result_dtype(in_type);
    if (type != DType::kFloat32) return lower_integers(graph, inputs[0], type);
    const ir::ValueId x = emit_cast(graph, inputs[0], DType::kFloat32, name());
    const std::vector<int64_t> dims = graph.values[x].dims;
    const ir::ValueId out = graph.add_value(dims, name());
    if (is_softmax(activation_.kind)) {
      const int axis = normalize_axis(prefix(), config_["axis"].get<int>(), static_cast<int>(dims.size()));
      const ir::SoftmaxOp softmax{axis, activation_.kind == ActivationKind::kLogSoftmax};
      graph.ops.push_back(ir::Op{softmax, {x}, {out}, {}, {name()}});
    } else if (activation_.kind == ActivationKind::kLinear) {
      return {x};
    } else {
      graph.ops.push_back(ir::Op{ir::ActivationOp{activation_}, {x}, {out}, {}, {name()}});
    }
    return {out};
  }

  nlohmann::json config() const override { return config_; }

 private:
  DType result_dtype(DType in) const {
    if (in == DType::kFloat32) return in;
    switch (rule_) {
      case IntegerRule::kFloatOnly:
        expect_float_inputs(prefix(), {in});
        break;
      case IntegerRule::kToFloat:
        return DType::kFloat32;
      case IntegerRule::kKeep:
        if (in == DType::kBool) {
          throw ValueError(fmt::format(
              "{} Expected a numeric input, received bool: cast it with ops::cast first", prefix()));
        }
        return in;
      case IntegerRule::kAbsolute:
        return in;
      case IntegerRule::kSquare:
        return in == DType::kBool ? DType::kInt32 : in;
    }
    return DType::kFloat32;
  }

  std::vector<ir::ValueId> lower_integers(ir::Graph& graph, ir::ValueId input, DType type) const {
    using K = ir::ElementwiseOp::Kind;
    K kind = K::kSquare;
    switch (rule_) {
      case IntegerRule::kKeep:
        kind = K::kNegative;  // the only op with this rule
        break;
      case IntegerRule::kAbsolute:
        if (type == DType::kBool) return {input};
        kind = K::kAbsolute;
        break;
      case IntegerRule::kSquare:
        kind = K::kSquare;
        break;
      case IntegerRule::kFloatOnly:
      case IntegerRule::kToFloat:
        throw InternalError(fmt::format("{} integer lowering of a float op", prefix()));
    }
    const ir::ValueId x = emit_cast(graph, input, type, name());
    return {emit_elementwise(graph, kind, ElementwiseOperands{{x}, {}}, type, name(), prefix())};
  }

  Activation activation_;
  nlohmann::json config_;
  IntegerRule rule_;
};

SymbolicTensor binary(Binary op, const ops::Operand& x1, const ops::Operand& x2) {
  auto layer = std::make_shared<BinaryOpLayer>(op, op_argument(x1), op_argument(x2));
  std::vector<SymbolicTensor> inputs;
  if (!x1.is_number()) inputs.push_back(x1.tensor());
  if (!x2.is_number()) inputs.push_back(x2.tensor());
  return call_op(std::move(layer), inputs);
}

SymbolicTensor unary(const char* class_name, const char* module, Activation activation,
                     const SymbolicTensor& x, nlohmann::json config = nlohmann::json::object(),
                     IntegerRule rule = IntegerRule::kFloatOnly) {
  return call_op(std::make_shared<UnaryOpLayer>(class_name, module, activation, std::move(config), rule),
                 {x});
}

}  // namespace
}  // namespace strata::detail

namespace strata {

using detail::Binary;
using detail::IntegerRule;

SymbolicTensor operator+(const SymbolicTensor& a, const SymbolicTensor& b) {
  return ops::add(a, b);
}
SymbolicTensor operator-(const SymbolicTensor& a, const SymbolicTensor& b) {
  return ops::subtract(a, b);
}
SymbolicTensor operator*(const SymbolicTensor& a, const SymbolicTensor& b) {
  return ops::multiply(a, b);
}
SymbolicTensor operator/(const SymbolicTensor& a, const SymbolicTensor& b) {
  return ops::true_divide(a, b);
}
SymbolicTensor operator-(const SymbolicTensor& x) {
  return ops::negative(x);
}

namespace ops {

using detail::Activation;
using detail::ActivationKind;
using detail::kMath;
using detail::kNn;
using detail::kNumpy;

SymbolicTensor add(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kAdd, x1, x2);
}
SymbolicTensor subtract(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kSubtract, x1, x2);
}
SymbolicTensor multiply(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kMultiply, x1, x2);
}
SymbolicTensor divide(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kDivide, x1, x2);
}
SymbolicTensor true_divide(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kTrueDivide, x1, x2);
}
SymbolicTensor maximum(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kMaximum, x1, x2);
}
SymbolicTensor minimum(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kMinimum, x1, x2);
}
SymbolicTensor power(const Operand& x1, const Operand& x2) {
  return detail::binary(Binary::kPower, x1, x2);
}

SymbolicTensor negative(const SymbolicTensor& x) {
  return detail::unary("Negative", kNumpy, Activation::affine(-1.0f, 0.0f), x, nlohmann::json::object(),
                       IntegerRule::kKeep);
}
SymbolicTensor abs(const SymbolicTensor& x) {
  return absolute(x);
}
SymbolicTensor absolute(const SymbolicTensor& x) {
  return detail::unary("Absolute", kNumpy, {ActivationKind::kAbs}, x, nlohmann::json::object(),
                       IntegerRule::kAbsolute);
}
SymbolicTensor square(const SymbolicTensor& x) {
  return detail::unary("Square", kNumpy, {ActivationKind::kSquare}, x, nlohmann::json::object(),
                       IntegerRule::kSquare);
}
SymbolicTensor sqrt(const SymbolicTensor& x) {
  return detail::unary("Sqrt", kNumpy, {ActivationKind::kSqrt}, x, nlohmann::json::object(),
                       IntegerRule::kToFloat);
}
SymbolicTensor exp(const SymbolicTensor& x) {
  return detail::unary("Exp", kNumpy, {ActivationKind::kExp}, x, nlohmann::json::object(),
                       IntegerRule::kToFloat);
}
SymbolicTensor log(const SymbolicTensor& x) {
  return detail::unary("Log", kNumpy, {ActivationKind::kLog}, x, nlohmann::json::object(),
                       IntegerRule::kToFloat);
}
SymbolicTensor erf(const SymbolicTensor& x) {
  return detail::unary("Erf", kMath, {ActivationKind::kErf}, x);
}

SymbolicTensor clip(const SymbolicTensor& x, double x_min, double x_max) {
  if (std::isnan(x_min) || std::isnan(x_max) || x_min > x_max) {
    throw ValueError(
        fmt::format("[clip (Clip)] Expected x_min <= x_max, received x_min={} and x_max={}", x_min, x_max));
  }
  const Activation clip{ActivationKind::kClip, detail::saturating_float(x_min),
                        detail::saturating_float(x_max)};
  return detail::unary("Clip", kNumpy, clip, x,
                       {{"x_min", detail::number_json(x_min)}, {"x_max", detail::number_json(x_max)}});
}

SymbolicTensor relu(const SymbolicTensor& x) {
  return detail::unary("Relu", kNn, {ActivationKind::kRelu}, x);
}
SymbolicTensor relu6(const SymbolicTensor& x) {
  return detail::unary("Relu6", kNn, {ActivationKind::kRelu6}, x);
}
SymbolicTensor sigmoid(const SymbolicTensor& x) {
  return detail::unary("Sigmoid", kNn, {ActivationKind::kSigmoid}, x);
}
SymbolicTensor tanh(const SymbolicTensor& x) {
  return detail::unary("Tanh", kNumpy, {ActivationKind::kTanh}, x);
}
SymbolicTensor softplus(const SymbolicTensor& x) {
  return detail::unary("Softplus", kNn, {ActivationKind::kSoftplus}, x);
}
SymbolicTensor silu(const SymbolicTensor& x) {
  return detail::unary("Silu", kNn, {ActivationKind::kSwish}, x);
}
SymbolicTensor swish(const SymbolicTensor& x) {
  return silu(x);
}
SymbolicTensor gelu(const SymbolicTensor& x, bool approximate) {
  const Activation gelu{approximate ? ActivationKind::kGeluTanh : ActivationKind::kGelu};
  return detail::unary("Gelu", kNn, gelu, x, {{"approximate", approximate}});
}
SymbolicTensor elu(const SymbolicTensor& x, double alpha) {
  return detail::unary("Elu", kNn, {ActivationKind::kElu, detail::saturating_float(alpha)}, x,
                       {{"alpha", alpha}});
}
SymbolicTensor selu(const SymbolicTensor& x) {
  return detail::unary("Selu", kNn, {ActivationKind::kSelu}, x);
}
SymbolicTensor hard_sigmoid(const SymbolicTensor& x) {
  return detail::unary("HardSigmoid", kNn, {ActivationKind::kHardSigmoid}, x);
}
SymbolicTensor hard_silu(const SymbolicTensor& x) {
  return detail::unary("HardSilu", kNn, {ActivationKind::kHardSwish}, x);
}
SymbolicTensor hard_swish(const SymbolicTensor& x) {
  return hard_silu(x);
}
SymbolicTensor leaky_relu(const SymbolicTensor& x, double negative_slope) {
  return detail::unary("LeakyRelu", kNn,
                       {ActivationKind::kLeakyRelu, detail::saturating_float(negative_slope)}, x,
                       {{"negative_slope", negative_slope}});
}
SymbolicTensor softmax(const SymbolicTensor& x, int axis) {
  return detail::unary("Softmax", kNn, {ActivationKind::kSoftmax}, x, {{"axis", axis}});
}
SymbolicTensor log_softmax(const SymbolicTensor& x, int axis) {
  return detail::unary("LogSoftmax", kNn, {ActivationKind::kLogSoftmax}, x, {{"axis", axis}});
}

}  // namespace ops
}  // namespace strata
