// keras.applications' EfficientNetV2s (keras/src/applications/efficientnet_v2.py: EfficientNetV2,
// MBConvBlock, FusedMBConvBlock, DEFAULT_BLOCKS_ARGS), layer for layer and name for name.
#include "strata/applications/efficientnet_v2.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "applications/efficientnet_common.hpp"
#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// One row of Keras's DEFAULT_BLOCKS_ARGS (every kernel is 3x3): a stage of `repeats` blocks, fused
// (a full convolution in place of expansion and depthwise) or not, squeezing and exciting at `se_ratio`.
struct BlockArgs {
  int repeats, filters_in, filters_out, expand_ratio;
  double se_ratio;
  int strides;
  bool fused;
};

constexpr int kKernel = 3;
// The B models share their stages and scale them.
constexpr BlockArgs kBlocksB[] = {
    {1, 32, 16, 1, 0, 1, true},     {2, 16, 32, 4, 0, 2, true},      {2, 32, 48, 4, 0, 2, true},
    {3, 48, 96, 4, 0.25, 2, false}, {5, 96, 112, 6, 0.25, 1, false}, {8, 112, 192, 6, 0.25, 2, false},
};
constexpr BlockArgs kBlocksS[] = {
    {2, 24, 24, 1, 0, 1, true},      {4, 24, 48, 4, 0, 2, true},       {4, 48, 64, 4, 0, 2, true},
    {6, 64, 128, 4, 0.25, 2, false}, {9, 128, 160, 6, 0.25, 1, false}, {15, 160, 256, 6, 0.25, 2, false},
};
constexpr BlockArgs kBlocksM[] = {
    {3, 24, 24, 1, 0, 1, true},       {5, 24, 48, 4, 0, 2, true},        {5, 48, 80, 4, 0, 2, true},
    {7, 80, 160, 4, 0.25, 2, false},  {14, 160, 176, 6, 0.25, 1, false}, {18, 176, 304, 6, 0.25, 2, false},
    {5, 304, 512, 6, 0.25, 1, false},
};
constexpr BlockArgs kBlocksL[] = {
    {4, 32, 32, 1, 0, 1, true},       {7, 32, 64, 4, 0, 2, true},        {7, 64, 96, 4, 0, 2, true},
    {10, 96, 192, 4, 0.25, 2, false}, {19, 192, 224, 6, 0.25, 1, false}, {25, 224, 384, 6, 0.25, 2, false},
    {7, 384, 640, 6, 0.25, 1, false},
};
constexpr double kDropConnectRate = 0.2;

// A member of the family: Keras's class and model name, scaling, default size, stages, and whether it
// preprocesses as EfficientNet V1 (the B models) or to [-1, 1].
struct Variant {
  const char* keras_class;
  const char* default_name;
  double width, depth;
  int default_size;
  std::span<const BlockArgs> blocks;
  bool v1_preprocessing;
};

using detail::efficientnet_conv_initializer;
constexpr float kBnMomentum = 0.9f;

SymbolicTensor conv(const SymbolicTensor& x, int filters, int kernel, int strides, const std::string& name) {
  return L::Conv2D(filters, kernel,
                   {.strides = strides,
                    .padding = "same",
                    .use_bias = false,
                    .kernel_initializer = efficientnet_conv_initializer(),
                    .name = name})(x);
}

SymbolicTensor bn(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.momentum = kBnMomentum, .name = name})(x);
}

SymbolicTensor swish(const SymbolicTensor& x, const std::string& name) {
  return L::Activation("swish", {.name = name})(x);
}

// Keras's filters_se: the block's input width times se_ratio, at least 1.
SymbolicTensor squeeze_excite(const SymbolicTensor& x, int filters, const BlockArgs& args,
                              const std::string& name) {
  return detail::squeeze_excite(x, filters, std::max(1, static_cast<int>(args.filters_in * args.se_ratio)),
                                name);
}

// Both block kinds: the body, then the identity shortcut when shapes allow (its dropout's rate is Keras's
// survival_probability).
SymbolicTensor block(const SymbolicTensor& inputs, const BlockArgs& args, double drop_rate,
                     const std::string& name) {
  const int filters = args.filters_in * args.expand_ratio;
  SymbolicTensor x = inputs;
  if (args.fused) {
    if (args.expand_ratio != 1) {
      x = conv(x, filters, kKernel, args.strides, name + "expand_conv");
      x = swish(bn(x, name + "expand_bn"), name + "expand_activation");
    }
    if (0 < args.se_ratio && args.se_ratio <= 1) x = squeeze_excite(x, filters, args, name);
    // Without an expansion the projection is the block's one full convolution.
    const bool expanded = args.expand_ratio != 1;
    x = conv(x, args.filters_out, expanded ? 1 : kKernel, expanded ? 1 : args.strides, name + "project_conv");
    x = bn(x, name + "project_bn");
    if (!expanded) x = swish(x, name + "project_activation");
  } else {
    if (args.expand_ratio != 1) {
      x = conv(x, filters, 1, 1, name + "expand_conv");
      x = swish(bn(x, name + "expand_bn"), name + "expand_activation");
    }
    x = L::DepthwiseConv2D(kKernel, {.strides = args.strides,
                                     .padding = "same",
                                     .use_bias = false,
                                     .depthwise_initializer = efficientnet_conv_initializer(),
                                     .name = name + "dwconv2"})(x);
    x = swish(bn(x, name + "bn"), name + "activation");
    if (0 < args.se_ratio && args.se_ratio <= 1) x = squeeze_excite(x, filters, args, name);
    x = conv(x, args.filters_out, 1, 1, name + "project_conv");
    x = bn(x, name + "project_bn");
  }
  if (args.strides == 1 && args.filters_in == args.filters_out)
    x = detail::shortcut(x, inputs, drop_rate, name);
  return x;
}

