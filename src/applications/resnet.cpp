// keras.applications' ResNet family (keras/src/applications/resnet.py: ResNet, stack_residual_blocks_v1,
// residual_block_v1, stack_residual_blocks_v2, residual_block_v2; resnet_v2.py), layer for layer and name
// for name.
#include "strata/applications/resnet.hpp"

#include <array>
#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// Keras's ResNets use this epsilon (from the original Caffe models) instead of BatchNormalization's 1e-3.
constexpr float kBnEpsilon = 1.001e-5f;

SymbolicTensor batch_norm(const SymbolicTensor& x, const std::string& name) {
  return L::BatchNormalization({.epsilon = kBnEpsilon, .name = name})(x);
}

SymbolicTensor relu(const SymbolicTensor& x, const std::string& name) {
  return L::Activation("relu", {.name = name})(x);
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
  x = relu(batch_norm(x, name + "_1_bn"), name + "_1_relu");
  x = L::Conv2D(filters, 3, {.padding = "same", .name = name + "_2_conv"})(x);
  x = relu(batch_norm(x, name + "_2_bn"), name + "_2_relu");
  x = L::Conv2D(4 * filters, 1, {.name = name + "_3_conv"})(x);
  x = batch_norm(x, name + "_3_bn");
  // The shortcut comes first, as in Keras: a walk back from the add then meets the projection first, which
  // is what puts `_0_conv` before `_3_conv` (same depth) in Model::layers().
  x = L::Add({.name = name + "_add"})({shortcut, x});
  return relu(x, name + "_out");
}

SymbolicTensor stack_residual_blocks_v1(SymbolicTensor x, int filters, int blocks, int stride1,
                                        const std::string& name) {
  x = residual_block_v1(x, filters, stride1, /*conv_shortcut=*/true, name + "_block1");
  for (int i = 2; i <= blocks; ++i) {
    x = residual_block_v1(x, filters, 1, /*conv_shortcut=*/false, name + "_block" + std::to_string(i));
  }
  return x;
}

// The pre-activation block: batch norm and relu first, shared by the projection shortcut and the first
// convolution; `_1_conv` and `_2_conv` have no bias (a batch norm follows), `_0_conv` and `_3_conv` keep
// theirs.
SymbolicTensor residual_block_v2(const SymbolicTensor& input, int filters, int stride, bool conv_shortcut,
                                 const std::string& name) {
  const SymbolicTensor preact = relu(batch_norm(input, name + "_preact_bn"), name + "_preact_relu");
  SymbolicTensor shortcut = input;
  if (conv_shortcut) {
    shortcut = L::Conv2D(4 * filters, 1, {.strides = stride, .name = name + "_0_conv"})(preact);
  } else if (stride > 1) {
    // Unnamed in Keras: `max_pooling2d`, `max_pooling2d_1`, ... in the order the blocks are built.
    shortcut = L::MaxPooling2D(1, {.strides = stride})(input);
  }
  SymbolicTensor x =
      L::Conv2D(filters, 1, {.strides = 1, .use_bias = false, .name = name + "_1_conv"})(preact);
  x = relu(batch_norm(x, name + "_1_bn"), name + "_1_relu");
  x = L::ZeroPadding2D({{1, 1}, {1, 1}}, {.name = name + "_2_pad"})(x);
  x = L::Conv2D(filters, 3, {.strides = stride, .use_bias = false, .name = name + "_2_conv"})(x);
  x = relu(batch_norm(x, name + "_2_bn"), name + "_2_relu");
  x = L::Conv2D(4 * filters, 1, {.name = name + "_3_conv"})(x);
  return L::Add({.name = name + "_out"})({shortcut, x});
}

// V2 strides the last block of a stack, not the first.
SymbolicTensor stack_residual_blocks_v2(SymbolicTensor x, int filters, int blocks, int stride1,
                                        const std::string& name) {
  x = residual_block_v2(x, filters, 1, /*conv_shortcut=*/true, name + "_block1");
  for (int i = 2; i < blocks; ++i) {
    x = residual_block_v2(x, filters, 1, /*conv_shortcut=*/false, name + "_block" + std::to_string(i));
  }
  return residual_block_v2(x, filters, stride1, /*conv_shortcut=*/false,
                           name + "_block" + std::to_string(blocks));
}

// One member of the family: Keras's function name, its default model name, the blocks of each stack, and
// whether it is V2 (pre-activation).
struct Variant {
  const char* keras_class;
  const char* name;
  std::array<int, 4> blocks;
  bool preact;
};

// keras.applications.resnet.ResNet.
Model resnet(const ApplicationOptions& options, const Variant& variant) {
  const std::vector<Dim> input_shape = detail::check_application_options(
      options, variant.keras_class, variant.name, /*default_size=*/224, /*min_size=*/32);

  // Keras passes no name, so the input gets the default `input_layer[_N]`.
  const SymbolicTensor img_input = Input(input_shape);

  SymbolicTensor x = L::ZeroPadding2D({{3, 3}, {3, 3}}, {.name = "conv1_pad"})(img_input);
  x = L::Conv2D(64, 7, {.strides = 2, .use_bias = true, .name = "conv1_conv"})(x);
  if (!variant.preact) x = relu(batch_norm(x, "conv1_bn"), "conv1_relu");

  x = L::ZeroPadding2D({{1, 1}, {1, 1}}, {.name = "pool1_pad"})(x);
  x = L::MaxPooling2D(3, {.strides = 2, .name = "pool1_pool"})(x);

  const std::array<int, 4> filters = {64, 128, 256, 512};
  for (size_t stack = 0; stack < 4; ++stack) {
    const std::string name = "conv" + std::to_string(stack + 2);
    if (variant.preact) {
      // Every stack but the last halves the size at its end.
      x = stack_residual_blocks_v2(x, filters[stack], variant.blocks[stack], stack < 3 ? 2 : 1, name);
    } else {
      // Every stack but the first halves the size at its start.
      x = stack_residual_blocks_v1(x, filters[stack], variant.blocks[stack], stack == 0 ? 1 : 2, name);
    }
  }
  if (variant.preact) x = relu(batch_norm(x, "post_bn"), "post_relu");

  x = options.include_top ? detail::classification_top(x, options, "avg_pool")
                          : detail::feature_pooling(x, options.pooling, "avg_pool", "max_pool");
  return detail::finish_application(img_input, x, options, variant.name);
}

}  // namespace

Model ResNet50(ApplicationOptions options) {
  return resnet(options, {"ResNet50", "resnet50", {3, 4, 6, 3}, false});
}
Model ResNet101(ApplicationOptions options) {
  return resnet(options, {"ResNet101", "resnet101", {3, 4, 23, 3}, false});
}
Model ResNet152(ApplicationOptions options) {
  return resnet(options, {"ResNet152", "resnet152", {3, 8, 36, 3}, false});
}
Model ResNet50V2(ApplicationOptions options) {
  return resnet(options, {"ResNet50V2", "resnet50v2", {3, 4, 6, 3}, true});
}
Model ResNet101V2(ApplicationOptions options) {
  return resnet(options, {"ResNet101V2", "resnet101v2", {3, 4, 23, 3}, true});
}
Model ResNet152V2(ApplicationOptions options) {
  return resnet(options, {"ResNet152V2", "resnet152v2", {3, 8, 36, 3}, true});
}

}  // namespace strata::applications
