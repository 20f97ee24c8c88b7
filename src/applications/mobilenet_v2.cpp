// keras.applications.MobileNetV2 (keras/src/applications/mobilenet_v2.py: MobileNetV2, _inverted_res_block,
// _make_divisible; imagenet_utils.correct_pad), layer for layer and name for name.
#include "strata/applications/mobilenet_v2.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/error.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

constexpr float kBnEpsilon = 1e-3f;
constexpr float kBnMomentum = 0.999f;

SymbolicTensor batch_norm(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.momentum = kBnMomentum, .epsilon = kBnEpsilon, .name = name})(x);
}

SymbolicTensor relu6(const SymbolicTensor& x, const std::string& name) {
  return L::ReLU({.max_value = 6.0f, .name = name})(x);
}

SymbolicTensor inverted_res_block(const SymbolicTensor& inputs, int expansion, int stride, double alpha, int filters,
                                  int block_id) {
  const int64_t in_channels = *inputs.shape()[-1];
  const auto pointwise_conv_filters = static_cast<int64_t>(filters * alpha);
  const int64_t pointwise_filters = detail::make_divisible(static_cast<double>(pointwise_conv_filters), 8);
  SymbolicTensor x = inputs;
  std::string prefix = fmt::format("block_{}_", block_id);

  if (block_id != 0) {
    x = L::Conv2D(static_cast<int>(expansion * in_channels), 1,
                  {.padding = "same", .use_bias = false, .name = prefix + "expand"})(x);
    x = batch_norm(x, prefix + "expand_BN");
    x = relu6(x, prefix + "expand_relu");
  } else {
    prefix = "expanded_conv_";
  }

  if (stride == 2) x = L::ZeroPadding2D(detail::correct_pad(x, 3), {.name = prefix + "pad"})(x);
  x = L::DepthwiseConv2D(3, {.strides = stride,
                             .padding = stride == 1 ? "same" : "valid",
                             .use_bias = false,
                             .name = prefix + "depthwise"})(x);
  x = batch_norm(x, prefix + "depthwise_BN");
  x = relu6(x, prefix + "depthwise_relu");

  x = L::Conv2D(static_cast<int>(pointwise_filters), 1,
                {.padding = "same", .use_bias = false, .name = prefix + "project"})(x);
  x = batch_norm(x, prefix + "project_BN");

  if (in_channels == pointwise_filters && stride == 1) return L::Add({.name = prefix + "add"})({inputs, x});
  return x;
}

}  // namespace

Model MobileNetV2(MobileNetV2Options options) {
  const std::string where = "[MobileNetV2]";
  if (!std::isfinite(options.alpha) || options.alpha <= 0.0f) {
    throw ValueError(fmt::format("{} Expected a positive `alpha`, received {}", where, options.alpha));
  }
  // Keras picks a default size from a square input_shape, but a given input_shape is returned as is, so
  // the default size only matters when input_shape is empty: 224.
  const std::vector<Dim> input_shape = detail::check_application_options(
      detail::shared_options(options), "MobileNetV2", "mobilenet_v2", /*default_size=*/224, /*min_size=*/32);
  const Dim rows = input_shape[0];
  const double alpha = detail::alpha_as_python_float(options.alpha);

  // Keras passes no name, so the input gets the default `input_layer[_N]`.
  const SymbolicTensor img_input = Input(input_shape);

  const int64_t first_block_filters = detail::make_divisible(32 * alpha, 8);
  SymbolicTensor x = L::Conv2D(static_cast<int>(first_block_filters), 3,
                               {.strides = 2, .padding = "same", .use_bias = false, .name = "Conv1"})(img_input);
  x = batch_norm(x, "bn_Conv1");
  x = relu6(x, "Conv1_relu");

  struct Block {
    int filters, stride, expansion;
  };
  static constexpr Block kBlocks[] = {
      {16, 1, 1},                                         // block 0
      {24, 2, 6},  {24, 1, 6},                            // 1-2
      {32, 2, 6},  {32, 1, 6},  {32, 1, 6},               // 3-5
      {64, 2, 6},  {64, 1, 6},  {64, 1, 6},  {64, 1, 6},  // 6-9
      {96, 1, 6},  {96, 1, 6},  {96, 1, 6},               // 10-12
      {160, 2, 6}, {160, 1, 6}, {160, 1, 6},              // 13-15
      {320, 1, 6},                                        // 16
  };
  int block_id = 0;
  for (const Block& b : kBlocks) x = inverted_res_block(x, b.expansion, b.stride, alpha, b.filters, block_id++);

  // The last convolution is widened for alpha above 1 but never narrowed, as in the paper.
  const int64_t last_block_filters = alpha > 1.0 ? detail::make_divisible(1280 * alpha, 8) : 1280;
  x = L::Conv2D(static_cast<int>(last_block_filters), 1, {.use_bias = false, .name = "Conv_1"})(x);
  x = batch_norm(x, "Conv_1_bn");
  x = relu6(x, "out_relu");

  // Keras names neither pooling layer, so they get default names (`global_average_pooling2d[_N]`).
  x = options.include_top ? detail::classification_top(x, detail::shared_options(options), "")
                          : detail::feature_pooling(x, options.pooling, "", "");

  // Keras formats `rows` with Python's str(), so an unknown height reads "None".
  const std::string default_name =
      fmt::format("mobilenetv2_{:.2f}_{}", alpha, rows ? std::to_string(*rows) : std::string("None"));
  return detail::finish_application(img_input, x, detail::shared_options(options), default_name);
}

}  // namespace strata::applications
