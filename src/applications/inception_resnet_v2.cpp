// keras.applications.InceptionResNetV2 (keras/src/applications/inception_resnet_v2.py: InceptionResNetV2,
// conv2d_bn, inception_resnet_block), layer for layer. Keras names the concatenations, the blocks'
// projections and activations and conv_7b; every other layer takes its default name in the order Keras
// creates it, so this file creates them in the same order.
#include "strata/applications/inception_resnet_v2.hpp"

#include <string>
#include <vector>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

struct ConvBn {
  int strides = 1;
  std::string padding = "same";
  bool relu = true;
  // Named layers: `name`, `name_bn`, `name_ac`.
  std::string name = "";
};

// Keras's conv2d_bn with use_bias=False: convolution, batch norm without gamma, relu.
SymbolicTensor conv2d_bn(const SymbolicTensor& x, int filters, Size2 kernel, const ConvBn& o = {}) {
  const auto named = [&](const char* suffix) { return o.name.empty() ? std::string() : o.name + suffix; };
  SymbolicTensor y = L::Conv2D(
      filters, kernel, {.strides = o.strides, .padding = o.padding, .use_bias = false, .name = o.name})(x);
  y = L::BatchNormalization({.scale = false, .name = named("_bn")})(y);
  if (o.relu) y = L::Activation("relu", {.name = named("_ac")})(y);
  return y;
}

SymbolicTensor concatenate(const std::vector<SymbolicTensor>& branches, const std::string& name) {
  return L::Concatenate({.axis = -1, .name = name})(branches);
}

enum class Block { k35, k17, k8 };

// x + scale * (a biased 1x1 projection of the concatenated branches), then a relu unless `relu` is false.
SymbolicTensor inception_resnet_block(const SymbolicTensor& x, float scale, Block type, int index,
                                      bool relu = true) {
  std::vector<SymbolicTensor> branches;
  std::string block_name;
  switch (type) {
    case Block::k35: {
      block_name = "block35_" + std::to_string(index);
      const SymbolicTensor branch_0 = conv2d_bn(x, 32, 1);
      SymbolicTensor branch_1 = conv2d_bn(x, 32, 1);
      branch_1 = conv2d_bn(branch_1, 32, 3);
      SymbolicTensor branch_2 = conv2d_bn(x, 32, 1);
      branch_2 = conv2d_bn(branch_2, 48, 3);
      branch_2 = conv2d_bn(branch_2, 64, 3);
      branches = {branch_0, branch_1, branch_2};
      break;
    }
    case Block::k17: {
      block_name = "block17_" + std::to_string(index);
      const SymbolicTensor branch_0 = conv2d_bn(x, 192, 1);
      SymbolicTensor branch_1 = conv2d_bn(x, 128, 1);
      branch_1 = conv2d_bn(branch_1, 160, {1, 7});
      branch_1 = conv2d_bn(branch_1, 192, {7, 1});
      branches = {branch_0, branch_1};
      break;
    }
    case Block::k8: {
      block_name = "block8_" + std::to_string(index);
      const SymbolicTensor branch_0 = conv2d_bn(x, 192, 1);
      SymbolicTensor branch_1 = conv2d_bn(x, 192, 1);
      branch_1 = conv2d_bn(branch_1, 224, {1, 3});
      branch_1 = conv2d_bn(branch_1, 256, {3, 1});
      branches = {branch_0, branch_1};
      break;
    }
  }
  const SymbolicTensor mixed = concatenate(branches, block_name + "_mixed");
  const int channels = static_cast<int>(*x.shape()[-1]);
  const SymbolicTensor up = L::Conv2D(channels, 1, {.padding = "same", .name = block_name + "_conv"})(mixed);
  SymbolicTensor y = L::CustomScaleLayer(scale)({x, up});
  if (relu) y = L::Activation("relu", {.name = block_name + "_ac"})(y);
  return y;
}

}  // namespace

