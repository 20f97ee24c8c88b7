#pragma once
/// @file conv2d.hpp
/// `strata::layers::Conv2D`, Keras's 2D convolution.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Conv2D` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct Conv2DOptions {
  /// Stride along height and width.
  Size2 strides = 1;
  /// "valid" (no padding) or "same" (output size ceil(in / stride), padding split as TensorFlow does).
  std::string padding = "valid";
  /// Dilation along height and width; above 1 only together with strides of 1.
  Size2 dilation_rate = 1;
  /// Number of channel groups; must divide both the input channels and `filters`.
  int groups = 1;
  /// Activation applied after the bias, by Keras name (see docs/layers.md for the list).
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// "glorot_uniform", "he_normal", "he_uniform", "glorot_normal", "lecun_normal", "lecun_uniform",
  /// "zeros" or "ones".
  Initializer kernel_initializer = "glorot_uniform";
  /// "zeros" or "ones", or any of the kernel initializers.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`conv2d`, `conv2d_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Conv2DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Conv2DOptions& set_strides(Size2 value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Conv2DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  Conv2DOptions& set_dilation_rate(Size2 value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `groups`; returns this struct for chaining.
  Conv2DOptions& set_groups(int value) {
    groups = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  Conv2DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  Conv2DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  Conv2DOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  Conv2DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Conv2DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A 2D convolution over NHWC input, as `keras.layers.Conv2D(filters, kernel_size, ...)`.
/// The kernel is HWIO `(kh, kw, in / groups, filters)`, then the bias `(filters,)`.
class Conv2D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for filters, kernel size, strides or dilation of zero or
  /// less, for strides and dilation both above 1, and for an unknown padding, activation or initializer.
  Conv2D(int filters, Size2 kernel_size, Conv2DOptions options = {});
  /// Calls the layer on a rank-4 input. Throws ShapeError when the input is not rank 4, when its channels
  /// are not divisible by groups or differ from an earlier call's, or when the output size would be zero
  /// or less.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
