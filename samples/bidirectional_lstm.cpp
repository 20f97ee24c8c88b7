// keras-io's bidirectional LSTM (bilstm_model.hpp) on token ids: its summary, Keras's parameter count, and
// the sentiment of two reviews of 200 tokens (untrained weights: the numbers only show the pipeline).
#include <iostream>
#include <random>

#include "bilstm_model.hpp"

int main() {
  const strata::Model model = make_bilstm(20000, 128, 64);
  const std::string summary = model.summary_string();
  std::cout << summary;
  std::mt19937 engine(11);
  std::vector<int32_t> ids(2 * 200);
  for (int32_t& id : ids) id = static_cast<int32_t>(engine() % 20000);
  const strata::Tensor p = model.predict(strata::Tensor::from_int32({2, 200}, ids));
  std::cout << "positive-review probabilities: " << p.data()[0] << ", " << p.data()[1] << "\n";
  // Keras's rules: 2,560,000 embedding weights, 2 x 2 x 4 x (64 x (128 + 64) + 64) for the LSTMs, 129 dense.
  const bool in_range = p.data()[0] > 0.0f && p.data()[0] < 1.0f && p.data()[1] > 0.0f && p.data()[1] < 1.0f;
  return summary.find("Total params: 2,757,761") != std::string::npos && in_range ? 0 : 1;
}
