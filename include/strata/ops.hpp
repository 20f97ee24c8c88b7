#pragma once
/// @file ops.hpp
/// Keras 3's operations on symbolic tensors: `a + b`, `x * 0.5`, `-x`, and `strata::ops::` functions named as
/// `keras.ops` names them. Each call adds one op to the graph, which the summary and the model config show
/// as Keras does (a row `add (Add)` with 0 parameters; class `Add` of module `keras.src.ops.numpy`), named
/// automatically (`add`, `add_1`, `true_divide`, ...) from the same counters as layers. Ops compile like
/// layers: a number operand becomes an element-wise step that fuses into the op before it.
///
/// Shapes broadcast as numpy does (and Keras's `broadcast_shapes`): from the right, a 1 stretches. Two
/// tensors must have the same rank, batch axis included, so that their batch axes line up: expand the smaller
/// one first (`ops::expand_dims`, `ops::reshape`).
///
/// Types follow Keras 3's rules (`keras.backend.result_type`): tensors are float32, int32, int64 or bool;
/// an op on two types gives the higher of bool < int32 < int64 < float32, and a number operand takes the
/// tensor's type when it can hold it (`ids + 1` stays int32, `ids * 0.5` is float32, as Python's weakly typed
/// numbers in Keras). Comparisons and logical ops give bool. The arithmetic here computes integers exactly
/// (wrapping on overflow, as TensorFlow); the math functions (sqrt, exp, log) turn integers into float32;
/// the activations, reductions, softmax and matmul take float32 only (ValueError otherwise: cast first).

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "strata/error.hpp"
#include "strata/shape.hpp"
#include "strata/symbolic_tensor.hpp"
#include "strata/tensor.hpp"

namespace strata {

/// `keras.ops.add(a, b)`: element-wise sum with broadcasting. Throws ShapeError for shapes that do not
/// broadcast or ranks that differ.
SymbolicTensor operator+(const SymbolicTensor& a, const SymbolicTensor& b);
/// `keras.ops.subtract(a, b)`.
SymbolicTensor operator-(const SymbolicTensor& a, const SymbolicTensor& b);
/// `keras.ops.multiply(a, b)`.
SymbolicTensor operator*(const SymbolicTensor& a, const SymbolicTensor& b);
/// `keras.ops.true_divide(a, b)`, Python's `a / b` (an op of class `TrueDivide`).
SymbolicTensor operator/(const SymbolicTensor& a, const SymbolicTensor& b);
/// `keras.ops.negative(x)`, Python's `-x`.
SymbolicTensor operator-(const SymbolicTensor& x);

namespace ops {

/// An operand of a binary op: a symbolic tensor or a number (`ops::add(x, 3)`).
class Operand {
 public:
  /// A tensor operand.
  Operand(SymbolicTensor tensor) : tensor_(std::move(tensor)) {}  // NOLINT: implicit, as Keras takes either
  /// A number operand, typed as Python's in Keras: an integer type makes a weakly typed int (`ids + 1` keeps
  /// an integer tensor's type), a floating one a weakly typed float (`ids * 0.5` is float32), and `bool` a
  /// bool (Python's True is strongly typed). Integers are kept exactly (int64); an unsigned one above
  /// INT64_MAX throws ValueError.
  template <class T>
  requires std::is_arithmetic_v<T> Operand(T number)  // NOLINT: implicit, as Keras takes either
      : number_(static_cast<double>(number)) {
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::kBool;
      integer_ = number ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::kInt;
      if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
        if (number > static_cast<T>(std::numeric_limits<int64_t>::max())) {
          throw ValueError("ops: an integer operand above INT64_MAX has no Keras type (int64 at most)");
        }
      }
      integer_ = static_cast<int64_t>(number);
    }
  }
  /// True for a number.
  bool is_number() const { return number_.has_value(); }
  /// True for a number of an integer type (`3`, not `3.0`); false for a bool.
  bool is_integral() const { return kind_ == Kind::kInt; }
  /// True for a C++ `bool`.
  bool is_bool() const { return kind_ == Kind::kBool; }
  /// The tensor (empty for a number).
  const SymbolicTensor& tensor() const { return tensor_; }
  /// The number (0 for a tensor); rounded to a double for integers beyond 2^53.
  double number() const { return number_.value_or(0.0); }
  /// An integral or bool number exactly (0 otherwise).
  int64_t integer() const { return integer_; }

