// keras.applications' VGG16 and VGG19 (keras/src/applications/vgg16.py, vgg19.py), layer for layer and name
// for name.
#include "strata/applications/vgg.hpp"

#include <array>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

Model vgg(const ApplicationOptions& options, const char* keras_class, const char* default_name,
          const std::array<int, 5>& convolutions) {
  const std::vector<Dim> input_shape = detail::check_application_options(
      options, keras_class, default_name, /*default_size=*/224, /*min_size=*/32);

  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = img_input;
  const std::array<int, 5> filters = {64, 128, 256, 512, 512};
  for (size_t block = 0; block < 5; ++block) {
    const std::string name = "block" + std::to_string(block + 1);
    for (int i = 1; i <= convolutions[block]; ++i) {
      x = L::Conv2D(filters[block], 3,
                    {.padding = "same", .activation = "relu", .name = name + "_conv" + std::to_string(i)})(x);
    }
    x = L::MaxPooling2D(2, {.strides = 2, .name = name + "_pool"})(x);
  }

  if (options.include_top) {
    x = L::Flatten({.name = "flatten"})(x);
    x = L::Dense(4096, {.activation = "relu", .name = "fc1"})(x);
    x = L::Dense(4096, {.activation = "relu", .name = "fc2"})(x);
    x = L::Dense(options.classes,
                 {.activation = detail::classifier_activation_name(options.classifier_activation),
                  .name = "predictions"})(x);
  } else {
    // Unnamed in Keras, unlike the ResNets' `avg_pool`.
    x = detail::feature_pooling(x, options.pooling, "", "");
  }
  return detail::finish_application(img_input, x, options, default_name);
}

}  // namespace

Model VGG16(ApplicationOptions options) {
  return vgg(options, "VGG16", "vgg16", {2, 2, 3, 3, 3});
}

Model VGG19(ApplicationOptions options) {
  return vgg(options, "VGG19", "vgg19", {2, 2, 4, 4, 4});
}

}  // namespace strata::applications
