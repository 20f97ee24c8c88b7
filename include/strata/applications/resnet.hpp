#pragma once
/// @file resnet.hpp
/// Keras's ResNet family (keras.applications.resnet and resnet_v2): ResNet50, ResNet101, ResNet152 and
/// their V2 forms, with Keras's layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// ResNet50's arguments: those every plain application takes (an empty name makes `ResNet50()` name the model
/// "resnet50").
using ResNet50Options = ApplicationOptions;

/// Builds ResNet50 as `keras.applications.ResNet50` does: same layers, names, order and parameter counts
/// (25,636,712 with the top). Throws ValueError for bad options (an input smaller than 32x32, 3 channels
/// required, unknown pooling, `weights` "imagenet"), and `Model::load_weights`'s FileError when `weights`
/// names a file that is missing or does not match the model.
Model ResNet50(ApplicationOptions options = {});

/// `keras.applications.ResNet101`: ResNet50's blocks with 23 in the fourth stack (44,707,176 parameters
/// with the top). Errors as ResNet50's.
Model ResNet101(ApplicationOptions options = {});

/// `keras.applications.ResNet152`: 8 blocks in the second stack, 36 in the third (60,419,944 parameters
/// with the top). Errors as ResNet50's.
Model ResNet152(ApplicationOptions options = {});

/// `keras.applications.ResNet50V2`: pre-activation blocks (batch norm and relu before each convolution, a
/// final `post_bn` and `post_relu`), the stride on the last block of each of the first three stacks
/// (25,613,800 parameters with the top). Its inputs are scaled to [-1, 1] (`resnet_v2::preprocess_input`).
/// Errors as ResNet50's.
Model ResNet50V2(ApplicationOptions options = {});

/// `keras.applications.ResNet101V2` (44,675,560 parameters with the top). Errors as ResNet50's.
Model ResNet101V2(ApplicationOptions options = {});

/// `keras.applications.ResNet152V2` (60,380,648 parameters with the top). Errors as ResNet50's.
Model ResNet152V2(ApplicationOptions options = {});

}  // namespace strata::applications