 private:
  enum class Kind { kFloat, kInt, kBool };
  SymbolicTensor tensor_;
  std::optional<double> number_;
  Kind kind_ = Kind::kFloat;
  int64_t integer_ = 0;
};

/// Axes of a reduction or squeeze (strata::Axes).
using Axes = strata::Axes;

/// `keras.ops.arange(start, stop, step)`: the numbers from `start` up to `stop` (excluded) by `step`, int32
/// when all three are integers, else float32 (TensorFlow's range: each value the previous plus step). The
/// shape is (1, n): strata's tensors carry a batch axis, here of 1, which element-wise ops and merge layers
/// broadcast against any batch (other layers refuse tensors of two batches), so
/// `Embedding(maxlen, d)(ops::arange(0, maxlen))` gives (1, maxlen, d) to add to (None, maxlen, d). Keras
/// computes arange when a model is built and never records it, so a model config cannot hold it (saving
/// and to_json throw ValueError): call it inside a CompositeLayer, as keras-io's TokenAndPositionEmbedding
/// does. Throws ValueError for a tensor or bool argument, a step of 0, no values, non-finite numbers.
SymbolicTensor arange(const Operand& start, const Operand& stop, const Operand& step = 1);
/// `keras.ops.arange(stop)`: 0 up to `stop` by 1.
SymbolicTensor arange(const Operand& stop);

/// `keras.ops.add(x1, x2)`. At least one operand must be a tensor (ValueError otherwise).
SymbolicTensor add(const Operand& x1, const Operand& x2);
/// `keras.ops.subtract(x1, x2)`.
SymbolicTensor subtract(const Operand& x1, const Operand& x2);
/// `keras.ops.multiply(x1, x2)`.
SymbolicTensor multiply(const Operand& x1, const Operand& x2);
/// `keras.ops.divide(x1, x2)` (class `Divide`; `/` makes a `TrueDivide`, which computes the same).
SymbolicTensor divide(const Operand& x1, const Operand& x2);
/// `keras.ops.true_divide(x1, x2)`.
SymbolicTensor true_divide(const Operand& x1, const Operand& x2);
/// `keras.ops.maximum(x1, x2)`.
SymbolicTensor maximum(const Operand& x1, const Operand& x2);
/// `keras.ops.minimum(x1, x2)`.
SymbolicTensor minimum(const Operand& x1, const Operand& x2);
/// `keras.ops.power(x1, x2)`: `x1 ** x2` element by element, with numpy broadcasting; either may be a
/// number. A number exponent is one oneDNN step that fuses; a tensor exponent or a number base runs in
/// plain C++ on the plan's threads (oneDNN 2.6 has no such binary).
SymbolicTensor power(const Operand& x1, const Operand& x2);

/// `keras.ops.cast(x, dtype)` (class `Cast` of keras.src.ops.core): TensorFlow's conversion. A float
/// becomes an integer rounded toward zero (NaN and values outside the type's range give its minimum, as
/// TensorFlow and numpy on x86); int64 to int32 keeps the low 32 bits; anything to bool is `x != 0` (NaN is
/// true); bool to a number is 0 or 1. A cast to the tensor's own type is an op that costs nothing.
SymbolicTensor cast(const SymbolicTensor& x, DType dtype);
/// `keras.ops.cast(x, "int32")`: the type by Keras's name ("float32", "int32", "int64", "bool"); ValueError
/// for another.
SymbolicTensor cast(const SymbolicTensor& x, const std::string& dtype);

/// `keras.ops.equal(x1, x2)`, Keras's `x1 == x2` on tensors: a bool tensor. The operands are first
/// converted to their common type (`ids == 0` compares int32s; `ids > 0.5` compares float32s).
SymbolicTensor equal(const Operand& x1, const Operand& x2);
/// `keras.ops.not_equal(x1, x2)`: `x1 != x2` (true where either is NaN).
SymbolicTensor not_equal(const Operand& x1, const Operand& x2);
/// `keras.ops.less(x1, x2)`: `x1 < x2`. Two bools compare as numpy's do (false < true), here and in the
/// other ordered comparisons.
SymbolicTensor less(const Operand& x1, const Operand& x2);
/// `keras.ops.less_equal(x1, x2)`: `x1 <= x2`.
SymbolicTensor less_equal(const Operand& x1, const Operand& x2);
/// `keras.ops.greater(x1, x2)`: `x1 > x2`.
SymbolicTensor greater(const Operand& x1, const Operand& x2);
/// `keras.ops.greater_equal(x1, x2)`: `x1 >= x2`.
SymbolicTensor greater_equal(const Operand& x1, const Operand& x2);
/// `keras.ops.logical_and(x1, x2)`: a bool tensor, the operands read as bools (non-zero is true).
SymbolicTensor logical_and(const Operand& x1, const Operand& x2);
/// `keras.ops.logical_or(x1, x2)`.
SymbolicTensor logical_or(const Operand& x1, const Operand& x2);
/// `keras.ops.logical_not(x)`.
SymbolicTensor logical_not(const SymbolicTensor& x);
/// `keras.ops.where(condition, x1, x2)`: `x1` where the condition (read as bool) is true, else `x2`, the
/// three broadcast together; the result has the branches' common type (`where(mask, x, 0.0)` keeps float32
/// `x`).
SymbolicTensor where(const Operand& condition, const Operand& x1, const Operand& x2);

