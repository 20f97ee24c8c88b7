#include "backend/elementwise_kernel.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backend/broadcast_loop.hpp"
#include "core/saturating.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

using Kind = ir::ElementwiseOp::Kind;
using Bool = uint8_t;  // a bool element: one byte, 0 or 1

// A number operand as a value of T: integers exactly, floats rounded as IEEE does (never C++'s undefined
// conversion of a double beyond float's range), anything as a bool by `!= 0`.
template <class T>
T to_type(const ir::ElementwiseOp::Number& n) {
  if constexpr (std::is_same_v<T, Bool>) {
    return (n.integral ? n.integer != 0 : n.value != 0.0) ? 1 : 0;
  } else if constexpr (std::is_same_v<T, float>) {
    return n.integral ? static_cast<float>(n.integer) : saturating_float(n.value);
  } else {
    // Lowering makes the operands of an integer op integral numbers that fit T.
    return static_cast<T>(n.integer);
  }
}

template <class To, class From>
To cast_one(From x) {
  if constexpr (std::is_same_v<To, Bool>) {
    return x != From{0} ? 1 : 0;  // NaN is true, as TensorFlow's cast
  } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, int32_t>) {
    return cast_to_int32(x);
  } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, int64_t>) {
    return cast_to_int64(x);
  } else {
    return static_cast<To>(x);  // int -> float rounds to nearest; int64 -> int32 wraps (C++20), as TensorFlow
  }
}

// Integer arithmetic wraps on overflow as TensorFlow's does: computed unsigned, where C++ defines it.
template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else {
    return a + b;
  }
}
template <class T>
T wrap_subtract(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
  } else {
    return a - b;
  }
}
template <class T>
T wrap_multiply(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) * static_cast<U>(b)));
  } else {
    return a * b;
  }
}

const char* type_name(ir::DataType type) {
  switch (type) {
    case ir::DataType::kFloat32:
      return "float32";
    case ir::DataType::kBFloat16:
      return "bfloat16";
    case ir::DataType::kInt32:
      return "int32";
    case ir::DataType::kInt64:
      return "int64";
    case ir::DataType::kBool:
      return "bool";
  }
  return "?";
}

// Calls `f(T{})` with T the C++ type of `type` (bfloat16 never reaches these ops).
template <class F>
void with_type(ir::DataType type, const F& f) {
  switch (type) {
    case ir::DataType::kFloat32:
      return f(float{});
    case ir::DataType::kInt32:
      return f(int32_t{});
    case ir::DataType::kInt64:
      return f(int64_t{});
    case ir::DataType::kBool:
      return f(Bool{});
    case ir::DataType::kBFloat16:
      break;
  }
  throw InternalError("elementwise: a bfloat16 value reached a plain C++ step");
}

// The inputs with the number operands in their places, each as a one-element input of its type.
struct Operands {
  std::vector<ElementwiseInput> all;
  alignas(8) unsigned char numbers[3][8] = {};
};

class Runner {
 public:
  Runner(const ir::ElementwiseOp& op, const std::vector<ElementwiseInput>& inputs,
         const std::vector<int64_t>& dst_dims, ir::DataType dst_type, void* dst)
      : op_(op), inputs_(inputs), dst_dims_(dst_dims), dst_type_(dst_type), dst_(dst) {}

  void run() {
    operands_.all = inputs_;
    if (op_.numbers.size() > 3) fail("more than three number operands");
    for (size_t k = 0; k < op_.numbers.size(); ++k) {
      const ir::ElementwiseOp::Number& n = op_.numbers[k];
      const ir::DataType type = number_type(n.at);
      unsigned char* slot = operands_.numbers[k];
      with_type(type, [&](auto t) {
        using T = decltype(t);
        const T value = to_type<T>(n);
        std::memcpy(slot, &value, sizeof(T));
      });
      if (n.at < 0 || static_cast<size_t>(n.at) > operands_.all.size()) fail("a number operand out of place");
      operands_.all.insert(operands_.all.begin() + n.at, ElementwiseInput{{1}, type, slot});
    }
    switch (op_.kind) {
      case Kind::kCast:
        return cast();
      case Kind::kAdd:
      case Kind::kSubtract:
      case Kind::kMultiply:
      case Kind::kMaximum:
      case Kind::kMinimum:
        return arithmetic();
      case Kind::kNegative:
      case Kind::kAbsolute:
      case Kind::kSquare:
        return unary();
      case Kind::kEqual:
      case Kind::kNotEqual:
      case Kind::kLess:
      case Kind::kLessEqual:
      case Kind::kGreater:
      case Kind::kGreaterEqual:
        return compare();
      case Kind::kLogicalAnd:
      case Kind::kLogicalOr:
        expect(2, ir::DataType::kBool);
        return logical();
      case Kind::kLogicalNot:
        expect(1, ir::DataType::kBool);
        return logical();
      case Kind::kWhere:
        return where();
    }
  }

