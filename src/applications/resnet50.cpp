// keras.applications.ResNet50 (keras/src/applications/resnet.py: ResNet, stack_residual_blocks_v1,
// residual_block_v1), layer for layer and name for name.
#include "strata/applications/resnet50.hpp"

#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// Keras's ResNet v1 uses this epsilon (from the original Caffe models) instead of BatchNormalization's 1e-3.
constexpr float kBnEpsilon = 1.001e-5f;

SymbolicTensor batch_norm(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.epsilon = kBnEpsilon, .name = name})(x);
}

// Keras leaves use_bias at Conv2D's default here, so every convolution has a bias even though a batch
// normalization follows; the published weights include those biases and the parameter count needs them.
SymbolicTensor residual_block_v1(const SymbolicTensor& input, int filters, int stride, bool conv_shortcut,
                                 const std::string& name) {
  SymbolicTensor shortcut = input;
  if (conv_shortcut) {
    shortcut = L::Conv2D(4 * filters, 1, {.strides = stride, .name = name + "_0_conv"})(input);
    shortcut = batch_norm(shortcut, name + "_0_bn");
  }
  // ResNet v1 strides the first 1x1 convolution, not the 3x3 one.
  SymbolicTensor x = L::Conv2D(filters, 1, {.strides = stride, .name = name + "_1_conv"})(input);
  x = batch_norm(x, name + "_1_bn");
  x = L::Activation("relu", {.name = name + "_1_relu"})(x);

  x = L::Conv2D(filters, 3, {.padding = "same", .name = name + "_2_conv"})(x);
  x = batch_norm(x, name + "_2_bn");
  x = L::Activation("relu", {.name = name + "_2_relu"})(x);

  x = L::Conv2D(4 * filters, 1, {.name = name + "_3_conv"})(x);
  x = batch_norm(x, name + "_3_bn");

  // The shortcut comes first, as in Keras: a walk back from the add then meets the projection first, which
  // is what puts `_0_conv` before `_3_conv` (same depth) in Model::layers().
  x = L::Add({.name = name + "_add"})({shortcut, x});
  return L::Activation("relu", {.name = name + "_out"})(x);
}

SymbolicTensor stack_residual_blocks_v1(SymbolicTensor x, int filters, int blocks, int stride1,
                                        const std::string& name) {
  x = residual_block_v1(x, filters, stride1, /*conv_shortcut=*/true, name + "_block1");
  for (int i = 2; i <= blocks; ++i) {
    x = residual_block_v1(x, filters, 1, /*conv_shortcut=*/false, name + "_block" + std::to_string(i));
  }
  return x;
}

}  // namespace

Model ResNet50(ResNet50Options options) {
  const std::string where = "[ResNet50]";
  detail::check_weights(options.weights, "ResNet50", where);
  detail::check_pooling(options.pooling, where);
  if (options.include_top) detail::check_classes(options.classes, where);
  const std::vector<Dim> input_shape =
      detail::obtain_input_shape(options.input_shape, /*default_size=*/224, /*min_size=*/32,
                                 /*require_flatten=*/options.include_top, where);

  // Keras passes no name, so the input gets the default `input_layer[_N]`.
  const SymbolicTensor img_input = Input(input_shape);

  SymbolicTensor x = L::ZeroPadding2D({{3, 3}, {3, 3}}, {.name = "conv1_pad"})(img_input);
  x = L::Conv2D(64, 7, {.strides = 2, .use_bias = true, .name = "conv1_conv"})(x);
  x = batch_norm(x, "conv1_bn");
  x = L::Activation("relu", {.name = "conv1_relu"})(x);

  x = L::ZeroPadding2D({{1, 1}, {1, 1}}, {.name = "pool1_pad"})(x);
  x = L::MaxPooling2D(3, {.strides = 2, .name = "pool1_pool"})(x);

  x = stack_residual_blocks_v1(x, 64, 3, /*stride1=*/1, "conv2");
  x = stack_residual_blocks_v1(x, 128, 4, /*stride1=*/2, "conv3");
  x = stack_residual_blocks_v1(x, 256, 6, /*stride1=*/2, "conv4");
  x = stack_residual_blocks_v1(x, 512, 3, /*stride1=*/2, "conv5");

  if (options.include_top) {
    x = L::GlobalAveragePooling2D({.name = "avg_pool"})(x);
    x = L::Dense(options.classes, {.activation = detail::classifier_activation_name(options.classifier_activation),
                                   .name = "predictions"})(x);
  } else if (options.pooling == "avg") {
    x = L::GlobalAveragePooling2D({.name = "avg_pool"})(x);
  } else if (options.pooling == "max") {
    x = L::GlobalMaxPooling2D({.name = "max_pool"})(x);
  }

  Model model(img_input, x, options.name.empty() ? std::string("resnet50") : options.name);
  detail::load_weights_option(model, options.weights);
  return model;
}

}  // namespace strata::applications
