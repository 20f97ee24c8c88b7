// keras-io's text classifier (text_cnn_model.hpp) on token ids: its summary, Keras's parameter count, and
// the sentiment of two reviews of 500 tokens (untrained weights: the numbers only show the pipeline).
#include <iostream>
#include <random>

#include "text_cnn_model.hpp"

int main() {
  const strata::Model model = make_text_cnn(20000, 128);
  const std::string summary = model.summary_string();
  std::cout << summary;
  // Two reviews as int64 token ids, as a tokenizer would give them.
  std::mt19937_64 engine(7);
  std::vector<int64_t> ids(2 * 500);
  for (int64_t& id : ids) id = static_cast<int64_t>(engine() % 20000);
  const strata::Tensor reviews = strata::Tensor::from_int64({2, 500}, ids);
  const strata::Tensor p = model.predict(reviews);
  std::cout << "positive-review probabilities: " << p.data()[0] << ", " << p.data()[1] << "\n";
  // Keras's rules: 2,560,000 embedding weights, 2 x 114,816 for the convolutions, 16,512 + 129 dense.
  const bool in_range = p.data()[0] > 0.0f && p.data()[0] < 1.0f && p.data()[1] > 0.0f && p.data()[1] < 1.0f;
  return summary.find("Total params: 2,806,273") != std::string::npos && in_range ? 0 : 1;
}
