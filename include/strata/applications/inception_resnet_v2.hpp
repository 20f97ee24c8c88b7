#pragma once
/// @file inception_resnet_v2.hpp
/// Keras's InceptionResNetV2 (keras.applications.inception_resnet_v2), with Keras's layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds InceptionResNetV2 as `keras.applications.InceptionResNetV2` does: InceptionV3's stem, the
/// Inception-A block `mixed_5b`, 10 residual `block35` blocks (scale 0.17), the reduction `mixed_6a`, 20
/// `block17` blocks (0.1), the reduction `mixed_7a`, 10 `block8` blocks (0.2; the last one at 1.0 without its
/// relu) and the 1x1 `conv_7b`. Each residual block concatenates its branches (`block35_1_mixed`), projects
/// them back with a biased 1x1 convolution (`block35_1_conv`) and adds them, scaled, to its input with a
/// `CustomScaleLayer` (unnamed in Keras: `custom_scale_layer`, `custom_scale_layer_1`, ...), then a relu
/// (`block35_1_ac`). The other convolutions are unnamed, each followed by a batch norm without a scale and a
/// relu, as in Keras. 55,873,736 parameters with the top; default input 299x299, at least 75x75. Its inputs
/// are scaled to [-1, 1] (`inception_resnet_v2::preprocess_input`). Throws ValueError for bad options (an
/// input smaller than 75x75, 3 channels required, unknown pooling, `weights` "imagenet"), and
/// `Model::load_weights`'s FileError when `weights` names a file that is missing or does not match the model.
Model InceptionResNetV2(ApplicationOptions options = {});

}  // namespace strata::applications
