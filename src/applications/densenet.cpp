// keras.applications' DenseNets (keras/src/applications/densenet.py: DenseNet, dense_block, conv_block,
// transition_block), layer for layer and name for name.
#include "strata/applications/densenet.hpp"

#include <array>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// The original Caffe models' epsilon, as in the ResNets.
constexpr float kBnEpsilon = 1.001e-5f;
constexpr int kGrowthRate = 32;

SymbolicTensor bn_relu(const SymbolicTensor& x, const std::string& name) {
  const SymbolicTensor y = L::BatchNormalization({.epsilon = kBnEpsilon, .name = name + "_bn"})(x);
  return L::Activation("relu", {.name = name + "_relu"})(y);
}

// Each block adds kGrowthRate channels: its two convolutions see the concatenation of everything before.
SymbolicTensor conv_block(const SymbolicTensor& x, const std::string& name) {
  SymbolicTensor x1 = bn_relu(x, name + "_0");
  x1 = L::Conv2D(4 * kGrowthRate, 1, {.use_bias = false, .name = name + "_1_conv"})(x1);
  x1 = bn_relu(x1, name + "_1");
  x1 = L::Conv2D(kGrowthRate, 3, {.padding = "same", .use_bias = false, .name = name + "_2_conv"})(x1);
  return L::Concatenate({.axis = -1, .name = name + "_concat"})({x, x1});
}

SymbolicTensor dense_block(SymbolicTensor x, int blocks, const std::string& name) {
  for (int i = 1; i <= blocks; ++i) x = conv_block(x, name + "_block" + std::to_string(i));
  return x;
}

// Halves the channels (Keras's reduction 0.5, int() of the product) and the size.
SymbolicTensor transition_block(const SymbolicTensor& input, const std::string& name) {
  SymbolicTensor x = bn_relu(input, name);
  const auto channels = static_cast<int>(static_cast<double>(*x.shape()[-1]) * 0.5);
  x = L::Conv2D(channels, 1, {.use_bias = false, .name = name + "_conv"})(x);
  return L::AveragePooling2D(2, {.strides = 2, .name = name + "_pool"})(x);
}

Model densenet(const ApplicationOptions& options, const char* keras_class, const char* default_name,
               const std::array<int, 4>& blocks) {
  const std::vector<Dim> input_shape = detail::check_application_options(
      options, keras_class, default_name, /*default_size=*/224, /*min_size=*/32);

  // Keras passes no name, so the input gets the default `input_layer[_N]`, and the two paddings
  // `zero_padding2d[_N]`.
  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = L::ZeroPadding2D({{3, 3}, {3, 3}})(img_input);
  x = L::Conv2D(64, 7, {.strides = 2, .use_bias = false, .name = "conv1_conv"})(x);
  x = bn_relu(x, "conv1");
  x = L::ZeroPadding2D({{1, 1}, {1, 1}})(x);
  x = L::MaxPooling2D(3, {.strides = 2, .name = "pool1"})(x);

  for (size_t stage = 0; stage < 4; ++stage) {
    x = dense_block(x, blocks[stage], "conv" + std::to_string(stage + 2));
    if (stage < 3) x = transition_block(x, "pool" + std::to_string(stage + 2));
  }
  x = L::BatchNormalization({.epsilon = kBnEpsilon, .name = "bn"})(x);
  x = L::Activation("relu", {.name = "relu"})(x);

  x = options.include_top ? detail::classification_top(x, options, "avg_pool")
                          : detail::feature_pooling(x, options.pooling, "avg_pool", "max_pool");
  return detail::finish_application(img_input, x, options, default_name);
}

}  // namespace

Model DenseNet121(ApplicationOptions options) {
  return densenet(options, "DenseNet121", "densenet121", {6, 12, 24, 16});
}
Model DenseNet169(ApplicationOptions options) {
  return densenet(options, "DenseNet169", "densenet169", {6, 12, 32, 32});
}
Model DenseNet201(ApplicationOptions options) {
  return densenet(options, "DenseNet201", "densenet201", {6, 12, 48, 32});
}

}  // namespace strata::applications
