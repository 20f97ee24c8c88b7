#pragma once
/// @file depthwise_conv1d.hpp
/// `strata::layers::DepthwiseConv1D` and `SeparableConv1D`: Keras's per-channel and separable convolutions
/// over the steps of a `(batch, steps, channels)` input.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `DepthwiseConv1D` keyword arguments after `kernel_size`, in Keras's order.
struct DepthwiseConv1DOptions {
  /// Stride along the steps.
  int strides = 1;
  /// "valid" or "same".
  std::string padding = "valid";
  /// Output channels per input channel.
  int depth_multiplier = 1;
  /// Dilation; above 1 only with strides of 1.
  int dilation_rate = 1;
  /// Activation by Keras name.
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Initializer of the depthwise kernel.
  Initializer depthwise_initializer = "glorot_uniform";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`depthwise_conv1d`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `DepthwiseConv1DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_strides(int value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `depth_multiplier`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_depth_multiplier(int value) {
    depth_multiplier = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_dilation_rate(int value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `depthwise_initializer`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_depthwise_initializer(Initializer value) {
    depthwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  DepthwiseConv1DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A convolution of each input channel with its own `depth_multiplier` filters over the steps, as
/// `keras.layers.DepthwiseConv1D(kernel_size)`. Kernel `(k, channels, depth_multiplier)`, bias
/// `(channels * dm,)`.
class DepthwiseConv1D : public Layer {
 public:
  /// Creates the layer. Throws ValueError as Conv1D does (no causal padding), and for a depth_multiplier
  /// of zero or less.
  DepthwiseConv1D(int kernel_size, DepthwiseConv1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError as Conv1D does.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `SeparableConv1D` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct SeparableConv1DOptions {
  /// Stride of the depthwise step.
  int strides = 1;
  /// "valid" or "same", for the depthwise step.
  std::string padding = "valid";
  /// Dilation of the depthwise step.
  int dilation_rate = 1;
  /// Output channels per input channel of the depthwise step.
  int depth_multiplier = 1;
  /// Activation by Keras name, after the pointwise step and its bias.
  std::string activation = "linear";
  /// Whether the layer has a bias vector (after the pointwise step).
  bool use_bias = true;
  /// Initializer of the depthwise kernel.
  Initializer depthwise_initializer = "glorot_uniform";
  /// Initializer of the pointwise kernel.
  Initializer pointwise_initializer = "glorot_uniform";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`separable_conv1d`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `SeparableConv1DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  SeparableConv1DOptions& set_strides(int value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  SeparableConv1DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  SeparableConv1DOptions& set_dilation_rate(int value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `depth_multiplier`; returns this struct for chaining.
  SeparableConv1DOptions& set_depth_multiplier(int value) {
    depth_multiplier = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  SeparableConv1DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  SeparableConv1DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `depthwise_initializer`; returns this struct for chaining.
  SeparableConv1DOptions& set_depthwise_initializer(Initializer value) {
    depthwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `pointwise_initializer`; returns this struct for chaining.
  SeparableConv1DOptions& set_pointwise_initializer(Initializer value) {
    pointwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  SeparableConv1DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  SeparableConv1DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A depthwise convolution over the steps followed by a 1x1 convolution to `filters` channels, as
/// `keras.layers.SeparableConv1D(filters, kernel_size)`. Weights: depthwise_kernel `(k, channels, dm)`,
/// pointwise_kernel `(1, channels * dm, filters)`, bias `(filters,)`.
class SeparableConv1D : public Layer {
 public:
  /// Creates the layer. Throws ValueError as Conv1D does (no causal padding), and for a depth_multiplier
  /// of zero or less.
  SeparableConv1D(int filters, int kernel_size, SeparableConv1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError as Conv1D does.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
