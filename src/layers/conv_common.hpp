#pragma once
// What the convolution layers share: argument checks, output sizes and padding, and the lowering of one
// convolution. ConvWindow and its functions serve the image layers (Conv2D, DepthwiseConv2D,
// SeparableConv2D); ConvAxes the layers of any spatial rank (Conv1D, the transposed convolutions).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.hpp"
#include "layers/config_codecs.hpp"
#include "layers/layer_schema.hpp"
#include "layers/window_geometry.hpp"
#include "strata/shape.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

struct Node;

/// The config keys every convolution with one kernel and a bias shares, after its own sized ones, in
/// Keras's get_config order: activation, use_bias, the two initializers, data_format (channels_last only),
/// and the regularizers and constraints (kept: they do not change inference). `Args::options` holds them.
template <class Args>
LayerSchema<Args>& kernel_and_bias_keys(LayerSchema<Args>& schema) {
  return schema.template option<ActivationCodec>("activation", STRATA_ARG(options.activation))
      .option("use_bias", STRATA_ARG(options.use_bias))
      .template option<InitializerCodec>("kernel_initializer", STRATA_ARG(options.kernel_initializer))
      .template option<InitializerCodec>("bias_initializer", STRATA_ARG(options.bias_initializer))
      .fixed("data_format", "channels_last")
      .kept("kernel_regularizer")
      .kept("bias_regularizer")
      .kept("activity_regularizer")
      .kept("kernel_constraint")
      .kept("bias_constraint");
}

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

/// Throws ValueError, prefixed with `where`, for filters or groups of zero or less and for filters not
/// divisible by groups.
void check_filters(const std::string& where, int filters, int groups);

/// Throws ValueError, prefixed with `where`, for a depth multiplier of zero or less (the depthwise layers).
void expect_depth_multiplier(const std::string& where, int depth_multiplier);

/// Throws ShapeError, prefixed with `where`, when the input's channels are not divisible by groups.
void check_grouped_channels(const std::string& where, const Shape& input, int64_t channels, int groups);

/// A convolution's window per spatial axis (1 to 3), in Keras's axis order, as its arguments give it.
struct ConvAxes {
  std::vector<int> kernel, strides, dilation;
  Padding padding = Padding::kValid;
  int rank() const { return static_cast<int>(kernel.size()); }
};

/// Checks Keras's convolution arguments (positive sizes, strides and dilation not both above 1) and parses
/// the padding ("causal" when `causal_allowed`). Throws ValueError prefixed with `where`.
ConvAxes make_conv_axes(const std::string& where, std::vector<int> kernel, std::vector<int> strides,
                        std::vector<int> dilation, const std::string& padding, bool causal_allowed);

/// The spatial output sizes of a window over an input shape (N, spatial..., C), and the padding when every
/// input size is known.
struct SpatialOutput {
  std::vector<Dim> sizes;
  std::optional<ir::SpatialPadding> padding;
};

/// A convolution's output (window_axis's rules per axis). Throws ShapeError, prefixed with `where`, when an
/// output size would be zero or less.
SpatialOutput conv_output(const std::string& where, const Shape& input, const ConvAxes& axes);

/// A transposed convolution's output (transposed_window_axis's rules per axis), with `padding` that of the
/// forward convolution it transposes. Throws ShapeError, prefixed with `where`, when an output size would be
/// zero or less.
SpatialOutput transposed_conv_output(const std::string& where, const Shape& input, const ConvAxes& axes,
                                     const std::optional<std::vector<int>>& output_padding);

/// The concrete output dims (batch, sizes..., channels) of `out` for a concrete input batch.
std::vector<int64_t> concrete_dims(const std::string& where, int64_t batch, const SpatialOutput& out,
                                   int64_t channels);

/// The IR window of `axes` with `padding`.
ir::Window ir_window(const ConvAxes& axes, const ir::SpatialPadding& padding);

/// Appends a convolution of `input` (concrete dims) over the window `axes` and returns its output value.
/// `kernel` in Keras's layout (spatial..., in / groups, out). Checks the padding against the node's
/// build-time padding when known. The convolution layers of any rank lower through it.
ir::ValueId emit_conv(ir::Graph& graph, const Node& node, ir::ValueId input, const ConvAxes& axes, int groups,
                      std::shared_ptr<const Tensor> kernel, std::shared_ptr<const Tensor> bias,
                      const std::string& layer, const std::string& where);

}  // namespace strata::detail