/// `keras.ops.negative(x)`.
SymbolicTensor negative(const SymbolicTensor& x);
/// `keras.ops.abs(x)` (an op of class `Absolute`).
SymbolicTensor abs(const SymbolicTensor& x);
/// `keras.ops.absolute(x)`.
SymbolicTensor absolute(const SymbolicTensor& x);
/// `keras.ops.square(x)`.
SymbolicTensor square(const SymbolicTensor& x);
/// `keras.ops.sqrt(x)`.
SymbolicTensor sqrt(const SymbolicTensor& x);
/// `keras.ops.exp(x)`.
SymbolicTensor exp(const SymbolicTensor& x);
/// `keras.ops.erf(x)`, the error function (class `Erf` of keras.src.ops.math). oneDNN 2.6 has no erf
/// step: it runs in plain C++ on the plan's threads.
SymbolicTensor erf(const SymbolicTensor& x);
/// `keras.ops.log(x)`.
SymbolicTensor log(const SymbolicTensor& x);
/// `keras.ops.clip(x, x_min, x_max)`: `minimum(maximum(x, x_min), x_max)`. Throws ValueError when x_min >
/// x_max or either is NaN.
SymbolicTensor clip(const SymbolicTensor& x, double x_min, double x_max);

/// `keras.ops.relu(x)`.
SymbolicTensor relu(const SymbolicTensor& x);
/// `keras.ops.relu6(x)`.
SymbolicTensor relu6(const SymbolicTensor& x);
/// `keras.ops.sigmoid(x)`.
SymbolicTensor sigmoid(const SymbolicTensor& x);
/// `keras.ops.tanh(x)`.
SymbolicTensor tanh(const SymbolicTensor& x);
/// `keras.ops.softplus(x)`.
SymbolicTensor softplus(const SymbolicTensor& x);
/// `keras.ops.silu(x)`: `x * sigmoid(x)`.
SymbolicTensor silu(const SymbolicTensor& x);
/// `keras.ops.swish(x)`, the same op as silu.
SymbolicTensor swish(const SymbolicTensor& x);
/// `keras.ops.gelu(x, approximate)`: the tanh approximation by default, as Keras's op (the activation
/// "gelu" is the exact one).
SymbolicTensor gelu(const SymbolicTensor& x, bool approximate = true);
/// `keras.ops.elu(x, alpha)`: `x` above 0, `alpha * (exp(x) - 1)` below.
SymbolicTensor elu(const SymbolicTensor& x, double alpha = 1.0);
/// `keras.ops.selu(x)`.
SymbolicTensor selu(const SymbolicTensor& x);
/// `keras.ops.hard_sigmoid(x)`: `relu6(x + 3) / 6`.
SymbolicTensor hard_sigmoid(const SymbolicTensor& x);
/// `keras.ops.hard_silu(x)`: `x * relu6(x + 3) / 6`.
SymbolicTensor hard_silu(const SymbolicTensor& x);
/// `keras.ops.hard_swish(x)`, the same op as hard_silu.
SymbolicTensor hard_swish(const SymbolicTensor& x);
/// `keras.ops.leaky_relu(x, negative_slope)`.
SymbolicTensor leaky_relu(const SymbolicTensor& x, double negative_slope = 0.2);
/// `keras.ops.softmax(x, axis)` over any axis but the batch (oneDNN softmax). Throws ValueError for the batch
/// axis or one out of range.
SymbolicTensor softmax(const SymbolicTensor& x, int axis = -1);
/// `keras.ops.log_softmax(x, axis)`: `x - log(sum(exp(x)))` over the axis, computed stably (oneDNN
/// logsoftmax). Errors as softmax.
SymbolicTensor log_softmax(const SymbolicTensor& x, int axis = -1);

