#pragma once
/// @file inception_v3.hpp
/// Keras's InceptionV3 (keras.applications.inception_v3), with Keras's layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds InceptionV3 as `keras.applications.InceptionV3` does: a stem of five convolutions and two
/// poolings, then the mixed blocks `mixed0` to `mixed10` (1x1, factorized 5x5, 7x7 and 3x3 branches with an
/// average-pooled branch, concatenated); every convolution is unnamed and followed by a batch norm without a
/// scale and a relu, as in Keras (so the names are `conv2d`, `conv2d_1`, ...). 23,851,784 parameters with
/// the top; default input 299x299, at least 75x75. Its inputs are scaled to [-1, 1]
/// (`inception_v3::preprocess_input`). Throws ValueError for bad options (an input smaller than 75x75, 3
/// channels required, unknown pooling, `weights` "imagenet"), and `Model::load_weights`'s FileError when
/// `weights` names a file that is missing or does not match the model.
Model InceptionV3(ApplicationOptions options = {});

}  // namespace strata::applications
