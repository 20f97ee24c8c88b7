// EfficientNet's MBConv blocks with squeeze-excitation written with ops (mbconv_model.hpp): the summary
// shows each op as Keras does (mean (Mean), multiply (Multiply), add (Add)), the parameter count is
// Keras's, and the plan shows the ops fused into the steps around them.
#include <iostream>

#include "mbconv_model.hpp"

int main() {
  const strata::Model model = make_efficientnet_blocks(64);
  const std::string summary = model.summary_string();
  std::cout << summary;
  const strata::CompiledModel compiled = model.compile();
  std::cout << compiled.plan_string({{1, 64, 64, 3}});
  const strata::Tensor image = strata::Tensor::random_uniform({1, 64, 64, 3}, 1, 0.0f, 1.0f);
  const strata::Tensor features = compiled.predict(image);
  std::cout << "features " << features.shape().to_string() << "\n";
  // Keras's layer counts for these blocks: stem 992, block1a 1,544, block2a 6,436, block2b 11,334.
  return summary.find("Total params: 20,306") != std::string::npos && features.dims()[1] == 24 ? 0 : 1;
}
