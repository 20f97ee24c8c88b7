// keras.applications.InceptionV3 (keras/src/applications/inception_v3.py: InceptionV3, conv2d_bn), layer
// for layer. Keras names only the concatenations, so every other layer takes its default name in the
// order Keras creates it; this file creates them in the same order.
#include "strata/applications/inception_v3.hpp"

#include <string>

#include "applications/imagenet_utils.hpp"
#include "strata/layers.hpp"

namespace strata::applications {
namespace {

namespace L = strata::layers;

// Keras's conv2d_bn: convolution without bias, batch norm without gamma (the relu after it makes a scale
// redundant), relu.
SymbolicTensor conv2d_bn(const SymbolicTensor& x, int filters, int rows, int cols,
                         const std::string& padding = "same", int strides = 1) {
  SymbolicTensor y =
      L::Conv2D(filters, Size2{rows, cols}, {.strides = strides, .padding = padding, .use_bias = false})(x);
  y = L::BatchNormalization({.scale = false})(y);
  return L::Activation("relu")(y);
}

SymbolicTensor average_pool_3x3(const SymbolicTensor& x) {
  return L::AveragePooling2D(3, {.strides = 1, .padding = "same"})(x);
}

SymbolicTensor concatenate(const std::vector<SymbolicTensor>& branches, const std::string& name = "") {
  return L::Concatenate({.axis = -1, .name = name})(branches);
}

// mixed0-2 (35x35): 1x1, 5x5, double 3x3 and pooled branches.
SymbolicTensor block_35(const SymbolicTensor& x, int pool_filters, const std::string& name) {
  const SymbolicTensor branch1x1 = conv2d_bn(x, 64, 1, 1);
  SymbolicTensor branch5x5 = conv2d_bn(x, 48, 1, 1);
  branch5x5 = conv2d_bn(branch5x5, 64, 5, 5);
  SymbolicTensor branch3x3dbl = conv2d_bn(x, 64, 1, 1);
  branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3);
  branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3);
  const SymbolicTensor branch_pool = conv2d_bn(average_pool_3x3(x), pool_filters, 1, 1);
  return concatenate({branch1x1, branch5x5, branch3x3dbl, branch_pool}, name);
}

// mixed4-7 (17x17): 7x7 convolutions factorized into 1x7 and 7x1, with `width` channels inside.
SymbolicTensor block_17(const SymbolicTensor& x, int width, const std::string& name) {
  const SymbolicTensor branch1x1 = conv2d_bn(x, 192, 1, 1);
  SymbolicTensor branch7x7 = conv2d_bn(x, width, 1, 1);
  branch7x7 = conv2d_bn(branch7x7, width, 1, 7);
  branch7x7 = conv2d_bn(branch7x7, 192, 7, 1);
  SymbolicTensor branch7x7dbl = conv2d_bn(x, width, 1, 1);
  branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1);
  branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7);
  branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1);
  branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7);
  const SymbolicTensor branch_pool = conv2d_bn(average_pool_3x3(x), 192, 1, 1);
  return concatenate({branch1x1, branch7x7, branch7x7dbl, branch_pool}, name);
}

// mixed9 and mixed10 (8x8): the 3x3 branches split into parallel 1x3 and 3x1 halves.
SymbolicTensor block_8(const SymbolicTensor& x, int index) {
  const SymbolicTensor branch1x1 = conv2d_bn(x, 320, 1, 1);
  SymbolicTensor branch3x3 = conv2d_bn(x, 384, 1, 1);
  const SymbolicTensor branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3);
  const SymbolicTensor branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1);
  branch3x3 = concatenate({branch3x3_1, branch3x3_2}, "mixed9_" + std::to_string(index));
  SymbolicTensor branch3x3dbl = conv2d_bn(x, 448, 1, 1);
  branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3);
  const SymbolicTensor branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3);
  const SymbolicTensor branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1);
  // Unnamed in Keras: `concatenate[_N]`.
  branch3x3dbl = concatenate({branch3x3dbl_1, branch3x3dbl_2});
  const SymbolicTensor branch_pool = conv2d_bn(average_pool_3x3(x), 192, 1, 1);
  return concatenate({branch1x1, branch3x3, branch3x3dbl, branch_pool}, "mixed" + std::to_string(9 + index));
}

}  // namespace

Model InceptionV3(ApplicationOptions options) {
  const std::vector<Dim> input_shape =
      detail::check_application_options(options, "InceptionV3", "inception_v3",
                                        /*default_size=*/299, /*min_size=*/75);

  const SymbolicTensor img_input = Input(input_shape);
  SymbolicTensor x = conv2d_bn(img_input, 32, 3, 3, "valid", 2);
  x = conv2d_bn(x, 32, 3, 3, "valid");
  x = conv2d_bn(x, 64, 3, 3);
  x = L::MaxPooling2D(3, {.strides = 2})(x);
  x = conv2d_bn(x, 80, 1, 1, "valid");
  x = conv2d_bn(x, 192, 3, 3, "valid");
  x = L::MaxPooling2D(3, {.strides = 2})(x);

  x = block_35(x, 32, "mixed0");
  x = block_35(x, 64, "mixed1");
  x = block_35(x, 64, "mixed2");

  {  // mixed3: 35x35 to 17x17.
    const SymbolicTensor branch3x3 = conv2d_bn(x, 384, 3, 3, "valid", 2);
    SymbolicTensor branch3x3dbl = conv2d_bn(x, 64, 1, 1);
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, "valid", 2);
    const SymbolicTensor branch_pool = L::MaxPooling2D(3, {.strides = 2})(x);
    x = concatenate({branch3x3, branch3x3dbl, branch_pool}, "mixed3");
  }

  x = block_17(x, 128, "mixed4");
  x = block_17(x, 160, "mixed5");
  x = block_17(x, 160, "mixed6");
  x = block_17(x, 192, "mixed7");

  {  // mixed8: 17x17 to 8x8.
    SymbolicTensor branch3x3 = conv2d_bn(x, 192, 1, 1);
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, "valid", 2);
    SymbolicTensor branch7x7x3 = conv2d_bn(x, 192, 1, 1);
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7);
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1);
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, "valid", 2);
    const SymbolicTensor branch_pool = L::MaxPooling2D(3, {.strides = 2})(x);
    x = concatenate({branch3x3, branch7x7x3, branch_pool}, "mixed8");
  }

  x = block_8(x, 0);
  x = block_8(x, 1);

  // Without the top the pooling is unnamed, unlike the top's `avg_pool`.
  x = options.include_top ? detail::classification_top(x, options, "avg_pool")
                          : detail::feature_pooling(x, options.pooling, "", "");
  return detail::finish_application(img_input, x, options, "inception_v3");
}

}  // namespace strata::applications
