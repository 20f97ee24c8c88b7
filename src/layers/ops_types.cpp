// The keras.ops that make or change types: cast, the comparisons (bool results), the logical ops, and
// where. Each lowers to one ElementwiseOp, a plain C++ step, after casts that give its operands Keras's
// common type.

#include <fmt/format.h>

#include "layers/broadcast.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

constexpr const char* kCore = "keras.src.ops.core";

using Kind = ir::ElementwiseOp::Kind;

const char* class_name_of(Kind kind) {
  switch (kind) {
    case Kind::kEqual:
      return "Equal";
    case Kind::kNotEqual:
      return "NotEqual";
    case Kind::kLess:
      return "Less";
    case Kind::kLessEqual:
      return "LessEqual";
    case Kind::kGreater:
      return "Greater";
    case Kind::kGreaterEqual:
      return "GreaterEqual";
    case Kind::kLogicalAnd:
      return "LogicalAnd";
    case Kind::kLogicalOr:
      return "LogicalOr";
    case Kind::kLogicalNot:
      return "LogicalNot";
    case Kind::kWhere:
      return "Where";
    case Kind::kCast:
      return "Cast";
    default:
      break;
  }
  throw InternalError("ops: no Keras class for this elementwise kind");
}

// An op over tensors and numbers (Keras's positional arguments, in order) with numpy broadcasting, computing
// one ElementwiseOp. Subclasses give the types: each argument's, and the result's.
class TypedOpLayer : public OpLayer {
 public:
  // numpy broadcasting lines up the batch axes too: ops::arange's batch of 1 stretches.
  bool broadcasts_batch() const override { return true; }

  TypedOpLayer(Kind kind, const char* module, std::vector<OpArgument> arguments,
               std::vector<const char*> names)
      : OpLayer(class_name_of(kind), module),
        kind_(kind),
        arguments_(std::move(arguments)),
        names_(std::move(names)) {
    bool any_tensor = false;
    for (const OpArgument& a : arguments_) any_tensor = any_tensor || a.is_tensor();
    if (!any_tensor) {
      throw ValueError(
          fmt::format("{} Expected at least one symbolic tensor operand, received only numbers: "
                      "compute those in C++",
                      prefix()));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, tensor_count());
    Shape out = inputs[0];
    for (size_t i = 1; i < inputs.size(); ++i) out = broadcast_op_shapes(prefix(), out, inputs[i]);
    return {out};
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    const std::vector<DType> types = argument_types(inputs);
    check_number_range(prefix(), arguments_, types);
    return {result(types)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& given) const override {
    const std::vector<DType> types = argument_types(value_dtypes(graph, given));
    const ElementwiseOperands operands = elementwise_operands(graph, arguments_, given, types, name());
    return {emit_elementwise(graph, kind_, operands, result(types), name(), prefix())};
  }

  nlohmann::json call_numbers() const override {
    nlohmann::json out = nlohmann::json::object();
    for (size_t i = 0; i < arguments_.size(); ++i) {
      if (!arguments_[i].is_tensor()) out[names_[i]] = arguments_[i].json();
    }
    return out;
  }
  std::vector<OpArgument> call_arguments(size_t) const override { return arguments_; }

 protected:
  /// The type each argument is converted to, from the tensors' types in order.
  virtual std::vector<DType> argument_types(const std::vector<DType>& tensors) const = 0;
  /// The result's type.
  virtual DType result(const std::vector<DType>& argument_types) const = 0;

  const std::vector<OpArgument>& arguments() const { return arguments_; }

 private:
  size_t tensor_count() const {
    size_t n = 0;
    for (const OpArgument& a : arguments_) n += a.is_tensor() ? 1 : 0;
    return n;
  }

  Kind kind_;
  std::vector<OpArgument> arguments_;
  std::vector<const char*> names_;
};

// Equal, Less, ...: both operands in their common type (Keras's result_type), a bool result. Bools are
// ordered as numpy and JAX order them (false < true), compared as int32: ONNX has no ordered comparison of
// bools, and TensorFlow's backend refuses one.
class CompareOpLayer : public TypedOpLayer {
 public:
  CompareOpLayer(Kind kind, OpArgument x1, OpArgument x2)
      : TypedOpLayer(kind, kNumpy, {x1, x2}, {"x1", "x2"}),
        ordered_(kind != Kind::kEqual && kind != Kind::kNotEqual) {}

 protected:
  std::vector<DType> argument_types(const std::vector<DType>& tensors) const override {
    DType common = result_type(operand_types(arguments(), tensors));
    if (ordered_ && common == DType::kBool) common = DType::kInt32;
    return {common, common};
  }
  DType result(const std::vector<DType>&) const override { return DType::kBool; }

