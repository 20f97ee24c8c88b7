#pragma once
// An EfficientNet stem and its first three MBConv blocks (keras.applications' efficientnet.py `block`:
// expansion, depthwise convolution, squeeze-excitation, projection, residual), with the squeeze and the
// excitation written as ops on tensors, as a Keras user writes them today:
//
//     se = keras.ops.mean(x, axis=(1, 2), keepdims=True)   # instead of GlobalAveragePooling2D + Reshape
//     x = x * se                                           # instead of layers.multiply
//     x = x + inputs                                       # instead of layers.add
//
// The layers keep Keras's names (block2a_expand_conv, ...). Used by samples/efficientnet_block.cpp and the
// tfjs oracle test.

#include <algorithm>
#include <string>

#include <strata/strata.hpp>

/// One EfficientNet MBConv block with squeeze-excitation, Keras's `block(inputs, "swish", 0, name,
/// filters_in, filters_out, kernel_size, strides, expand_ratio, se_ratio)` with its ops written as ops.
inline strata::SymbolicTensor mbconv_block(strata::SymbolicTensor inputs, const std::string& name,
                                           int filters_in, int filters_out, int kernel_size, int strides,
                                           int expand_ratio, double se_ratio = 0.25) {
  namespace L = strata::layers;
  namespace ops = strata::ops;
  const int filters = filters_in * expand_ratio;
  auto x = inputs;
  if (expand_ratio != 1) {
    x = L::Conv2D(filters, 1, {.padding = "same", .use_bias = false, .name = name + "expand_conv"})(x);
    x = L::BatchNormalization({.name = name + "expand_bn"})(x);
    x = L::Activation("swish", {.name = name + "expand_activation"})(x);
  }
  std::string padding = "same";
  if (strides == 2) {
    // imagenet_utils.correct_pad for an even size: the extra row and column bottom and right.
    const int half = kernel_size / 2;
    x = L::ZeroPadding2D(strata::Margins2D({half - 1, half}, {half - 1, half}),
                         {.name = name + "dwconv_pad"})(x);
    padding = "valid";
  }
  x = L::DepthwiseConv2D(
      kernel_size, {.strides = strides, .padding = padding, .use_bias = false, .name = name + "dwconv"})(x);
  x = L::BatchNormalization({.name = name + "bn"})(x);
  x = L::Activation("swish", {.name = name + "activation"})(x);
  // Squeeze and excitation.
  const int filters_se = std::max(1, static_cast<int>(filters_in * se_ratio));
  auto se = ops::mean(x, {1, 2}, /*keepdims=*/true);
  se = L::Conv2D(filters_se, 1, {.padding = "same", .activation = "swish", .name = name + "se_reduce"})(se);
  se = L::Conv2D(filters, 1, {.padding = "same", .activation = "sigmoid", .name = name + "se_expand"})(se);
  x = x * se;
  // Projection, and the residual when the block keeps the shape.
  x = L::Conv2D(filters_out, 1, {.padding = "same", .use_bias = false, .name = name + "project_conv"})(x);
  x = L::BatchNormalization({.name = name + "project_bn"})(x);
  if (strides == 1 && filters_in == filters_out) x = x + inputs;
  return x;
}

/// EfficientNetB0's stem and blocks 1a, 2a and 2b on `size` x `size` RGB images (size even), followed by
/// global average pooling: 864 + 128 stem parameters, then 1,544, 6,436 and 11,334 per block as
/// efficientnet.py's layers make them (each layer's count Keras's formula for it), 20,306 in all.
inline strata::Model make_efficientnet_blocks(int size) {
  namespace L = strata::layers;
  auto inputs = strata::Input({size, size, 3});
  auto x = L::ZeroPadding2D(strata::Margins2D({0, 1}, {0, 1}), {.name = "stem_conv_pad"})(inputs);
  x = L::Conv2D(32, 3, {.strides = 2, .padding = "valid", .use_bias = false, .name = "stem_conv"})(x);
  x = L::BatchNormalization({.name = "stem_bn"})(x);
  x = L::Activation("swish", {.name = "stem_activation"})(x);
  x = mbconv_block(x, "block1a_", 32, 16, 3, 1, 1);
  x = mbconv_block(x, "block2a_", 16, 24, 3, 2, 6);
  x = mbconv_block(x, "block2b_", 24, 24, 3, 1, 6);
  x = L::GlobalAveragePooling2D({.name = "avg_pool"})(x);
  return strata::Model(inputs, x, "efficientnet_blocks");
}
