#pragma once
// keras-io's image segmentation U-Net ("Image segmentation with a U-Net-like architecture", fchollet; the
// Oxford-IIIT pets model: 160x160 RGB in, 3 classes per pixel out, 2,058,979 parameters), as Keras writes
// it. The downsampling half is Xception-like (separable convolutions, strided max pooling, projected
// residuals); the upsampling half uses transposed convolutions and UpSampling2D, each block adding a
// projected residual. Used by samples/unet.cpp, the tfjs oracle test and compare_peers.

#include <string>

#include <strata/strata.hpp>

/// The U-Net for `size` x `size` RGB images and `classes` classes per pixel. `classifier_activation`:
/// keras-io's softmax, or "linear" for the logits (what tests compare: with untrained weights the softmax
/// is nearly flat and comparing it would prove little).
inline strata::Model make_unet(int size, int classes, const std::string& classifier_activation = "softmax") {
  namespace L = strata::layers;
  auto inputs = strata::Input({size, size, 3});
  // Entry block.
  auto x = L::Conv2D(32, 3, {.strides = 2, .padding = "same"})(inputs);
  x = L::BatchNormalization()(x);
  x = L::Activation("relu")(x);
  auto previous = x;  // set aside the residual
  // Blocks 1, 2, 3 are identical apart from the feature depth.
  for (int filters : {64, 128, 256}) {
    x = L::Activation("relu")(x);
    x = L::SeparableConv2D(filters, 3, {.padding = "same"})(x);
    x = L::BatchNormalization()(x);
    x = L::Activation("relu")(x);
    x = L::SeparableConv2D(filters, 3, {.padding = "same"})(x);
    x = L::BatchNormalization()(x);
    x = L::MaxPooling2D(3, {.strides = 2, .padding = "same"})(x);
    auto residual = L::Conv2D(filters, 1, {.strides = 2, .padding = "same"})(previous);  // project
    x = L::add({x, residual});
    previous = x;
  }
  // The upsampling half.
  for (int filters : {256, 128, 64, 32}) {
    x = L::Activation("relu")(x);
    x = L::Conv2DTranspose(filters, 3, {.padding = "same"})(x);
    x = L::BatchNormalization()(x);
    x = L::Activation("relu")(x);
    x = L::Conv2DTranspose(filters, 3, {.padding = "same"})(x);
    x = L::BatchNormalization()(x);
    x = L::UpSampling2D(2)(x);
    auto residual = L::UpSampling2D(2)(previous);
    residual = L::Conv2D(filters, 1, {.padding = "same"})(residual);  // project
    x = L::add({x, residual});
    previous = x;
  }
  // A per-pixel classification layer.
  auto outputs = L::Conv2D(classes, 3, {.padding = "same", .activation = classifier_activation})(x);
  return strata::Model(inputs, outputs, "unet");
}