 private:
  bool ordered_;
};

// LogicalAnd, LogicalOr, LogicalNot: operands as bools (non-zero is true), a bool result.
class LogicalOpLayer : public TypedOpLayer {
 public:
  LogicalOpLayer(Kind kind, std::vector<OpArgument> arguments, std::vector<const char*> names)
      : TypedOpLayer(kind, kNumpy, std::move(arguments), std::move(names)) {}

 protected:
  std::vector<DType> argument_types(const std::vector<DType>&) const override {
    return std::vector<DType>(arguments().size(), DType::kBool);
  }
  DType result(const std::vector<DType>&) const override { return DType::kBool; }
};

// Where: the condition as bool, the branches in their common type, which the result has.
class WhereOpLayer : public TypedOpLayer {
 public:
  WhereOpLayer(OpArgument condition, OpArgument x1, OpArgument x2)
      : TypedOpLayer(Kind::kWhere, kNumpy, {condition, x1, x2}, {"condition", "x1", "x2"}) {}

 protected:
  std::vector<DType> argument_types(const std::vector<DType>& tensors) const override {
    const std::vector<OperandType> all = operand_types(arguments(), tensors);
    const DType common = result_type({all[1], all[2]});
    return {DType::kBool, common, common};
  }
  DType result(const std::vector<DType>& types) const override { return types[1]; }
};

class CastOpLayer : public TypedOpLayer {
 public:
  explicit CastOpLayer(DType dtype)
      : TypedOpLayer(Kind::kCast, kCore, {OpArgument{}}, {"x"}), dtype_(dtype) {}

  // A cast to the type the tensor has is Keras's too, and costs nothing.
  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    return {emit_cast(graph, inputs[0], dtype_, name())};
  }

  nlohmann::json config() const override { return {{"dtype", dtype_name(dtype_)}}; }

 protected:
  std::vector<DType> argument_types(const std::vector<DType>& tensors) const override { return tensors; }
  DType result(const std::vector<DType>&) const override { return dtype_; }

 private:
  DType dtype_;
};

SymbolicTensor typed_call(std::shared_ptr<TypedOpLayer> layer, const std::vector<const ops::Operand*>& args) {
  std::vector<SymbolicTensor> inputs;
  for (const ops::Operand* a : args) {
    if (!a->is_number()) inputs.push_back(a->tensor());
  }
  return call_op(std::move(layer), inputs);
}

SymbolicTensor compare(Kind kind, const ops::Operand& x1, const ops::Operand& x2) {
  return typed_call(std::make_shared<CompareOpLayer>(kind, op_argument(x1), op_argument(x2)), {&x1, &x2});
}

SymbolicTensor logical(Kind kind, const ops::Operand& x1, const ops::Operand& x2) {
  return typed_call(std::make_shared<LogicalOpLayer>(kind, std::vector{op_argument(x1), op_argument(x2)},
                                                     std::vector<const char*>{"x1", "x2"}),
                    {&x1, &x2});
}

}  // namespace
}  // namespace strata::detail

namespace strata::ops {

using detail::Kind;

SymbolicTensor cast(const SymbolicTensor& x, DType dtype) {
  return detail::call_op(std::make_shared<detail::CastOpLayer>(dtype), {x});
}

SymbolicTensor cast(const SymbolicTensor& x, const std::string& dtype) {
  return cast(x, parse_dtype(dtype, "[cast (Cast)]"));
}

SymbolicTensor equal(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kEqual, x1, x2);
}
SymbolicTensor not_equal(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kNotEqual, x1, x2);
}
SymbolicTensor less(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kLess, x1, x2);
}
SymbolicTensor less_equal(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kLessEqual, x1, x2);
}
SymbolicTensor greater(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kGreater, x1, x2);
}
SymbolicTensor greater_equal(const Operand& x1, const Operand& x2) {
  return detail::compare(Kind::kGreaterEqual, x1, x2);
}

SymbolicTensor logical_and(const Operand& x1, const Operand& x2) {
  return detail::logical(Kind::kLogicalAnd, x1, x2);
}

SymbolicTensor logical_or(const Operand& x1, const Operand& x2) {
  return detail::logical(Kind::kLogicalOr, x1, x2);
}

SymbolicTensor logical_not(const SymbolicTensor& x) {
  return detail::call_op(
      std::make_shared<detail::LogicalOpLayer>(Kind::kLogicalNot, std::vector{detail::OpArgument{}},
                                               std::vector<const char*>{"x"}),
      {x});
}

SymbolicTensor where(const Operand& condition, const Operand& x1, const Operand& x2) {
  return detail::typed_call(
      std::make_shared<detail::WhereOpLayer>(detail::op_argument(condition), detail::op_argument(x1),
                                             detail::op_argument(x2)),
      {&condition, &x1, &x2});
}

}  // namespace strata::ops
