// keras-io's image segmentation U-Net (unet_model.hpp) on a 160x160 image: its summary, Keras's parameter
// count, and a per-pixel class mask.
#include <iostream>

#include "unet_model.hpp"

int main() {
  const strata::Model model = make_unet(160, 3);
  const std::string summary = model.summary_string();
  std::cout << summary;
  // Untrained weights: the output only shows per-pixel class probabilities summing to one.
  const strata::Tensor image = strata::Tensor::random_uniform({1, 160, 160, 3}, 1, 0.0f, 1.0f);
  const strata::Tensor mask = model.predict(image);
  const float* p = mask.data();
  std::cout << "mask " << mask.dims()[1] << "x" << mask.dims()[2] << "x" << mask.dims()[3]
            << ", first pixel's class probabilities sum to " << p[0] + p[1] + p[2] << "\n";
  // keras-io's summary: 2,058,979 parameters (2,055,203 trainable, 3,776 batch-norm statistics).
  return summary.find("Total params: 2,058,979") != std::string::npos &&
                 model.count_trainable_params() == 2055203
             ? 0
             : 1;
}
