// The seed notebook, residual_connections, in strata: two residual blocks whose shortcut is projected by
// a 1x1 convolution, the second one strided to follow a max-pooled main path. Prints each shape as the
// notebook did, then each block's summary, then runs both blocks on random data.
#include <iostream>

#include <strata/strata.hpp>

namespace L = strata::layers;

int main() {
  // Example 1: the number of filters changes; a 1x1 convolution projects the residual.
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  std::cout << residual.shape() << "\n";  // (None, 30, 30, 32)
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  std::cout << x.shape() << "\n";  // (None, 30, 30, 64)
  residual = L::Conv2D(64, 1)(residual);
  std::cout << residual.shape() << "\n";  // (None, 30, 30, 64)
  x = L::add({x, residual});
  std::cout << x.shape() << "\n";  // (None, 30, 30, 64)
  strata::Model block1(inputs, x, "residual_block");

  // Example 2: height and width change too; the shortcut is strided to follow the max-pooled main path.
  auto inputs2 = strata::Input({32, 32, 3});
  auto y = L::Conv2D(32, 3, {.activation = "relu"})(inputs2);
  auto residual2 = y;
  std::cout << residual2.shape() << "\n";  // (None, 30, 30, 32)
  y = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(y);
  y = L::MaxPooling2D(2, {.padding = "same"})(y);
  std::cout << y.shape() << "\n";  // (None, 15, 15, 64)
  residual2 = L::Conv2D(64, 1, {.strides = 2})(residual2);
  std::cout << residual2.shape() << "\n";  // (None, 15, 15, 64)
  auto sum = L::add({y, residual2});
  std::cout << sum.shape() << "\n";  // (None, 15, 15, 64)
  strata::Model block2(inputs2, sum, "residual_block_2");

  // The notebook printed (None, 8, 8, 64) because its cells 11 and 12 ran twice: pooling and the strided
  // shortcut applied once more.
  auto pooled_again = L::MaxPooling2D(2, {.padding = "same"})(y);
  auto shortcut_again = L::Conv2D(64, 1, {.strides = 2})(residual2);
  std::cout << "applied twice: " << pooled_again.shape() << " and " << shortcut_again.shape() << "\n";

  block1.summary();
  block2.summary();

  const strata::Tensor batch = strata::Tensor::random_uniform({8, 32, 32, 3}, /*seed=*/1);
  const strata::Tensor out1 = block1.predict(batch);
  const strata::Tensor out2 = block2.predict(batch);
  std::cout << "block 1 output " << out1.shape() << ", block 2 output " << out2.shape() << "\n";
  std::cout << block1.compile().plan_string(8);
  std::cout << block2.compile().plan_string(8);
  return 0;
}
