#pragma once
// Keras 3's operations on symbolic tensors (`x + y`, `keras.ops.mean(x)`): each call makes one Operation
// object, which a functional model lists beside its layers (summary rows, config entries of module
// keras.src.ops.*). strata makes them layers of their own kind: OpLayer, one per call, auto-named as Keras
// names them ("add", "true_divide"), without weights.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "layers/dtype_rules.hpp"
#include "layers/layer_impl.hpp"
#include "strata/ops.hpp"

namespace strata::detail {

/// The module Keras 3 writes for the operations of keras.ops that numpy names (`x + y`, ops.transpose, ...).
inline constexpr const char* kNumpy = "keras.src.ops.numpy";

/// One positional argument of an op call, in Keras's order: a tensor (the call's next input) or a number.
struct OpArgument {
  std::optional<double> number;  ///< unset for a tensor
  bool integral = false;         ///< a number of an integer type (Python's `3`, not `3.0`)
  bool boolean = false;          ///< a C++ bool (Python's True, strongly typed)
  int64_t integer = 0;           ///< an integral or bool number exactly
  bool is_tensor() const { return !number.has_value(); }
  /// The number as Keras's config writes it: an integer for an integral one.
  nlohmann::json json() const;
};

/// The argument `x` is.
OpArgument op_argument(const ops::Operand& x);

/// A number for a model config. JSON has no NaN or infinity; Keras writes Python's `NaN`, `Infinity` and
/// `-Infinity` tokens, which nlohmann neither reads nor writes, so a non-finite number is carried as a marker
/// string: `keras_json_text` writes it as Keras's token, `with_nonfinite_markers` reads Keras's tokens as it,
/// and `config_number` takes either.
nlohmann::json number_json(double value);
/// `config.dump()` with the markers of number_json written as Keras's tokens.
std::string keras_json_text(const nlohmann::json& config);
/// JSON text with Keras's bare NaN, Infinity and -Infinity tokens (outside strings) made marker strings, so
/// that nlohmann parses it.
std::string with_nonfinite_markers(const std::string& text);
/// A number of a config: a JSON number, or a marker of number_json. Empty for anything else.
std::optional<double> config_number(const nlohmann::json& value);

/// Keras's type of each argument for its promotion rules, the tensors' types taken in order from `tensors`.
std::vector<OperandType> operand_types(const std::vector<OpArgument>& arguments,
                                       const std::vector<DType>& tensors);

/// An ElementwiseOp's operands: the tensor arguments' values (`inputs`, in order), each converted to its
/// argument's entry of `types`, and the number arguments in their places.
struct ElementwiseOperands {
  std::vector<ir::ValueId> inputs;
  std::vector<ir::ElementwiseOp::Number> numbers;
};
ElementwiseOperands elementwise_operands(ir::Graph& graph, const std::vector<OpArgument>& arguments,
                                         const std::vector<ir::ValueId>& inputs,
                                         const std::vector<DType>& types, const std::string& layer);

/// Appends one ElementwiseOp of `kind` over `operands`, broadcast together, writing a value of `type`, and
/// returns that value. Throws ShapeError starting with `prefix` when the operands do not broadcast.
ir::ValueId emit_elementwise(ir::Graph& graph, ir::ElementwiseOp::Kind kind,
                             const ElementwiseOperands& operands, DType type, const std::string& layer,
                             const std::string& prefix);

/// Throws ValueError starting with `prefix` when a number argument has no value of its entry of `types`
/// (an int32 tensor plus 2**40): Keras's backends overflow or fail there.
void check_number_range(const std::string& prefix, const std::vector<OpArgument>& arguments,
                        const std::vector<DType>& types);

/// The dtypes of `inputs` (IR values) as Tensor types.
std::vector<DType> value_dtypes(const ir::Graph& graph, const std::vector<ir::ValueId>& inputs);

class OpLayer : public LayerImpl {
 public:
  /// `module` is Keras's: "keras.src.ops.numpy", "keras.src.ops.nn".
  OpLayer(std::string class_name, std::string module)
      : LayerImpl(std::move(class_name), ""), module_(std::move(module)) {}

