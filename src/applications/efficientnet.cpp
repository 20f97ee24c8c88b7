// keras.applications' EfficientNets B0-B7 (keras/src/applications/efficientnet.py: EfficientNet, block,
// DEFAULT_BLOCKS_ARGS), layer for layer and name for name.
#include "strata/applications/efficientnet.hpp"

#include <cmath>
#include <string>

#include "applications/efficientnet_common.hpp"
#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// The family's width and depth scaling, default size and top dropout (Keras's EfficientNetB0..B7).
struct Scaling {
  double width, depth;
  int default_size;
  float dropout;
};

// Keras's DEFAULT_BLOCKS_ARGS; every block squeezes and excites at 0.25 and keeps its identity shortcut.
struct BlockArgs {
  int kernel_size, repeats, filters_in, filters_out, expand_ratio, strides;
};
constexpr BlockArgs kBlocks[] = {
    {3, 1, 32, 16, 1, 1},  {3, 2, 16, 24, 6, 2},   {5, 2, 24, 40, 6, 2},   {3, 3, 40, 80, 6, 2},
    {5, 3, 80, 112, 6, 1}, {5, 4, 112, 192, 6, 2}, {3, 1, 192, 320, 6, 1},
};
constexpr double kSeRatio = 0.25;
constexpr double kDropConnectRate = 0.2;

using detail::efficientnet_conv_initializer;

SymbolicTensor bn_act(const SymbolicTensor& x, const std::string& bn_name, const std::string& act_name) {
  const SymbolicTensor y = L::BatchNormalization({.name = bn_name})(x);
  return L::Activation("swish", {.name = act_name})(y);
}

// The mobile inverted bottleneck: 1x1 expansion, depthwise convolution, squeeze-and-excitation, 1x1
// projection, and the shortcut (behind an inference-inactive per-sample dropout) when shapes allow.
SymbolicTensor block(const SymbolicTensor& inputs, double drop_rate, const std::string& name,
                     const BlockArgs& args) {
  const int filters = args.filters_in * args.expand_ratio;
  SymbolicTensor x = inputs;
  if (args.expand_ratio != 1) {
    x = L::Conv2D(filters, 1,
                  {.padding = "same",
                   .use_bias = false,
                   .kernel_initializer = efficientnet_conv_initializer(),
                   .name = name + "expand_conv"})(x);
    x = bn_act(x, name + "expand_bn", name + "expand_activation");
  }
  std::string conv_pad = "same";
  if (args.strides == 2) {
    x = L::ZeroPadding2D(detail::correct_pad(x, args.kernel_size), {.name = name + "dwconv_pad"})(x);
    conv_pad = "valid";
  }
  x = L::DepthwiseConv2D(args.kernel_size, {.strides = args.strides,
                                            .padding = conv_pad,
                                            .use_bias = false,
                                            .depthwise_initializer = efficientnet_conv_initializer(),
                                            .name = name + "dwconv"})(x);
  x = bn_act(x, name + "bn", name + "activation");

  x = detail::squeeze_excite(x, filters, std::max(1, static_cast<int>(args.filters_in * kSeRatio)), name);

  x = L::Conv2D(args.filters_out, 1,
                {.padding = "same",
                 .use_bias = false,
                 .kernel_initializer = efficientnet_conv_initializer(),
                 .name = name + "project_conv"})(x);
  x = L::BatchNormalization({.name = name + "project_bn"})(x);
  if (args.strides == 1 && args.filters_in == args.filters_out)
    x = detail::shortcut(x, inputs, drop_rate, name);
  return x;
}

Model efficientnet(const ApplicationOptions& options, const char* keras_class, const char* default_name,
                   const Scaling& scaling) {
  const std::vector<Dim> input_shape = detail::check_application_options(
      options, keras_class, default_name, scaling.default_size, /*min_size=*/32);
  const auto round_filters = [&](int filters) {
    return static_cast<int>(detail::make_divisible(filters * scaling.width, 8));
  };
  const auto round_repeats = [&](int repeats) {
    return static_cast<int>(std::ceil(scaling.depth * repeats));
  };

  // Unnamed in Keras: `input_layer`, `rescaling`, `normalization`. Keras's weights="imagenet" adds a
  // second Rescaling here; strata builds what Keras builds for a weights file (see the header).
  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = L::Rescaling(1.0 / 255.0)(img_input);
  x = L::Normalization({.axis = 3})(x);
  x = L::ZeroPadding2D(detail::correct_pad(x, 3), {.name = "stem_conv_pad"})(x);
  x = L::Conv2D(round_filters(32), 3,
                {.strides = 2,
                 .padding = "valid",
                 .use_bias = false,
                 .kernel_initializer = efficientnet_conv_initializer(),
                 .name = "stem_conv"})(x);
  x = bn_act(x, "stem_bn", "stem_activation");

  // The shortcut dropout's rate grows linearly with the block's index over all blocks.
  double total_blocks = 0;
  for (const BlockArgs& args : kBlocks) total_blocks += round_repeats(args.repeats);
  int b = 0;
  for (size_t i = 0; i < std::size(kBlocks); ++i) {
    BlockArgs args = kBlocks[i];
    args.filters_in = round_filters(args.filters_in);
    args.filters_out = round_filters(args.filters_out);
    const int repeats = round_repeats(args.repeats);
    for (int j = 0; j < repeats; ++j) {
      if (j > 0) {
        args.strides = 1;
        args.filters_in = args.filters_out;
      }
      const std::string name = "block" + std::to_string(i + 1) + static_cast<char>('a' + j) + "_";
      x = block(x, kDropConnectRate * b / total_blocks, name, args);
      ++b;
    }
  }

  // Keras's BatchNormalization default momentum, 0.99.
  x = detail::efficientnet_top(x, round_filters(1280), scaling.dropout, 0.99f, "zeros", options);
  return detail::finish_application(img_input, x, options, default_name);
}

}  // namespace

Model EfficientNetB0(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB0", "efficientnetb0", {1.0, 1.0, 224, 0.2f});
}
Model EfficientNetB1(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB1", "efficientnetb1", {1.0, 1.1, 240, 0.2f});
}
Model EfficientNetB2(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB2", "efficientnetb2", {1.1, 1.2, 260, 0.3f});
}
Model EfficientNetB3(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB3", "efficientnetb3", {1.2, 1.4, 300, 0.3f});
}
Model EfficientNetB4(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB4", "efficientnetb4", {1.4, 1.8, 380, 0.4f});
}
Model EfficientNetB5(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB5", "efficientnetb5", {1.6, 2.2, 456, 0.4f});
}
Model EfficientNetB6(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB6", "efficientnetb6", {1.8, 2.6, 528, 0.5f});
}
Model EfficientNetB7(ApplicationOptions options) {
  return efficientnet(options, "EfficientNetB7", "efficientnetb7", {2.0, 3.1, 600, 0.5f});
}

}  // namespace strata::applications
