// The seed notebook's two residual blocks written with strata's API, using only the installed
// umbrella header. Prints each shape the notebook printed, then the first block's summary, then the shape
// of a forward pass through the second block (which runs the installed library's oneDNN plan).
#include <iostream>

#include <strata/strata.hpp>

namespace L = strata::layers;

namespace {

strata::Model first_block() {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  std::cout << residual.shape().to_string() << "\n";  // (None, 30, 30, 32)
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  std::cout << x.shape().to_string() << "\n";  // (None, 30, 30, 64)
  residual = L::Conv2D(64, 1)(residual);
  std::cout << residual.shape().to_string() << "\n";  // (None, 30, 30, 64)
  x = L::add({x, residual});
  std::cout << x.shape().to_string() << "\n";  // (None, 30, 30, 64)
  return strata::Model(inputs, x, "residual_block");
}

strata::Model second_block() {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  std::cout << residual.shape().to_string() << "\n";  // (None, 30, 30, 32)
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  std::cout << x.shape().to_string() << "\n";  // (None, 15, 15, 64)
  residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  std::cout << residual.shape().to_string() << "\n";  // (None, 15, 15, 64)
  x = L::add({x, residual});
  std::cout << x.shape().to_string() << "\n";  // (None, 15, 15, 64)
  return strata::Model(inputs, x, "residual_block_2");
}

}  // namespace

int main() {
  strata::Model model = first_block();
  strata::Model model_2 = second_block();
  model.summary();
  strata::Tensor y = model_2.predict(strata::Tensor::random_uniform({8, 32, 32, 3}, /*seed=*/1));
  std::cout << "predict: " << y.shape().to_string() << "\n";
  return 0;
}
