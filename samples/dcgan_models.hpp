#pragma once
// The generator and discriminator of keras-io's GAN on MNIST digits ("Conditional GAN", Sayak Paul, with
// no class channels: latent size 128, one image channel), as Keras writes them: Sequential models of Dense,
// LeakyReLU, Reshape, Conv2DTranspose, Conv2D and GlobalMaxPooling2D (1,339,905 and 74,625 parameters).
// The generator upsamples a 7x7 map twice with 4x4 stride-2 transposed convolutions to a 28x28 image; the
// discriminator scores it. Used by samples/dcgan.cpp, the tfjs oracle test and compare_peers.

#include <strata/strata.hpp>

/// The size of the generator's latent input.
inline constexpr int kLatent = 128;

/// The generator: a latent vector to a 28x28x1 image in [0, 1].
inline strata::Sequential make_generator() {
  namespace L = strata::layers;
  return strata::Sequential(
      {L::InputLayer({kLatent}), L::Dense(7 * 7 * kLatent), L::LeakyReLU({.negative_slope = 0.2f}),
       L::Reshape({7, 7, kLatent}), L::Conv2DTranspose(128, 4, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2DTranspose(128, 4, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2D(1, 7, {.padding = "same", .activation = "sigmoid"})},
      "generator");
}

/// The discriminator: a 28x28x1 image to one logit.
inline strata::Sequential make_discriminator() {
  namespace L = strata::layers;
  return strata::Sequential(
      {L::InputLayer({28, 28, 1}), L::Conv2D(64, 3, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2D(128, 3, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::GlobalMaxPooling2D(), L::Dense(1)},
      "discriminator");
}