 private:
  ir::DataType number_type(int at) const {
    if (inputs_.empty() && op_.kind != Kind::kWhere) fail("a number operand with no tensor beside it");
    return ir::elementwise_number_type(op_, at, inputs_.empty() ? dst_type_ : inputs_.front().type,
                                       dst_type_);
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw InternalError(fmt::format("elementwise {}: {}", ir::elementwise_name(op_.kind), what));
  }

  // Every operand of type `type`, `count` of them.
  void expect(size_t count, ir::DataType type) const {
    if (operands_.all.size() != count)
      fail(fmt::format("{} operands, expected {}", operands_.all.size(), count));
    for (const ElementwiseInput& in : operands_.all) {
      if (in.type != type)
        fail(fmt::format("an operand of type {}, expected {}", type_name(in.type), type_name(type)));
    }
  }

  template <class T>
  const T* data(size_t k) const {
    return static_cast<const T*>(operands_.all[k].data);
  }

  void cast() {
    expect(1, operands_.all[0].type);
    with_type(operands_.all[0].type, [&](auto from) {
      using From = decltype(from);
      with_type(dst_type_, [&](auto to) {
        using To = decltype(to);
        const From* src = data<From>(0);
        To* dst = static_cast<To*>(dst_);
        broadcast_loop<1>(
            dst_dims_, {operands_.all[0].dims},
            [&](int64_t i, const std::array<int64_t, 1>& o) { dst[i] = cast_one<To>(src[o[0]]); });
      });
    });
  }

  void arithmetic() {
    expect(2, dst_type_);
    if (dst_type_ == ir::DataType::kBool) fail("arithmetic on bool values");
    with_type(dst_type_, [&](auto t) {
      using T = decltype(t);
      const T* a = data<T>(0);
      const T* b = data<T>(1);
      T* dst = static_cast<T*>(dst_);
      const std::array<std::vector<int64_t>, 2> dims{operands_.all[0].dims, operands_.all[1].dims};
      auto loop = [&](auto f) {
        broadcast_loop<2>(dst_dims_, dims,
                          [&](int64_t i, const std::array<int64_t, 2>& o) { dst[i] = f(a[o[0]], b[o[1]]); });
      };
      switch (op_.kind) {
        case Kind::kAdd:
          return loop([](T x, T y) { return wrap_add(x, y); });
        case Kind::kSubtract:
          return loop([](T x, T y) { return wrap_subtract(x, y); });
        case Kind::kMultiply:
          return loop([](T x, T y) { return wrap_multiply(x, y); });
        case Kind::kMaximum:
          return loop([](T x, T y) {
            if constexpr (std::is_floating_point_v<T>) {
              if (std::isnan(x) || std::isnan(y)) return x + y;
            }
            return x < y ? y : x;
          });
        case Kind::kMinimum:
          return loop([](T x, T y) {
            if constexpr (std::is_floating_point_v<T>) {
              if (std::isnan(x) || std::isnan(y)) return x + y;
            }
            return y < x ? y : x;
          });
        default:
          fail("not an arithmetic kind");
      }
    });
  }

  void unary() {
    expect(1, dst_type_);
    if (dst_type_ == ir::DataType::kBool) fail("arithmetic on bool values");
    with_type(dst_type_, [&](auto t) {
      using T = decltype(t);
      const T* src = data<T>(0);
      T* dst = static_cast<T*>(dst_);
      auto loop = [&](auto f) {
        broadcast_loop<1>(dst_dims_, {operands_.all[0].dims},
                          [&](int64_t i, const std::array<int64_t, 1>& o) { dst[i] = f(src[o[0]]); });
      };
      switch (op_.kind) {
        case Kind::kNegative:
          return loop([](T x) { return wrap_subtract(T{0}, x); });
        case Kind::kAbsolute:
          return loop([](T x) {
            if constexpr (std::is_floating_point_v<T>) {
              return std::fabs(x);
            } else {
              return x < 0 ? wrap_subtract(T{0}, x) : x;  // the minimum stays itself, as TensorFlow's abs
            }
          });
        case Kind::kSquare:
          return loop([](T x) { return wrap_multiply(x, x); });
        default:
          fail("not a unary kind");
      }
    });
  }

