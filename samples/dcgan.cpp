// keras-io's MNIST GAN (dcgan_models.hpp): the generator's and discriminator's summaries, Keras's parameter
// counts, and generated images scored.
#include <iostream>

#include "dcgan_models.hpp"

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