Model efficientnet_v2(const EfficientNetV2Options& options, const Variant& variant) {
  const ApplicationOptions shared = detail::shared_options(options);
  const std::vector<Dim> input_shape = detail::check_application_options(
      shared, variant.keras_class, variant.default_name, variant.default_size, /*min_size=*/32);
  // Keras's round_filters: `filters * width` to the nearest multiple of 8 (at least 8), halves rounding up.
  const auto round_filters = [&](int filters) {
    const double scaled = filters * variant.width;
    return std::max(8, static_cast<int>(scaled + 4) / 8 * 8);
  };
  const auto round_repeats = [&](int repeats) {
    return static_cast<int>(std::ceil(variant.depth * repeats));
  };

  // Unnamed in Keras: `input_layer`, `rescaling`, `normalization` (its mean and variance in its config, so
  // no weights).
  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = img_input;
  if (options.include_preprocessing) {
    if (variant.v1_preprocessing) {
      x = L::Rescaling(1.0 / 255.0)(x);
      x = L::Normalization({.axis = 3,
                            .mean = std::vector<float>{0.485f, 0.456f, 0.406f},
                            .variance = std::vector<float>{static_cast<float>(0.229 * 0.229),
                                                           static_cast<float>(0.224 * 0.224),
                                                           static_cast<float>(0.225 * 0.225)}})(x);
    } else {
      x = L::Rescaling(1.0 / 128.0, {.offset = {-1.0f}})(x);
    }
  }
  x = conv(x, round_filters(variant.blocks.front().filters_in), 3, 2, "stem_conv");
  x = swish(bn(x, "stem_bn"), "stem_activation");

  // The shortcut dropout's rate grows with the block's index over the stages' unscaled repeats, as Keras
  // counts them (so it passes 0.2 in the deeper B models).
  double total_blocks = 0;
  for (const BlockArgs& args : variant.blocks) total_blocks += args.repeats;
  int b = 0;
  for (size_t i = 0; i < variant.blocks.size(); ++i) {
    BlockArgs args = variant.blocks[i];
    args.filters_in = round_filters(args.filters_in);
    args.filters_out = round_filters(args.filters_out);
    const int repeats = round_repeats(args.repeats);
    for (int j = 0; j < repeats; ++j) {
      if (j > 0) {
        args.strides = 1;
        args.filters_in = args.filters_out;
      }
      const std::string name = "block" + std::to_string(i + 1) + static_cast<char>('a' + j) + "_";
      x = block(x, args, kDropConnectRate * b / total_blocks, name);
      ++b;
    }
  }

  // Keras's V2 writes its predictions' bias initializer as Constant(0.0), V1 leaves Dense's "zeros".
  x = detail::efficientnet_top(x, round_filters(1280), /*dropout=*/0.2f, kBnMomentum,
                               initializers::Constant(0.0), shared);
  return detail::finish_application(img_input, x, shared, variant.default_name);
}

}  // namespace

Model EfficientNetV2B0(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2B0", "efficientnetv2-b0", 1.0, 1.0, 224, kBlocksB, true});
}
Model EfficientNetV2B1(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2B1", "efficientnetv2-b1", 1.0, 1.1, 240, kBlocksB, true});
}
Model EfficientNetV2B2(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2B2", "efficientnetv2-b2", 1.1, 1.2, 260, kBlocksB, true});
}
Model EfficientNetV2B3(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2B3", "efficientnetv2-b3", 1.2, 1.4, 300, kBlocksB, true});
}
Model EfficientNetV2S(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2S", "efficientnetv2-s", 1.0, 1.0, 384, kBlocksS, false});
}
Model EfficientNetV2M(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2M", "efficientnetv2-m", 1.0, 1.0, 480, kBlocksM, false});
}
Model EfficientNetV2L(EfficientNetV2Options options) {
  return efficientnet_v2(options, {"EfficientNetV2L", "efficientnetv2-l", 1.0, 1.0, 480, kBlocksL, false});
}

}  // namespace strata::applications
