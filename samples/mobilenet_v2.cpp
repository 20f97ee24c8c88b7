// keras.applications.MobileNetV2 (alpha 1.0) in strata: prints the Keras summary (3,538,984 parameters),
// then classifies one random 224x224 image. The weights are the seeded initial ones, as Keras's
// `weights=None` makes them: with glorot depthwise kernels and identity batch norms the activations shrink
// block by block, so the scores come out nearly uniform (0.001 each). Load Keras's published weights with
// Model::load_weights for real predictions.
#include <iostream>
#include <vector>

#include <strata/strata.hpp>

namespace apps = strata::applications;

int main() {
  const strata::Model model = apps::MobileNetV2();
  model.summary();

  const strata::Tensor image = strata::Tensor::random_uniform({1, 224, 224, 3}, /*seed=*/1, 0.0f, 255.0f);
  const strata::Tensor predictions = model.predict(apps::mobilenet_v2::preprocess_input(image));
  std::cout << "output shape " << predictions.shape() << "\n";
  // Keep the decoded batch in a variable: a range-for over `decode_predictions(...)[0]` would dangle.
  const std::vector<std::vector<apps::Prediction>> top5 = apps::decode_predictions(predictions, 5);
  for (const apps::Prediction& p : top5[0]) {
    std::cout << "  " << p.index << " " << p.name << ": " << p.score << "\n";
  }
  return 0;
}
