// keras-io's text classification with a Transformer (transformer_model.hpp): its summary, Keras's
// parameter count, and the class probabilities of two reviews of 200 tokens (untrained weights: the numbers
// only show the pipeline).
#include <cmath>
#include <iostream>
#include <random>

#include "transformer_model.hpp"

int main() {
  const strata::Model model = transformer_sample::make_transformer_classifier();
  const std::string summary = model.summary_string();
  std::cout << summary;
  std::mt19937 engine(7);
  std::vector<int32_t> ids(2 * 200);
  for (int32_t& id : ids) id = static_cast<int32_t>(engine() % 20000);
  const strata::Tensor p = model.predict(strata::Tensor::from_int32({2, 200}, ids));
  std::cout << "class probabilities: (" << p.data()[0] << ", " << p.data()[1] << "), (" << p.data()[2] << ", "
            << p.data()[3] << ")\n";
  // Keras's count: 640,000 + 6,400 embedding weights, 10,656 in the block, 660 + 42 in the head.
  const bool sums = std::abs(p.data()[0] + p.data()[1] - 1.0f) < 1e-5f &&
                    std::abs(p.data()[2] + p.data()[3] - 1.0f) < 1e-5f;
  return summary.find("Total params: 657,758") != std::string::npos && sums ? 0 : 1;
}
