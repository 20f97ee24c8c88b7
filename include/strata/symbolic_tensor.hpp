#pragma once
/// @file symbolic_tensor.hpp
/// Symbolic tensors: the values flowing through a graph while it is being built, and `strata::Input`.

#include <concepts>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strata/shape.hpp"
#include "strata/tensor.hpp"

namespace strata {

namespace detail {
struct Node;
}
class Layer;

/// The output of a layer call (or of `strata::Input`) in a graph under construction. It knows its shape
/// at once; it holds no data. Copies refer to the same tensor.
class SymbolicTensor {
 public:
  /// An empty handle, not part of any graph; using it as a layer input is a ValueError.
  SymbolicTensor() = default;

  /// The shape, batch dimension first (`(None, 30, 30, 32)`).
  const Shape& shape() const;
  /// The element type: float32, or an integer type for an integer Input.
  DType dtype() const;
  /// True when this handle refers to a tensor.
  explicit operator bool() const { return node_ != nullptr; }
  /// The layer whose call produced this tensor.
  Layer layer() const;
  /// A name for messages: `conv2d[0][0]`, Keras's `layer[node][tensor]` notation.
  std::string name() const;
  /// Keras's mask of this tensor (its `_keras_mask`): a bool tensor of the leading dims, true where a step
  /// counts, made by `Embedding(mask_zero = true)` or `Masking` and passed on by the layers that support
  /// masking; the recurrent, pooling and attention layers after them use it. An empty handle when there is
  /// none. docs/semantics.md lists the rules.
  SymbolicTensor mask() const;

  /// Same tensor (same producing call and output index).
  friend bool operator==(const SymbolicTensor& a, const SymbolicTensor& b) {
    return a.node_ == b.node_ && a.index_ == b.index_;
  }

  /// @internal The call that produced this tensor.
  const std::shared_ptr<detail::Node>& node() const { return node_; }
  /// @internal The output index within that call.
  int index() const { return index_; }
  /// @internal Creates a handle to output `index` of `node`.
  SymbolicTensor(std::shared_ptr<detail::Node> node, int index) : node_(std::move(node)), index_(index) {}

 private:
  std::shared_ptr<detail::Node> node_;
  int index_ = 0;
};

/// What `strata::Input` takes besides the shape.
struct InputOptions {
  /// The input layer's name (default: Keras's automatic `input_layer`, `input_layer_1`, ...).
  std::string name = "";
  /// The element type: "float32", "int32" or "int64" (Keras's `dtype`). Integer inputs carry token ids or
  /// indices; only custom layers read them so far.
  std::string dtype = "float32";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `InputOptions{}.set_dtype(...).set_name(...)`.
  /// Sets `name`; returns this struct for chaining.
  InputOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
  /// Sets `dtype`; returns this struct for chaining.
  InputOptions& set_dtype(std::string value) {
    dtype = std::move(value);
    return *this;
  }
};

/// Creates a model input, as `keras.Input(shape=..., name=..., dtype=...)`. `dims` excludes the batch:
/// `Input({32, 32, 3})`, `Input({None, None, 3})` for any image size, `Input({None}, {.name = "tokens",
/// .dtype = "int32"})` for token ids. The returned tensor's shape has `None` in front. Throws ValueError for
/// an empty dims list, a dimension of zero or less, or a dtype other than float32, int32 and int64.
SymbolicTensor Input(std::vector<Dim> dims, InputOptions options = {});

/// `Input(dims, {.name = name})`: `Input({32, 32, 3}, "image")`. (A template only so that a braced list of
/// options picks the overload above.)
template <std::convertible_to<std::string> Name>
SymbolicTensor Input(std::vector<Dim> dims, const Name& name) {
  return Input(std::move(dims), InputOptions{.name = std::string(name)});
}

}  // namespace strata
