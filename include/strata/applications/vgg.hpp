#pragma once
/// @file vgg.hpp
/// Keras's VGG16 and VGG19 (keras.applications.vgg16 and vgg19), with Keras's layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds VGG16 as `keras.applications.VGG16` does: five blocks of 3x3 relu convolutions (2, 2, 3, 3, 3;
/// `block1_conv1` ...) each ending in a 2x2 max pooling (`block1_pool` ...), then `flatten`, the dense
/// `fc1` and `fc2` (4096, relu) and `predictions`: 138,357,544 parameters with the top. Without it,
/// `pooling` adds an unnamed global pooling layer, as Keras does. Its inputs take Keras's "caffe"
/// preprocessing (`vgg16::preprocess_input`). Throws ValueError for bad options (an input smaller than
/// 32x32, 3 channels required, unknown pooling, `weights` "imagenet"), and `Model::load_weights`'s
/// FileError when `weights` names a file that is missing or does not match the model.
Model VGG16(ApplicationOptions options = {});

/// `keras.applications.VGG19`: VGG16 with four convolutions in blocks 3, 4 and 5 (143,667,240 parameters
/// with the top). Errors as VGG16's.
Model VGG19(ApplicationOptions options = {});

}  // namespace strata::applications