/// `keras.ops.sum(x, axis, keepdims)`. The axes must not include the batch axis 0 (ValueError); `{}` means
/// every axis in Keras, so it is refused too.
SymbolicTensor sum(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);
/// `keras.ops.mean(x, axis, keepdims)`.
SymbolicTensor mean(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);
/// `keras.ops.max(x, axis, keepdims)`.
SymbolicTensor max(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);
/// `keras.ops.min(x, axis, keepdims)`.
SymbolicTensor min(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);
/// `keras.ops.any(x, axis, keepdims)`: whether any element along the axes is nonzero (true for bool), as
/// bool. Any input type. What `Masking` records for its mask. Axes as `sum`.
SymbolicTensor any(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);
/// `keras.ops.all(x, axis, keepdims)`: whether every element along the axes is nonzero, as bool.
SymbolicTensor all(const SymbolicTensor& x, const Axes& axis = {}, bool keepdims = false);

/// `keras.ops.reshape(x, newshape)`: `newshape` includes the batch axis, which must be -1 (the batch is
/// kept); the rest are positive and hold as many elements as one sample (ValueError otherwise). Costs
/// nothing.
SymbolicTensor reshape(const SymbolicTensor& x, const std::vector<int64_t>& newshape);
/// `keras.ops.expand_dims(x, axis)`: a new axis of size 1 at `axis` (negative counts from the end of the
/// result; not 0).
SymbolicTensor expand_dims(const SymbolicTensor& x, int axis);
/// `keras.ops.squeeze(x, axis)`: removes the given axes of size 1, or every size-1 axis but the batch.
SymbolicTensor squeeze(const SymbolicTensor& x, const Axes& axis = {});
/// `keras.ops.concatenate(xs, axis)`. Keras's default axis 0 is the batch, which strata keeps: pass an axis
/// of 1 or more (or a negative one).
SymbolicTensor concatenate(const std::vector<SymbolicTensor>& xs, int axis = 0);
/// `keras.ops.transpose(x, axes)`: the result's axis i is x's axis `axes[i]`. The batch axis must stay first;
/// no axes reverse the others, which moves the batch and is refused.
SymbolicTensor transpose(const SymbolicTensor& x, const std::vector<int>& axes = {});

/// `keras.ops.matmul(x1, x2)`: the matrix product of the last two axes, (..., M, K) by (..., K, N), the axes
/// before broadcast (a size 1 stretches). Both tensors must have one rank, 3 or more (the batch, then at
/// least the matrices); ShapeError otherwise or when K differs. Compiles to one oneDNN matmul, activations
/// fused.
SymbolicTensor matmul(const SymbolicTensor& x1, const SymbolicTensor& x2);

/// Names the op that made `x` (`named("scores", ops::softmax(s))`), as a Keras config names its operations:
/// ops are otherwise named automatically (`add`, `add_1`). The C++ that `strata::to_cpp` writes names each op
/// so. Returns `x`. Call it on an op's fresh output, before a model holds it. Throws ValueError when `x` was
/// not made by an op (a layer is named by its options) or the name is empty or not printable.
SymbolicTensor named(const std::string& name, const SymbolicTensor& x);

}  // namespace ops

/// `a + number`, `number + b`, and the same for `-`, `*` and `/`: the ops:: function with a number operand,
/// whose C++ type says what Python's would (`ids + 1` keeps int32, `ids + 1.0` is float32). `a / number` is
/// computed as `a * (1 / number)` for a float32 tensor, within one rounding of the quotient.
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator+(const SymbolicTensor& a, T b) {
  return ops::add(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator+(T a, const SymbolicTensor& b) {
  return ops::add(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator-(const SymbolicTensor& a, T b) {
  return ops::subtract(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator-(T a, const SymbolicTensor& b) {
  return ops::subtract(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator*(const SymbolicTensor& a, T b) {
  return ops::multiply(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator*(T a, const SymbolicTensor& b) {
  return ops::multiply(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator/(const SymbolicTensor& a, T b) {
  return ops::true_divide(a, b);
}
template <class T>
requires std::is_arithmetic_v<T> SymbolicTensor operator/(T a, const SymbolicTensor& b) {
  return ops::true_divide(a, b);
}

}  // namespace strata
