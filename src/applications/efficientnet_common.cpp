#include "applications/efficientnet_common.hpp"

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications::detail {

namespace L = strata::layers;

Initializer efficientnet_conv_initializer() {
  return initializers::VarianceScaling(2.0, "fan_out", "truncated_normal");
}

Initializer efficientnet_dense_initializer() {
  return initializers::VarianceScaling(1.0 / 3.0, "fan_out", "uniform");
}

SymbolicTensor squeeze_excite(const SymbolicTensor& x, int filters, int filters_se,
                              const std::string& prefix) {
  SymbolicTensor se = L::GlobalAveragePooling2D({.name = prefix + "se_squeeze"})(x);
  se = L::Reshape({1, 1, filters}, {.name = prefix + "se_reshape"})(se);
  se = L::Conv2D(filters_se, 1,
                 {.padding = "same",
                  .activation = "swish",
                  .kernel_initializer = efficientnet_conv_initializer(),
                  .name = prefix + "se_reduce"})(se);
  se = L::Conv2D(filters, 1,
                 {.padding = "same",
                  .activation = "sigmoid",
                  .kernel_initializer = efficientnet_conv_initializer(),
                  .name = prefix + "se_expand"})(se);
  return L::multiply({x, se}, {.name = prefix + "se_excite"});
}

SymbolicTensor shortcut(const SymbolicTensor& x, const SymbolicTensor& inputs, double drop_rate,
                        const std::string& prefix) {
  SymbolicTensor y = x;
  if (drop_rate > 0) {
    y = L::Dropout(static_cast<float>(drop_rate),
                   {.noise_shape = {None, 1, 1, 1}, .name = prefix + "drop"})(y);
  }
  return L::add({y, inputs}, {.name = prefix + "add"});
}

SymbolicTensor efficientnet_top(const SymbolicTensor& x, int filters, float dropout, float bn_momentum,
                                const Initializer& bias_initializer, const ApplicationOptions& options) {
  SymbolicTensor y = L::Conv2D(filters, 1,
                               {.padding = "same",
                                .use_bias = false,
                                .kernel_initializer = efficientnet_conv_initializer(),
                                .name = "top_conv"})(x);
  y = L::BatchNormalization({.momentum = bn_momentum, .name = "top_bn"})(y);
  y = L::Activation("swish", {.name = "top_activation"})(y);
  if (!options.include_top) return feature_pooling(y, options.pooling, "avg_pool", "max_pool");
  y = L::GlobalAveragePooling2D({.name = "avg_pool"})(y);
  if (dropout > 0) y = L::Dropout(dropout, {.name = "top_dropout"})(y);
  return L::Dense(options.classes, {.activation = classifier_activation_name(options.classifier_activation),
                                    .kernel_initializer = efficientnet_dense_initializer(),
                                    .bias_initializer = bias_initializer,
                                    .name = "predictions"})(y);
}

}  // namespace strata::applications::detail