Model InceptionResNetV2(ApplicationOptions options) {
  const std::vector<Dim> input_shape =
      detail::check_application_options(options, "InceptionResNetV2", "inception_resnet_v2",
                                        /*default_size=*/299, /*min_size=*/75);

  const SymbolicTensor img_input = Input(input_shape);
  // Stem: 35x35x192 at the default size.
  SymbolicTensor x = conv2d_bn(img_input, 32, 3, {.strides = 2, .padding = "valid"});
  x = conv2d_bn(x, 32, 3, {.padding = "valid"});
  x = conv2d_bn(x, 64, 3);
  x = L::MaxPooling2D(3, {.strides = 2})(x);
  x = conv2d_bn(x, 80, 1, {.padding = "valid"});
  x = conv2d_bn(x, 192, 3, {.padding = "valid"});
  x = L::MaxPooling2D(3, {.strides = 2})(x);

  {  // mixed_5b, Inception-A: 35x35x320.
    const SymbolicTensor branch_0 = conv2d_bn(x, 96, 1);
    SymbolicTensor branch_1 = conv2d_bn(x, 48, 1);
    branch_1 = conv2d_bn(branch_1, 64, 5);
    SymbolicTensor branch_2 = conv2d_bn(x, 64, 1);
    branch_2 = conv2d_bn(branch_2, 96, 3);
    branch_2 = conv2d_bn(branch_2, 96, 3);
    SymbolicTensor branch_pool = L::AveragePooling2D(3, {.strides = 1, .padding = "same"})(x);
    branch_pool = conv2d_bn(branch_pool, 64, 1);
    x = concatenate({branch_0, branch_1, branch_2, branch_pool}, "mixed_5b");
  }
  for (int i = 1; i <= 10; ++i) x = inception_resnet_block(x, 0.17f, Block::k35, i);

  {  // mixed_6a, Reduction-A: 17x17x1088.
    const SymbolicTensor branch_0 = conv2d_bn(x, 384, 3, {.strides = 2, .padding = "valid"});
    SymbolicTensor branch_1 = conv2d_bn(x, 256, 1);
    branch_1 = conv2d_bn(branch_1, 256, 3);
    branch_1 = conv2d_bn(branch_1, 384, 3, {.strides = 2, .padding = "valid"});
    const SymbolicTensor branch_pool = L::MaxPooling2D(3, {.strides = 2, .padding = "valid"})(x);
    x = concatenate({branch_0, branch_1, branch_pool}, "mixed_6a");
  }
  for (int i = 1; i <= 20; ++i) x = inception_resnet_block(x, 0.1f, Block::k17, i);

  {  // mixed_7a, Reduction-B: 8x8x2080.
    SymbolicTensor branch_0 = conv2d_bn(x, 256, 1);
    branch_0 = conv2d_bn(branch_0, 384, 3, {.strides = 2, .padding = "valid"});
    SymbolicTensor branch_1 = conv2d_bn(x, 256, 1);
    branch_1 = conv2d_bn(branch_1, 288, 3, {.strides = 2, .padding = "valid"});
    SymbolicTensor branch_2 = conv2d_bn(x, 256, 1);
    branch_2 = conv2d_bn(branch_2, 288, 3);
    branch_2 = conv2d_bn(branch_2, 320, 3, {.strides = 2, .padding = "valid"});
    const SymbolicTensor branch_pool = L::MaxPooling2D(3, {.strides = 2, .padding = "valid"})(x);
    x = concatenate({branch_0, branch_1, branch_2, branch_pool}, "mixed_7a");
  }
  for (int i = 1; i <= 9; ++i) x = inception_resnet_block(x, 0.2f, Block::k8, i);
  x = inception_resnet_block(x, 1.0f, Block::k8, 10, /*relu=*/false);

  x = conv2d_bn(x, 1536, 1, {.name = "conv_7b"});

  // Without the top the pooling is unnamed, unlike the top's `avg_pool`.
  x = options.include_top ? detail::classification_top(x, options, "avg_pool")
                          : detail::feature_pooling(x, options.pooling, "", "");
  return detail::finish_application(img_input, x, options, "inception_resnet_v2");
}

}  // namespace strata::applications
