#pragma once
/// @file depthwise_conv2d.hpp
/// `DepthwiseConv2D` and `SeparableConv2D`, Keras's depthwise and depthwise-separable convolutions.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `DepthwiseConv2D` keyword arguments after `kernel_size`, in Keras's order.
struct DepthwiseConv2DOptions {
  /// Stride along height and width.
  Size2 strides = 1;
  /// "valid" or "same".
  std::string padding = "valid";
  /// Output channels per input channel.
  int depth_multiplier = 1;
  /// Dilation; above 1 only with strides of 1.
  Size2 dilation_rate = 1;
  /// Activation by Keras name.
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Initializer of the depthwise kernel.
  Initializer depthwise_initializer = "glorot_uniform";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `DepthwiseConv2DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_strides(Size2 value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `depth_multiplier`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_depth_multiplier(int value) {
    depth_multiplier = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_dilation_rate(Size2 value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `depthwise_initializer`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_depthwise_initializer(Initializer value) {
    depthwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  DepthwiseConv2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A convolution of each input channel with its own `depth_multiplier` filters, as
/// `keras.layers.DepthwiseConv2D(kernel_size)`. Kernel `(kh, kw, in, depth_multiplier)`, bias `(in * dm,)`.
class DepthwiseConv2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError as Conv2D does, and for depth_multiplier of zero or less.
  DepthwiseConv2D(Size2 kernel_size, DepthwiseConv2DOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError as Conv2D does.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Keras `SeparableConv2D` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct SeparableConv2DOptions {
  /// Stride of the depthwise step.
  Size2 strides = 1;
  /// "valid" or "same", for the depthwise step.
  std::string padding = "valid";
  /// Dilation of the depthwise step.
  Size2 dilation_rate = 1;
  /// Output channels per input channel of the depthwise step.
  int depth_multiplier = 1;
  /// Activation after the pointwise step and bias.
  std::string activation = "linear";
  /// Whether the layer has a bias vector (after the pointwise step).
  bool use_bias = true;
  /// Initializer of the depthwise kernel.
  Initializer depthwise_initializer = "glorot_uniform";
  /// Initializer of the pointwise kernel.
  Initializer pointwise_initializer = "glorot_uniform";
  /// Initializer of the bias.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `SeparableConv2DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  SeparableConv2DOptions& set_strides(Size2 value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  SeparableConv2DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  SeparableConv2DOptions& set_dilation_rate(Size2 value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `depth_multiplier`; returns this struct for chaining.
  SeparableConv2DOptions& set_depth_multiplier(int value) {
    depth_multiplier = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  SeparableConv2DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  SeparableConv2DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `depthwise_initializer`; returns this struct for chaining.
  SeparableConv2DOptions& set_depthwise_initializer(Initializer value) {
    depthwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `pointwise_initializer`; returns this struct for chaining.
  SeparableConv2DOptions& set_pointwise_initializer(Initializer value) {
    pointwise_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  SeparableConv2DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  SeparableConv2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A depthwise convolution followed by a 1x1 convolution, as `keras.layers.SeparableConv2D(filters,
/// kernel_size)`. Weights: depthwise kernel `(kh, kw, in, dm)`, pointwise kernel `(1, 1, in * dm, filters)`,
/// bias `(filters,)`.
class SeparableConv2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError as Conv2D does.
  SeparableConv2D(int filters, Size2 kernel_size, SeparableConv2DOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError as Conv2D does.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
