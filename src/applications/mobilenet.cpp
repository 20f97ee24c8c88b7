// keras.applications.MobileNet (keras/src/applications/mobilenet.py: MobileNet, _conv_block,
// _depthwise_conv_block), layer for layer and name for name.
#include "strata/applications/mobilenet.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/error.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

SymbolicTensor bn_relu6(const SymbolicTensor& x, const std::string& name) {
  const SymbolicTensor y = L::BatchNormalization({.name = name + "_bn"})(x);
  return L::ReLU({.max_value = 6.0f, .name = name + "_relu"})(y);
}

// Keras's int(filters * alpha) on a Python float.
int scaled(int filters, double alpha) {
  return static_cast<int>(filters * alpha);
}

SymbolicTensor depthwise_conv_block(const SymbolicTensor& inputs, int pointwise_filters, double alpha,
                                    int depth_multiplier, int stride, int block_id) {
  SymbolicTensor x = inputs;
  // A strided block pads bottom and right only, then convolves "valid": TensorFlow's "same" for even sizes.
  if (stride != 1) x = L::ZeroPadding2D({{0, 1}, {0, 1}}, {.name = fmt::format("conv_pad_{}", block_id)})(x);
  const std::string dw = fmt::format("conv_dw_{}", block_id);
  x = L::DepthwiseConv2D(3, {.strides = stride,
                             .padding = stride == 1 ? "same" : "valid",
                             .depth_multiplier = depth_multiplier,
                             .use_bias = false,
                             .name = dw})(x);
  x = bn_relu6(x, dw);
  const std::string pw = fmt::format("conv_pw_{}", block_id);
  x = L::Conv2D(scaled(pointwise_filters, alpha), 1, {.padding = "same", .use_bias = false, .name = pw})(x);
  return bn_relu6(x, pw);
}

}  // namespace

Model MobileNet(MobileNetOptions options) {
  const std::string where = "[MobileNet]";
  // The widest layer has 1024 * alpha channels, which must fit a layer's int filters.
  if (!std::isfinite(options.alpha) || options.alpha <= 0.0f ||
      1024.0 * options.alpha > static_cast<double>(std::numeric_limits<int>::max())) {
    throw ValueError(fmt::format("{} Expected a positive `alpha` giving at most {} channels, received {}",
                                 where, std::numeric_limits<int>::max(), options.alpha));
  }
  if (options.depth_multiplier <= 0) {
    throw ValueError(fmt::format("{} Expected a positive `depth_multiplier`, received {}", where,
                                 options.depth_multiplier));
  }
  // Only the top has a dropout; its rate as strata's Dropout takes it.
  if (options.include_top && !(options.dropout >= 0.0f && options.dropout < 1.0f)) {
    throw ValueError(fmt::format("{} Expected `dropout` in [0, 1), received {}", where, options.dropout));
  }
  // Keras takes the default size from a square input_shape of 128, 160, 192 or 224, but a given
  // input_shape is returned as is, so the default size only matters when input_shape is empty: 224.
  const std::vector<Dim> input_shape = detail::check_application_options(
      detail::shared_options(options), "MobileNet", "mobilenet", /*default_size=*/224, /*min_size=*/32);
  const Dim rows = input_shape[0];
  const double alpha = detail::alpha_as_python_float(options.alpha);

  // Keras passes no name, so the input gets the default `input_layer[_N]`.
  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = L::Conv2D(
      scaled(32, alpha), 3, {.strides = 2, .padding = "same", .use_bias = false, .name = "conv1"})(img_input);
  x = bn_relu6(x, "conv1");

  struct Block {
    int filters, stride;
  };
  static constexpr Block kBlocks[] = {
      {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2},  {512, 1},
      {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
  };
  int block_id = 1;
  for (const Block& b : kBlocks) {
    x = depthwise_conv_block(x, b.filters, alpha, options.depth_multiplier, b.stride, block_id++);
  }

  if (options.include_top) {
    // Unnamed in Keras: `global_average_pooling2d[_N]`.
    x = L::GlobalAveragePooling2D({.keepdims = true})(x);
    x = L::Dropout(options.dropout, {.name = "dropout"})(x);
    x = L::Conv2D(options.classes, 1, {.padding = "same", .name = "conv_preds"})(x);
    x = L::Reshape({options.classes}, {.name = "reshape_2"})(x);
    x = L::Activation(detail::classifier_activation_name(options.classifier_activation),
                      {.name = "predictions"})(x);
  } else {
    x = detail::feature_pooling(x, options.pooling, "", "");
  }

  // Keras formats `rows` with Python's str(), so an unknown height reads "None".
  const std::string default_name =
      fmt::format("mobilenet_{:.2f}_{}", alpha, rows ? std::to_string(*rows) : std::string("None"));
  return detail::finish_application(img_input, x, detail::shared_options(options), default_name);
}

}  // namespace strata::applications