  void compare() {
    expect(2, operands_.all[0].type);
    if (dst_type_ != ir::DataType::kBool) fail("a comparison writing a non-bool value");
    with_type(operands_.all[0].type, [&](auto t) {
      using T = decltype(t);
      const T* a = data<T>(0);
      const T* b = data<T>(1);
      Bool* dst = static_cast<Bool*>(dst_);
      const std::array<std::vector<int64_t>, 2> dims{operands_.all[0].dims, operands_.all[1].dims};
      auto loop = [&](auto f) {
        broadcast_loop<2>(dst_dims_, dims, [&](int64_t i, const std::array<int64_t, 2>& o) {
          dst[i] = f(a[o[0]], b[o[1]]) ? 1 : 0;
        });
      };
      switch (op_.kind) {
        case Kind::kEqual:
          return loop([](T x, T y) { return x == y; });
        case Kind::kNotEqual:
          return loop([](T x, T y) { return x != y; });
        case Kind::kLess:
          return loop([](T x, T y) { return x < y; });
        case Kind::kLessEqual:
          return loop([](T x, T y) { return x <= y; });
        case Kind::kGreater:
          return loop([](T x, T y) { return x > y; });
        case Kind::kGreaterEqual:
          return loop([](T x, T y) { return x >= y; });
        default:
          fail("not a comparison kind");
      }
    });
  }

  void logical() {
    if (dst_type_ != ir::DataType::kBool) fail("a logical op writing a non-bool value");
    Bool* dst = static_cast<Bool*>(dst_);
    const Bool* a = data<Bool>(0);
    if (op_.kind == Kind::kLogicalNot) {
      broadcast_loop<1>(dst_dims_, {operands_.all[0].dims},
                        [&](int64_t i, const std::array<int64_t, 1>& o) { dst[i] = a[o[0]] != 0 ? 0 : 1; });
      return;
    }
    const Bool* b = data<Bool>(1);
    const bool both = op_.kind == Kind::kLogicalAnd;
    broadcast_loop<2>(dst_dims_, {operands_.all[0].dims, operands_.all[1].dims},
                      [&](int64_t i, const std::array<int64_t, 2>& o) {
                        // Tested as != 0 rather than bitwise: a byte that is neither 0 nor 1 still reads as
                        // true.
                        const bool x = a[o[0]] != 0, y = b[o[1]] != 0;
                        dst[i] = (both ? (x && y) : (x || y)) ? 1 : 0;
                      });
  }

  void where() {
    if (operands_.all.size() != 3) fail(fmt::format("{} operands, expected 3", operands_.all.size()));
    if (operands_.all[0].type != ir::DataType::kBool) fail("a condition that is not bool");
    for (size_t k = 1; k < 3; ++k) {
      if (operands_.all[k].type != dst_type_) fail("branches of another type than the output");
    }
    with_type(dst_type_, [&](auto t) {
      using T = decltype(t);
      const Bool* c = data<Bool>(0);
      const T* x = data<T>(1);
      const T* y = data<T>(2);
      T* dst = static_cast<T*>(dst_);
      broadcast_loop<3>(
          dst_dims_, {operands_.all[0].dims, operands_.all[1].dims, operands_.all[2].dims},
          [&](int64_t i, const std::array<int64_t, 3>& o) { dst[i] = c[o[0]] ? x[o[1]] : y[o[2]]; });
    });
  }

  const ir::ElementwiseOp& op_;
  const std::vector<ElementwiseInput>& inputs_;
  const std::vector<int64_t>& dst_dims_;
  ir::DataType dst_type_;
  void* dst_;
  Operands operands_;
};

template <class I>
I float_to_int(float x) {
  // 2^31 and 2^63 are exact floats; anything at or beyond them, or below the minimum, or NaN, has no
  // value of the type.
  constexpr float limit = static_cast<float>(std::numeric_limits<I>::max()) + 1.0f;  // rounds to 2^(bits-1)
  if (!(x >= -limit && x < limit)) return std::numeric_limits<I>::min();
  return static_cast<I>(x);
}

}  // namespace

int32_t cast_to_int32(float x) {
  return float_to_int<int32_t>(x);
}
int64_t cast_to_int64(float x) {
  return float_to_int<int64_t>(x);
}

void run_elementwise(const ir::ElementwiseOp& op, const std::vector<ElementwiseInput>& inputs,
                     const std::vector<int64_t>& dst_dims, ir::DataType dst_type, void* dst) {
  Runner(op, inputs, dst_dims, dst_type, dst).run();
}

}  // namespace strata::detail
