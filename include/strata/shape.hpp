#pragma once
/// @file shape.hpp
/// Shapes with unknown dimensions, and the two-number sizes that kernels, strides and pools take.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace strata {

/// One dimension of a symbolic shape: a number, or unknown (`None`) until data arrives.
using Dim = std::optional<int64_t>;

/// Keras's `None`: an unknown dimension. `strata::Input({None, None, 3})` accepts any image size.
inline constexpr std::nullopt_t None = std::nullopt;

/// A shape including the batch dimension, each dimension possibly unknown.
class Shape {
 public:
  /// An empty (rank 0) shape.
  Shape() = default;
  /// A shape from its dimensions, batch first: `Shape({None, 30, 30, 32})`.
  Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}
  /// A shape from a braced list: `Shape{None, 30, 30, 32}`.
  Shape(std::initializer_list<Dim> dims) : dims_(dims) {}

  /// The number of dimensions, the batch included.
  int rank() const { return static_cast<int>(dims_.size()); }
  /// The dimension at `axis` (0 is the batch); negative axes count from the end. Throws ValueError
  /// when the axis is out of range.
  const Dim& operator[](int axis) const;
  /// All dimensions, batch first.
  const std::vector<Dim>& dims() const { return dims_; }
  /// True when every dimension is known.
  bool is_fully_defined() const;
  /// Keras's tuple text: `(None, 30, 30, 32)`; rank 1 prints as `(None,)`.
  std::string to_string() const;
  /// The shape without its first (batch) dimension, as Keras prints it in error messages.
  Shape without_batch() const;

  /// Two shapes are equal when they have the same rank and the same dimensions, unknowns included.
  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<Dim> dims_;
};

/// A fully known Shape from concrete dimensions.
Shape to_shape(const std::vector<int64_t>& dims);

/// Writes `shape.to_string()`.
std::ostream& operator<<(std::ostream& os, const Shape& shape);

/// A (height, width) pair, the type of every kernel_size, strides, pool_size and dilation_rate.
/// Converts from an int (`3` means 3x3) and from `{h, w}`. Default-constructed means "not given".
class Size2 {
 public:
  /// Not given: pooling strides then default to the pool size.
  constexpr Size2() = default;
  /// The same value for height and width.
  constexpr Size2(int both) : h_(both), w_(both), given_(true) {}
  /// Height and width: `{3, 5}`.
  constexpr Size2(int h, int w) : h_(h), w_(w), given_(true) {}

  /// The height component.
  constexpr int h() const { return h_; }
  /// The width component.
  constexpr int w() const { return w_; }
  /// False for a default-constructed Size2.
  constexpr bool given() const { return given_; }
  /// Keras's text: `(3, 3)`, or `None` when not given.
  std::string to_string() const;

  /// Equal when both are given with the same components, or neither is given.
  friend constexpr bool operator==(const Size2&, const Size2&) = default;

 private:
  int h_ = 0;
  int w_ = 0;
  bool given_ = false;
};

/// Per-side margins of an image, the type of ZeroPadding2D's `padding` and Cropping2D's `cropping`.
/// Converts from an int (all four sides), from `{h, w}` (symmetric), and from `{{top, bottom}, {left, right}}`.
class Margins2D {
 public:
  /// The same margin on all four sides.
  constexpr Margins2D(int all) : top_(all), bottom_(all), left_(all), right_(all) {}
  /// `h` above and below, `w` left and right.
  constexpr Margins2D(int h, int w) : top_(h), bottom_(h), left_(w), right_(w) {}
  /// `{top, bottom}` and `{left, right}`.
  constexpr Margins2D(std::pair<int, int> top_bottom, std::pair<int, int> left_right)
      : top_(top_bottom.first), bottom_(top_bottom.second), left_(left_right.first), right_(left_right.second) {}

  /// Rows added or removed above.
  constexpr int top() const { return top_; }
  /// Rows added or removed below.
  constexpr int bottom() const { return bottom_; }
  /// Columns added or removed on the left.
  constexpr int left() const { return left_; }
  /// Columns added or removed on the right.
  constexpr int right() const { return right_; }
  /// Keras's text: `((top, bottom), (left, right))`.
  std::string to_string() const;

  /// Equal when all four margins are.
  friend constexpr bool operator==(const Margins2D&, const Margins2D&) = default;

 private:
  int top_, bottom_, left_, right_;
};

/// Margins before and after the steps of a sequence, the type of ZeroPadding1D's `padding` and Cropping1D's
/// `cropping`. Converts from an int (both sides) and from `{before, after}`.
class Margins1D {
 public:
  /// The same margin on both sides.
  constexpr Margins1D(int both) : before_(both), after_(both) {}
  /// `before` steps at the start, `after` at the end.
  constexpr Margins1D(int before, int after) : before_(before), after_(after) {}

  /// Steps added or removed at the start.
  constexpr int before() const { return before_; }
  /// Steps added or removed at the end.
  constexpr int after() const { return after_; }
  /// Keras's text: `(before, after)`.
  std::string to_string() const;

  /// Equal when both margins are.
  friend constexpr bool operator==(const Margins1D&, const Margins1D&) = default;

 private:
  int before_, after_;
};

/// Keras's `axis` argument where it takes an int or a tuple: one axis (`-1`), several (`{1, 2}`), or none
/// given (`{}`). Negative axes count from the end. Used by ops::mean and LayerNormalization.
class Axes {
 public:
  /// No axis given.
  Axes() = default;
  /// One axis; negative counts from the end.
  Axes(int axis) : axes_{axis}, given_(true) {}  // NOLINT: implicit, as Keras takes an int or a tuple
  /// Several axes.
  Axes(std::initializer_list<int> axes) : axes_(axes), given_(axes.size() != 0), list_(true) {}
  /// Several axes.
  Axes(std::vector<int> axes) : axes_(std::move(axes)), given_(true), list_(true) {}  // NOLINT
  /// The axes as given.
  const std::vector<int>& values() const { return axes_; }
  /// False when no axis was given.
  bool given() const { return given_; }
  /// True when the axes came as one int, which Keras writes as a number rather than a list.
  bool single() const { return given_ && axes_.size() == 1 && !list_; }
  /// Equal when given alike, with the same axes in the same form.
  friend bool operator==(const Axes&, const Axes&) = default;

 private:
  std::vector<int> axes_;
  bool given_ = false;
  bool list_ = false;
};

}  // namespace strata
