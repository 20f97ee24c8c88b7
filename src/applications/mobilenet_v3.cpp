// keras.applications' MobileNetV3Small and MobileNetV3Large (keras/src/applications/mobilenet_v3.py:
// MobileNetV3, the two stack functions, _inverted_res_block, _se_block, hard_sigmoid, hard_swish),
// layer for layer and name for name.
#include "strata/applications/mobilenet_v3.hpp"

#include <fmt/format.h>

#include <functional>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/error.hpp"
#include "strata/layers.hpp"
#include "strata/ops.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

using ActivationFn = SymbolicTensor (*)(const SymbolicTensor&);

// Keras's helpers add unnamed layers, so their names come from the counters: `re_lu_N`, `activation_N`.
SymbolicTensor relu(const SymbolicTensor& x) {
  return L::ReLU()(x);
}
SymbolicTensor hard_swish(const SymbolicTensor& x) {
  return L::Activation("hard_swish")(x);
}
// Keras writes it with operations on the tensor, which its summary and config show as `add` and `multiply`.
SymbolicTensor hard_sigmoid(const SymbolicTensor& x) {
  return L::ReLU({.max_value = 6.0f})(x + 3.0) * (1.0 / 6.0);
}

int64_t depth(double v) {
  return detail::make_divisible(v, 8);
}

SymbolicTensor batch_norm(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.momentum = 0.999f, .epsilon = 1e-3f, .name = name})(x);
}

int64_t channels(const SymbolicTensor& x) {
  return *x.shape()[-1];
}

SymbolicTensor se_block(const SymbolicTensor& inputs, int64_t filters, double se_ratio,
                        const std::string& prefix) {
  SymbolicTensor x =
      L::GlobalAveragePooling2D({.keepdims = true, .name = prefix + "squeeze_excite_avg_pool"})(inputs);
  x = L::Conv2D(static_cast<int>(depth(static_cast<double>(filters) * se_ratio)), 1,
                {.padding = "same", .name = prefix + "squeeze_excite_conv"})(x);
  x = L::ReLU({.name = prefix + "squeeze_excite_relu"})(x);
  x = L::Conv2D(static_cast<int>(filters), 1,
                {.padding = "same", .name = prefix + "squeeze_excite_conv_1"})(x);
  x = hard_sigmoid(x);
  return L::Multiply({.name = prefix + "squeeze_excite_mul"})({inputs, x});
}

// se_ratio 0 means none (Keras's None).
SymbolicTensor inverted_res_block(SymbolicTensor x, double expansion, int64_t filters, int kernel_size,
                                  int stride, double se_ratio, ActivationFn activation, int block_id) {
  const SymbolicTensor shortcut = x;
  const int64_t infilters = channels(x);
  std::string prefix = "expanded_conv_";
  if (block_id != 0) {
    prefix = fmt::format("expanded_conv_{}_", block_id);
    x = L::Conv2D(static_cast<int>(depth(static_cast<double>(infilters) * expansion)), 1,
                  {.padding = "same", .use_bias = false, .name = prefix + "expand"})(x);
    x = activation(batch_norm(x, prefix + "expand_bn"));
  }
  if (stride == 2) {
    x = L::ZeroPadding2D(detail::correct_pad(x, kernel_size), {.name = prefix + "depthwise_pad"})(x);
  }
  x = L::DepthwiseConv2D(kernel_size, {.strides = stride,
                                       .padding = stride == 1 ? "same" : "valid",
                                       .use_bias = false,
                                       .name = prefix + "depthwise"})(x);
  x = activation(batch_norm(x, prefix + "depthwise_bn"));
  if (se_ratio > 0) x = se_block(x, depth(static_cast<double>(infilters) * expansion), se_ratio, prefix);
  x = L::Conv2D(static_cast<int>(filters), 1,
                {.padding = "same", .use_bias = false, .name = prefix + "project"})(x);
  x = batch_norm(x, prefix + "project_bn");
  if (stride == 1 && infilters == filters) x = L::Add({.name = prefix + "add"})({shortcut, x});
  return x;
}

// One block of a stack: Keras's _inverted_res_block arguments with the activation spelled out or taken
// from the variant (`act` true) and SE from the variant (`se` true).
struct Block {
  double expansion;
  int filters;
  int kernel;  // 0: the variant's kernel (5, or 3 when minimalistic)
  int stride;
  bool se;
  bool act;  // the variant's activation (hard swish, or relu when minimalistic) instead of relu
};

