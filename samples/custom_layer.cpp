// A user-defined layer: ChannelScale multiplies each channel by a learnable factor. It shows the three
// things a custom layer gives strata: a shape rule, its weights, and a plain C++ kernel.
#include <cmath>
#include <iostream>

#include <strata/strata.hpp>

namespace L = strata::layers;

class ChannelScale : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "ChannelScale"; }

  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    if (inputs.size() != 1 || !inputs[0][-1]) {
      throw strata::ShapeError("Expected one input with a known last (channel) dimension");
    }
    return inputs[0];
  }

  std::vector<strata::WeightSpec> build(const std::vector<strata::Shape>& inputs) const override {
    const int64_t channels = *inputs[0][-1];
    return {{"scale", strata::Tensor(std::vector<int64_t>{channels}, std::vector<float>(channels, 1.0f))}};
  }

  void call(const std::vector<const strata::Tensor*>& inputs, const std::vector<const strata::Tensor*>& weights,
            strata::Tensor& output) const override {
    const strata::Tensor& x = *inputs[0];
    const float* scale = weights[0]->data();
    const int64_t channels = weights[0]->size();
    for (int64_t i = 0; i < x.size(); ++i) output.data()[i] = x.data()[i] * scale[i % channels];
  }

  int64_t macs(const std::vector<strata::Shape>& inputs) const override {
    int64_t n = 1;
    for (int d = 1; d < inputs[0].rank(); ++d) n *= inputs[0][d].value_or(0);
    return n;
  }
};

int main() {
  auto inputs = strata::Input({16, 16, 3});
  auto x = L::Conv2D(8, 3, {.activation = "relu"})(inputs);
  strata::CustomLayer scale(std::make_shared<ChannelScale>());
  x = scale(x);
  x = L::GlobalAveragePooling2D()(x);
  strata::Model model(inputs, L::Dense(4, {.activation = "softmax"})(x), "with_custom_layer");
  model.summary();

  std::vector<float> factors(8);
  for (int c = 0; c < 8; ++c) factors[c] = 0.5f + 0.25f * static_cast<float>(c);
  scale.set_weights({strata::Tensor({8}, factors)});

  const strata::Tensor batch = strata::Tensor::random_uniform({2, 16, 16, 3}, 3);
  const strata::Tensor fast = model.predict(batch);
  const strata::Tensor oracle = model.compile({.backend = "reference"}).predict(batch);
  double worst = 0;
  for (int64_t i = 0; i < fast.size(); ++i) worst = std::max(worst, std::abs(double(fast.data()[i]) - oracle.data()[i]));
  std::cout << model.compile().plan_string(2);
  std::cout << "output " << fast.shape() << ", largest difference from the reference executor: " << worst << "\n";
  return worst < 1e-5 ? 0 : 1;
}
