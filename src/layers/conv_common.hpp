#pragma once
// What Conv2D, DepthwiseConv2D and SeparableConv2D share: argument checks and the lowering of one
// convolution.

#include <memory>
#include <string>

#include "compiler/ir.hpp"
#include "layers/window_geometry.hpp"
#include "strata/shape.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

struct Node;

/// Kernel size, strides, dilation and padding of a convolution.
struct ConvWindow {
  Size2 kernel;
  Size2 strides;
  Size2 dilation;
  Padding padding = Padding::kValid;
};

/// The output size and padding of `window` on an NHWC input shape (Window2D's rules; throws ShapeError
/// prefixed with `where`). Every conv-family layer's shape rule and build-time padding come from here.
Window2D apply_window(const std::string& where, const Shape& input, const ConvWindow& window);

/// Parses and checks Keras's convolution arguments: positive sizes, strides and dilation not both above 1,
/// a known padding. Throws ValueError prefixed with `where`.
ConvWindow make_conv_window(const std::string& where, Size2 kernel, Size2 strides, Size2 dilation,
                            const std::string& padding);

/// Appends a convolution of `input` (concrete NHWC) and returns its output value. `kernel` is HWIO
/// (kh, kw, in / groups, out). Checks the padding against the node's build-time padding when known.
ir::ValueId emit_conv(ir::Graph& graph, const Node& node, ir::ValueId input, const ConvWindow& window, int groups,
                      std::shared_ptr<const Tensor> kernel, std::shared_ptr<const Tensor> bias,
                      const std::string& layer, const std::string& where);

}  // namespace strata::detail