constexpr Block kSmall[] = {
    {1, 16, 3, 2, true, false}, {72.0 / 16, 24, 3, 2, false, false}, {88.0 / 24, 24, 3, 1, false, false},
    {4, 40, 0, 2, true, true},  {6, 40, 0, 1, true, true},           {6, 40, 0, 1, true, true},
    {3, 48, 0, 1, true, true},  {3, 48, 0, 1, true, true},           {6, 96, 0, 2, true, true},
    {6, 96, 0, 1, true, true},  {6, 96, 0, 1, true, true},
};
constexpr Block kLarge[] = {
    {1, 16, 3, 1, false, false},  {4, 24, 3, 2, false, false},  {3, 24, 3, 1, false, false},
    {3, 40, 0, 2, true, false},   {3, 40, 0, 1, true, false},   {3, 40, 0, 1, true, false},
    {6, 80, 3, 2, false, true},   {2.5, 80, 3, 1, false, true}, {2.3, 80, 3, 1, false, true},
    {2.3, 80, 3, 1, false, true}, {6, 112, 3, 1, true, true},   {6, 112, 3, 1, true, true},
    {6, 160, 0, 2, true, true},   {6, 160, 0, 1, true, true},   {6, 160, 0, 1, true, true},
};

template <size_t N>
Model mobilenet_v3(const MobileNetV3Options& options, const char* keras_class, const Block (&stack)[N],
                   int last_point_ch) {
  const std::string where = fmt::format("[{}]", keras_class);
  if (!(options.alpha > 0.0f) || options.alpha > 1e6f) {
    throw ValueError(fmt::format("{} Expected `alpha` in (0, 1e6], received {}", where, options.alpha));
  }
  if (options.include_top && !(options.dropout_rate >= 0.0f && options.dropout_rate < 1.0f)) {
    throw ValueError(
        fmt::format("{} Expected `dropout_rate` in [0, 1), received {}", where, options.dropout_rate));
  }
  detail::check_weights(options.weights, keras_class, keras_class, where);
  detail::check_pooling(options.pooling, where);
  if (options.include_top) {
    detail::check_classes(options.classes, where);
    detail::check_classifier_activation(options.weights, options.classifier_activation, where);
  }
  // Keras skips obtain_input_shape here: (None, None, 3) by default even with the top.
  const std::vector<Dim> input_shape =
      detail::obtain_input_shape(options.input_shape, 224, 32, /*require_flatten=*/false, where);
  const double alpha = detail::alpha_as_python_float(options.alpha);

  const int kernel = options.minimalistic ? 3 : 5;
  const ActivationFn activation = options.minimalistic ? relu : hard_swish;
  const double se_ratio = options.minimalistic ? 0.0 : 0.25;

  // Keras passes no name: `input_layer[_N]`, `rescaling[_N]`.
  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = img_input;
  if (options.include_preprocessing) x = L::Rescaling(1.0 / 127.5, {.offset = {-1.0f}})(x);
  x = L::Conv2D(16, 3, {.strides = 2, .padding = "same", .use_bias = false, .name = "conv"})(x);
  x = activation(batch_norm(x, "conv_bn"));

  int block_id = 0;
  for (const Block& b : stack) {
    x = inverted_res_block(x, b.expansion, depth(b.filters * alpha), b.kernel != 0 ? b.kernel : kernel,
                           b.stride, b.se ? se_ratio : 0.0, b.act ? activation : relu, block_id++);
  }

  const int64_t last_conv_ch = depth(static_cast<double>(channels(x) * 6));
  const int64_t last_point = alpha > 1.0 ? depth(last_point_ch * alpha) : last_point_ch;
  x = L::Conv2D(static_cast<int>(last_conv_ch), 1,
                {.padding = "same", .use_bias = false, .name = "conv_1"})(x);
  x = activation(batch_norm(x, "conv_1_bn"));
  if (options.include_top) {
    x = L::GlobalAveragePooling2D({.keepdims = true})(x);
    x = L::Conv2D(static_cast<int>(last_point), 1,
                  {.padding = "same", .use_bias = true, .name = "conv_2"})(x);
    x = activation(x);
    if (options.dropout_rate > 0) x = L::Dropout(options.dropout_rate)(x);
    x = L::Conv2D(options.classes, 1, {.padding = "same", .name = "logits"})(x);
    x = L::Flatten()(x);
    x = L::Activation(detail::classifier_activation_name(options.classifier_activation),
                      {.name = "predictions"})(x);
  } else {
    x = detail::feature_pooling(x, options.pooling, "avg_pool", "max_pool");
  }
  Model model(img_input, x, options.name.empty() ? std::string(keras_class) : options.name);
  detail::load_weights_option(model, options.weights);
  return model;
}

}  // namespace

Model MobileNetV3Small(MobileNetV3Options options) {
  return mobilenet_v3(options, "MobileNetV3Small", kSmall, 1024);
}

Model MobileNetV3Large(MobileNetV3Options options) {
  return mobilenet_v3(options, "MobileNetV3Large", kLarge, 1280);
}

}  // namespace strata::applications
