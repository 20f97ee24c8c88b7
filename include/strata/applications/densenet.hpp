#pragma once
/// @file densenet.hpp
/// Keras's DenseNets (keras.applications.densenet): DenseNet121, DenseNet169 and DenseNet201, with Keras's
/// layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds DenseNet121 as `keras.applications.DenseNet121` does: dense blocks of 6, 12, 24 and 16
/// convolution blocks (batch norm, relu, 1x1 convolution, batch norm, relu, 3x3 convolution, concatenated
/// to the block's input), transitions that halve the channels and the size; same layer names, order and
/// parameter counts (8,062,504 with the top). Its inputs are scaled to [0, 1] and normalized per channel
/// (`densenet::preprocess_input`). Throws ValueError for bad options (an input smaller than 32x32, 3
/// channels required, unknown pooling, `weights` "imagenet"), and `Model::load_weights`'s FileError when
/// `weights` names a file that is missing or does not match the model.
Model DenseNet121(ApplicationOptions options = {});

/// `keras.applications.DenseNet169`: blocks of 6, 12, 32 and 32 (14,307,880 parameters with the top).
/// Errors as DenseNet121's.
Model DenseNet169(ApplicationOptions options = {});

/// `keras.applications.DenseNet201`: blocks of 6, 12, 48 and 32 (20,242,984 parameters with the top).
/// Errors as DenseNet121's.
Model DenseNet201(ApplicationOptions options = {});

}  // namespace strata::applications
