// keras.applications' ConvNeXts (keras/src/applications/convnext.py: ConvNeXt, ConvNeXtBlock, PreStem, Head,
// MODEL_CONFIGS), layer for layer and name for name.
#include "strata/applications/convnext.hpp"

#include <array>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"
#include "strata/ops.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// Keras's MODEL_CONFIGS: blocks per stage and channels per stage.
struct Variant {
  const char* keras_class;
  const char* default_name;
  std::array<int, 4> depths;
  std::array<int, 4> projection_dims;
};

constexpr float kLayerNormEpsilon = 1e-6f;
constexpr double kLayerScaleInit = 1e-6;

L::LayerNormalization layer_norm(const std::string& name) {
  return L::LayerNormalization({.epsilon = kLayerNormEpsilon, .name = name});
}

// Keras's ConvNeXtBlock at drop_path_rate 0 (what every variant uses): its stochastic depth is then a
// linear Activation named `_identity`.
SymbolicTensor block(const SymbolicTensor& inputs, int projection_dim, const std::string& name) {
  SymbolicTensor x =
      L::Conv2D(projection_dim, 7,
                {.padding = "same", .groups = projection_dim, .name = name + "_depthwise_conv"})(inputs);
  x = layer_norm(name + "_layernorm")(x);
  x = L::Dense(4 * projection_dim, {.name = name + "_pointwise_conv_1"})(x);
  x = L::Activation("gelu", {.name = name + "_gelu"})(x);
  x = L::Dense(projection_dim, {.name = name + "_pointwise_conv_2"})(x);
  x = L::LayerScale(kLayerScaleInit, projection_dim, {.name = name + "_layer_scale"})(x);
  x = L::Activation("linear", {.name = name + "_identity"})(x);
  return inputs + x;
}

Model convnext(const ConvNeXtOptions& options, const Variant& variant) {
  const ApplicationOptions shared = detail::shared_options(options);
  const std::vector<Dim> input_shape = detail::check_application_options(
      shared, variant.keras_class, variant.default_name, /*default_size=*/224, /*min_size=*/32);
  // Keras prefixes the layers with the model's name, whatever it is.
  const std::string name = options.name.empty() ? variant.default_name : options.name;
  const auto& dims = variant.projection_dims;

  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = img_input;
  if (options.include_preprocessing) {
    // Keras's PreStem: ImageNet's mean and variance on the [0, 255] scale, as Python computes them.
    x = L::Normalization(
        {.mean = std::vector<float>{static_cast<float>(0.485 * 255), static_cast<float>(0.456 * 255),
                                    static_cast<float>(0.406 * 255)},
         .variance = std::vector<float>{static_cast<float>((0.229 * 255) * (0.229 * 255)),
                                        static_cast<float>((0.224 * 255) * (0.224 * 255)),
                                        static_cast<float>((0.225 * 255) * (0.225 * 255))},
         .name = name + "_prestem_normalization"})(x);
  }

  for (int i = 0; i < 4; ++i) {
    // Each stage starts with a nested Sequential: the stem, or a downsampling block.
    const std::string index = std::to_string(i - 1);
    Sequential downsample =
        i == 0 ? Sequential({L::Conv2D(dims[0], 4, {.strides = 4, .name = name + "_stem_conv"}),
                             layer_norm(name + "_stem_layernorm")},
                            name + "_stem")
               : Sequential(
                     {layer_norm(name + "_downsampling_layernorm_" + index),
                      L::Conv2D(dims[i], 2, {.strides = 2, .name = name + "_downsampling_conv_" + index})},
                     name + "_downsampling_block_" + index);
    x = downsample(x);
    for (int j = 0; j < variant.depths[i]; ++j) {
      x = block(x, dims[i], name + "_stage_" + std::to_string(i) + "_block_" + std::to_string(j));
    }
  }

  if (options.include_top) {
    x = L::GlobalAveragePooling2D({.name = name + "_head_gap"})(x);
    x = layer_norm(name + "_head_layernorm")(x);
    x = L::Dense(options.classes,
                 {.activation = detail::classifier_activation_name(options.classifier_activation),
                  .name = name + "_head_dense"})(x);
  } else {
    x = detail::feature_pooling(x, options.pooling, "", "");
    x = layer_norm("")(x);
  }
  return detail::finish_application(img_input, x, shared, variant.default_name);
}

constexpr std::array<int, 4> kDepthsTiny = {3, 3, 9, 3};
constexpr std::array<int, 4> kDepths = {3, 3, 27, 3};

}  // namespace

Model ConvNeXtTiny(ConvNeXtOptions options) {
  return convnext(options, {"ConvNeXtTiny", "convnext_tiny", kDepthsTiny, {96, 192, 384, 768}});
}
Model ConvNeXtSmall(ConvNeXtOptions options) {
  return convnext(options, {"ConvNeXtSmall", "convnext_small", kDepths, {96, 192, 384, 768}});
}
Model ConvNeXtBase(ConvNeXtOptions options) {
  return convnext(options, {"ConvNeXtBase", "convnext_base", kDepths, {128, 256, 512, 1024}});
}
Model ConvNeXtLarge(ConvNeXtOptions options) {
  return convnext(options, {"ConvNeXtLarge", "convnext_large", kDepths, {192, 384, 768, 1536}});
}
Model ConvNeXtXLarge(ConvNeXtOptions options) {
  return convnext(options, {"ConvNeXtXLarge", "convnext_xlarge", kDepths, {256, 512, 1024, 2048}});
}

}  // namespace strata::applications
