#pragma once
/// @file symbolic_tensor.hpp
/// Symbolic tensors: the values flowing through a graph while it is being built, and `strata::Input`.

#include <memory>
#include <string>
#include <vector>

#include "strata/shape.hpp"

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
  /// True when this handle refers to a tensor.
  explicit operator bool() const { return node_ != nullptr; }
  /// The layer whose call produced this tensor.
  Layer layer() const;
  /// A name for messages: `conv2d[0][0]`, Keras's `layer[node][tensor]` notation.
  std::string name() const;

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

/// Creates a model input, as `keras.Input(shape=...)`. `dims` excludes the batch: `Input({32, 32, 3})`,
/// or `Input({None, None, 3})` for any image size. The returned tensor's shape has `None` in front.
/// Throws ValueError for an empty dims list or a dimension of zero or less.
SymbolicTensor Input(std::vector<Dim> dims, std::string name = "");

}  // namespace strata
