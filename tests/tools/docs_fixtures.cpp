// Writes, in the current directory, the files the docs' command-line sessions read
// (tests/tools/docs_programs.py console): the seed block's weights as docs/cli.md's worked example saves
// them, a (2, 32, 32, 3) batch, a (2, 224, 224, 3) batch of pixels, a weights file cut short, and
// docs/saving.md's forecaster as a .keras archive.
#include <fstream>
#include <iterator>
#include <strata/strata.hpp>
#include <vector>

namespace L = strata::layers;

int main() {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  residual = L::Conv2D(64, 1)(residual);
  const strata::Model model(inputs, L::add({x, residual}), "residual_block");
  model.save_weights("seed.weights.h5");
  strata::save_npy("x.npy", strata::Tensor::random_uniform({2, 32, 32, 3}, /*seed=*/1));
  strata::save_npy("images.npy", strata::Tensor::random_uniform({2, 224, 224, 3}, /*seed=*/2, 0.0f, 255.0f));
  // docs/saving.md's forecaster, as Keras 3 would save it.
  const strata::Sequential forecaster(
      {L::InputLayer({4, 3}, {.name = "input_layer"}), L::LSTM(5), L::Dense(2)}, "forecaster");
  forecaster.save("forecaster.keras");
  std::ifstream whole("seed.weights.h5", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(whole)), std::istreambuf_iterator<char>());
  bytes.resize(5000);
  std::ofstream("trunc.h5", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
