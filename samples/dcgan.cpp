// The generator and discriminator of keras-io's GAN on MNIST digits ("Conditional GAN", Sayak Paul, with
// no class channels: latent size 128, one image channel), written as Keras writes them: Sequential models
// of Dense, LeakyReLU, Reshape, Conv2DTranspose, Conv2D and GlobalMaxPooling2D. The generator upsamples a
// 7x7 map twice with 4x4 stride-2 transposed convolutions to a 28x28 image; the discriminator scores it.
#include <iostream>

#include <strata/strata.hpp>

namespace L = strata::layers;

constexpr int kLatent = 128;

strata::Sequential make_generator() {
  return strata::Sequential(
      {L::InputLayer({kLatent}), L::Dense(7 * 7 * kLatent), L::LeakyReLU({.negative_slope = 0.2f}),
       L::Reshape({7, 7, kLatent}), L::Conv2DTranspose(128, 4, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2DTranspose(128, 4, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2D(1, 7, {.padding = "same", .activation = "sigmoid"})},
      "generator");
}

strata::Sequential make_discriminator() {
  return strata::Sequential(
      {L::InputLayer({28, 28, 1}), L::Conv2D(64, 3, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::Conv2D(128, 3, {.strides = 2, .padding = "same"}),
       L::LeakyReLU({.negative_slope = 0.2f}), L::GlobalMaxPooling2D(), L::Dense(1)},
      "discriminator");
}

int main() {
  const strata::Sequential generator = make_generator();
  const strata::Sequential discriminator = make_discriminator();
  generator.summary();
  discriminator.summary();

  // Untrained weights: the numbers only show the shapes flowing from noise to a score per image.
  const strata::Tensor noise = strata::Tensor::random_uniform({4, kLatent}, 1, -1.0f, 1.0f);
  const strata::Tensor images = generator.predict(noise);
  const strata::Tensor scores = discriminator.predict(images);
  std::cout << "generated " << images.dims()[0] << " images of " << images.dims()[1] << "x"
            << images.dims()[2] << ", scores " << scores.dims()[0] << "x" << scores.dims()[1] << "\n";
  // keras-io's summaries: 1,339,905 and 74,625 parameters.
  return generator.count_trainable_params() == 1339905 && discriminator.count_trainable_params() == 74625 ? 0
                                                                                                          : 1;
}
