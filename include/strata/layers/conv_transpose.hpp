#pragma once
/// @file conv_transpose.hpp
/// `strata::layers::Conv1DTranspose` and `Conv2DTranspose`: Keras's transposed convolutions (sometimes
/// called deconvolutions), which upsample as the gradient of a convolution does.

#include <optional>
#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Conv2DTranspose` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct Conv2DTransposeOptions {
  /// Stride along height and width: the upsampling factor.
  Size2 strides = 1;
  /// "valid" (output in * stride + max(kernel - stride, 0)) or "same" (output in * stride), per axis with the
  /// dilated kernel size.
  std::string padding = "valid";
  /// Extra output rows and columns, each 0 to strides - 1; none means Keras's default sizes above. When
  /// given, the output is (in - 1) * stride + kernel - 2 * pad + output_padding, pad = kernel / 2 for "same".
  std::optional<Size2> output_padding = std::nullopt;
  /// Step between the kernel's taps; above 1 only together with strides of 1.
  Size2 dilation_rate = 1;
  /// Activation applied after the bias, by Keras name (see docs/layers.md for the list).
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Kernel initializer by Keras name, as Conv2D's.
  Initializer kernel_initializer = "glorot_uniform";
  /// Bias initializer by Keras name.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`conv2d_transpose`, `conv2d_transpose_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Conv2DTransposeOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Conv2DTransposeOptions& set_strides(Size2 value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Conv2DTransposeOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `output_padding`; returns this struct for chaining.
  Conv2DTransposeOptions& set_output_padding(std::optional<Size2> value) {
    output_padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  Conv2DTransposeOptions& set_dilation_rate(Size2 value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  Conv2DTransposeOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  Conv2DTransposeOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  Conv2DTransposeOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  Conv2DTransposeOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Conv2DTransposeOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A 2D transposed convolution over NHWC input, as `keras.layers.Conv2DTranspose(filters, kernel_size, ...)`.
/// The kernel is `(kh, kw, filters, channels)` (Keras's order: output channels before input channels), then
/// the bias `(filters,)`.
class Conv2DTranspose : public Layer {
 public:
  /// Creates the layer. Throws ValueError for filters, kernel size, strides or dilation of zero or less, for
  /// strides and dilation both above 1, for an output_padding not in [0, strides), and for an unknown
  /// padding, activation or initializer.
  Conv2DTranspose(int filters, Size2 kernel_size, Conv2DTransposeOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError when the input is not rank 4, when its channels
  /// differ from an earlier call's, or when an output size would be zero or less.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `Conv1DTranspose` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct Conv1DTransposeOptions {
  /// Stride along the steps: the upsampling factor.
  int strides = 1;
  /// "valid" or "same", as Conv2DTranspose's.
  std::string padding = "valid";
  /// Extra output steps, 0 to strides - 1; none means Keras's default size.
  std::optional<int> output_padding = std::nullopt;
  /// Step between the kernel's taps; above 1 only together with strides of 1.
  int dilation_rate = 1;
  /// Activation applied after the bias, by Keras name.
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Kernel initializer by Keras name.
  Initializer kernel_initializer = "glorot_uniform";
  /// Bias initializer by Keras name.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`conv1d_transpose`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Conv1DTransposeOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Conv1DTransposeOptions& set_strides(int value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Conv1DTransposeOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `output_padding`; returns this struct for chaining.
  Conv1DTransposeOptions& set_output_padding(std::optional<int> value) {
    output_padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  Conv1DTransposeOptions& set_dilation_rate(int value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  Conv1DTransposeOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  Conv1DTransposeOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  Conv1DTransposeOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  Conv1DTransposeOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Conv1DTransposeOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A 1D transposed convolution over `(batch, steps, channels)`, as
/// `keras.layers.Conv1DTranspose(filters, kernel_size, ...)`. The kernel is `(kernel_size, filters,
/// channels)`, then the bias `(filters,)`.
class Conv1DTranspose : public Layer {
 public:
  /// Creates the layer. Throws as Conv2DTranspose does.
  Conv1DTranspose(int filters, int kernel_size, Conv1DTransposeOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError when the input is not rank 3, when its channels
  /// differ from an earlier call's, or when the output would have no steps.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
