// keras.applications' Xception (keras/src/applications/xception.py), layer for layer and name for name.
#include "strata/applications/xception.hpp"

#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

SymbolicTensor separable_bn(const SymbolicTensor& x, int filters, const std::string& name) {
  const SymbolicTensor y =
      L::SeparableConv2D(filters, 3, {.padding = "same", .use_bias = false, .name = name})(x);
  return L::BatchNormalization({.name = name + "_bn"})(y);
}

SymbolicTensor relu(const SymbolicTensor& x, const std::string& name) {
  return L::Activation("relu", {.name = name})(x);
}

// Keras leaves the shortcut's 1x1 strided convolution, its batch norm and the sum unnamed.
SymbolicTensor strided_shortcut(const SymbolicTensor& x, int filters) {
  const SymbolicTensor y = L::Conv2D(filters, 1, {.strides = 2, .padding = "same", .use_bias = false})(x);
  return L::BatchNormalization()(y);
}

SymbolicTensor block_pool(const SymbolicTensor& x, const std::string& name) {
  return L::MaxPooling2D(3, {.strides = 2, .padding = "same", .name = name})(x);
}

// Blocks 3, 4 (and 2 without the leading relu): two separable convolutions, a strided max pooling, plus a
// strided 1x1 shortcut.
SymbolicTensor entry_block(const SymbolicTensor& input, int filters, int block) {
  const std::string prefix = "block" + std::to_string(block);
  const SymbolicTensor residual = strided_shortcut(input, filters);
  SymbolicTensor x = block == 2 ? input : relu(input, prefix + "_sepconv1_act");
  x = separable_bn(x, filters, prefix + "_sepconv1");
  x = relu(x, prefix + "_sepconv2_act");
  x = separable_bn(x, filters, prefix + "_sepconv2");
  x = block_pool(x, prefix + "_pool");
  return L::add({x, residual});
}

}  // namespace

Model Xception(ApplicationOptions options) {
  const std::vector<Dim> input_shape = detail::check_application_options(
      options, "Xception", "xception", /*default_size=*/299, /*min_size=*/71);

  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = L::Conv2D(32, 3, {.strides = 2, .use_bias = false, .name = "block1_conv1"})(img_input);
  x = L::BatchNormalization({.name = "block1_conv1_bn"})(x);
  x = relu(x, "block1_conv1_act");
  x = L::Conv2D(64, 3, {.use_bias = false, .name = "block1_conv2"})(x);
  x = L::BatchNormalization({.name = "block1_conv2_bn"})(x);
  x = relu(x, "block1_conv2_act");

  // Keras names block 2's one relu `block2_sepconv2_act`, between its two separable convolutions.
  x = entry_block(x, 128, 2);
  x = entry_block(x, 256, 3);
  x = entry_block(x, 728, 4);

  for (int block = 5; block <= 12; ++block) {
    const std::string prefix = "block" + std::to_string(block);
    const SymbolicTensor residual = x;
    for (int i = 1; i <= 3; ++i) {
      const std::string sepconv = prefix + "_sepconv" + std::to_string(i);
      x = separable_bn(relu(x, sepconv + "_act"), 728, sepconv);
    }
    x = L::add({x, residual});
  }

  const SymbolicTensor residual = strided_shortcut(x, 1024);
  x = separable_bn(relu(x, "block13_sepconv1_act"), 728, "block13_sepconv1");
  x = separable_bn(relu(x, "block13_sepconv2_act"), 1024, "block13_sepconv2");
  x = block_pool(x, "block13_pool");
  x = L::add({x, residual});

  x = relu(separable_bn(x, 1536, "block14_sepconv1"), "block14_sepconv1_act");
  x = relu(separable_bn(x, 2048, "block14_sepconv2"), "block14_sepconv2_act");

  x = options.include_top ? detail::classification_top(x, options, "avg_pool")
                          : detail::feature_pooling(x, options.pooling, "", "");
  return detail::finish_application(img_input, x, options, "xception");
}

}  // namespace strata::applications