  const std::string& module() const { return module_; }
  /// Operations are not layers: Keras neither fills in nor passes on masks for them (a Softmax op is not
  /// the Softmax layer).
  bool supports_masking() const override { return false; }
  bool takes_mask() const override { return false; }
  /// The numbers the call was given, by Keras's parameter names (`{"x2": 3.0}` for `x + 3.0`), for the node's
  /// keyword arguments in a model config. Tensors are the node's inputs.
  virtual nlohmann::json call_numbers() const { return nlohmann::json::object(); }
  /// The op's own constructor arguments (Mean's axis and keepdims); none by default. get_layer_config adds
  /// the name.
  nlohmann::json config() const override { return nlohmann::json::object(); }
  /// The call's positional arguments in Keras's order, tensors and numbers (`3.0 - x`: 3.0, then x); by
  /// default `tensors` tensors.
  virtual std::vector<OpArgument> call_arguments(size_t tensors) const {
    return std::vector<OpArgument>(tensors);
  }
  /// Keras 3's node of an operation: its arguments positionally, numbers as they were given
  /// (serialize_node keeps `x + 3.0` as args [x, 3.0]), no keyword arguments.
  nlohmann::json keras3_call(const Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override;
  /// The strata::ops call that makes this op, named as it is:
  /// `strata::ops::named("add", strata::ops::add(x, 3.0))`.
  std::string cpp_call(const Node& node, const std::string& callee,
                       const std::vector<std::string>& inputs) const override;

 private:
  std::string module_;
};

/// While alive, the next op made on this thread (by `call_op`) is named `name` instead of automatically:
/// an op read from a model config keeps the config's name.
class NextOpName {
 public:
  explicit NextOpName(std::string name);
  ~NextOpName();
  NextOpName(const NextOpName&) = delete;
  NextOpName& operator=(const NextOpName&) = delete;

 private:
  std::optional<std::string> outer_;
};

/// Keras's `broadcast_shapes` (keras.src.ops.operation_utils) on two whole shapes, batch included: numpy's
/// alignment from the right, a 1 stretching, an unknown dimension taking the other's size unless that is 1.
/// Throws ShapeError starting with `where` for incompatible shapes, and for tensors of different ranks,
/// whose batch axes numpy would not line up.
Shape broadcast_op_shapes(const std::string& where, const Shape& a, const Shape& b);

/// Calls a new op layer on `inputs` and returns its only output.
SymbolicTensor call_op(std::shared_ptr<OpLayer> op, const std::vector<SymbolicTensor>& inputs);

/// Keras's axis argument (negative counts from the end) as an axis of a rank-`rank` tensor. Throws ValueError
/// starting with `where` when out of range, and when it is the batch axis 0 unless `batch_allowed`.
int normalize_axis(const std::string& where, int axis, int rank, bool batch_allowed = false);

/// Appends the ops reducing `input` over `axes` (sorted, none the batch) and returns the result, the reduced
/// axes kept with size 1: a oneDNN reduction over trailing axes, a pooling window over axes with kept ones
/// after them (its jit kernels; 2.6 reduces those in reference loops). Shared by the reduction ops and the
/// layers that normalize.
ir::ValueId emit_reduce(ir::Graph& graph, ir::ValueId input, ir::ReduceOp::Kind kind,
                        const std::vector<int>& axes, const std::string& layer);

/// Appends Keras's ops.normalize (order 2) of `x` over `axes` (sorted, none the batch): `x *
/// rsqrt(max(sum(x^2), squared_epsilon))`, as oneDNN steps. UnitNormalization and Dot's `normalize` use it,
/// each with Keras's epsilon.
ir::ValueId emit_l2_normalize(ir::Graph& graph, ir::ValueId x, const std::vector<int>& axes,
                              float squared_epsilon, const std::string& layer);

/// Keras's axis argument as its config writes it: null when none was given, a number for one int, else a
/// list.
nlohmann::json axes_json(const ops::Axes& axes);

}  // namespace strata::detail
