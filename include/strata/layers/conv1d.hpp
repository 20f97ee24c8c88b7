#pragma once
/// @file conv1d.hpp
/// `strata::layers::Conv1D`, Keras's 1D convolution over the steps of a `(batch, steps, channels)` input.

#include <string>
#include <utility>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"

namespace strata::layers {

/// Keras `Conv1D` keyword arguments after `filters` and `kernel_size`, in Keras's order.
struct Conv1DOptions {
  /// Stride along the steps.
  int strides = 1;
  /// "valid" (no padding), "same" (output ceil(steps / stride), padding split as TensorFlow does) or
  /// "causal" (dilation * (kernel_size - 1) zeros before the first step only: output t sees inputs up to t).
  std::string padding = "valid";
  /// Step between the kernel's taps; above 1 only together with strides of 1.
  int dilation_rate = 1;
  /// Number of channel groups; must divide both the input channels and `filters`.
  int groups = 1;
  /// Activation applied after the bias, by Keras name (see docs/layers.md for the list).
  std::string activation = "linear";
  /// Whether the layer has a bias vector.
  bool use_bias = true;
  /// Kernel initializer by Keras name, as Conv2D's.
  Initializer kernel_initializer = "glorot_uniform";
  /// Bias initializer by Keras name.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`conv1d`, `conv1d_1`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `Conv1DOptions{}.set_name(...).set_strides(...)`.
  /// Sets `strides`; returns this struct for chaining.
  Conv1DOptions& set_strides(int value) {
    strides = std::move(value);
    return *this;
  }
  /// Sets `padding`; returns this struct for chaining.
  Conv1DOptions& set_padding(std::string value) {
    padding = std::move(value);
    return *this;
  }
  /// Sets `dilation_rate`; returns this struct for chaining.
  Conv1DOptions& set_dilation_rate(int value) {
    dilation_rate = std::move(value);
    return *this;
  }
  /// Sets `groups`; returns this struct for chaining.
  Conv1DOptions& set_groups(int value) {
    groups = std::move(value);
    return *this;
  }
  /// Sets `activation`; returns this struct for chaining.
  Conv1DOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `use_bias`; returns this struct for chaining.
  Conv1DOptions& set_use_bias(bool value) {
    use_bias = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  Conv1DOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  Conv1DOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  Conv1DOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// A 1D convolution, as `keras.layers.Conv1D(filters, kernel_size, ...)`. The kernel is
/// `(kernel_size, channels / groups, filters)`, then the bias `(filters,)`.
class Conv1D : public Layer {
 public:
  /// Creates the layer. Throws ValueError for filters, kernel size, strides, dilation or groups of zero or
  /// less, for strides and dilation both above 1, for filters not divisible by groups, and for an unknown
  /// padding, activation or initializer.
  Conv1D(int filters, int kernel_size, Conv1DOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError when the input is not rank 3, when its channels are
  /// not divisible by groups or differ from an earlier call's, or when the output would have no steps.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
