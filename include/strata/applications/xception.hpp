#pragma once
/// @file xception.hpp
/// `strata::applications::Xception`, Keras's Xception (keras.applications.xception) with Keras's layer names.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds Xception as `keras.applications.Xception` does: two strided stem convolutions, three entry
/// blocks of separable convolutions with strided 1x1 shortcuts, eight middle blocks of three separable
/// convolutions with identity shortcuts, an exit block and two wide separable convolutions; Keras's names
/// (`block1_conv1` .. `block14_sepconv2_act`; the shortcuts' convolutions, batch norms and sums unnamed,
/// so `conv2d`, `batch_normalization`, `add` and their `_N`), 22,910,480 parameters with the top. Default
/// input 299x299, at least 71x71. Its inputs are scaled to [-1, 1] (`xception::preprocess_input`). Throws
/// ValueError for bad options (an input smaller than 71x71, 3 channels required, unknown pooling, `weights`
/// "imagenet"), and `Model::load_weights`'s FileError when `weights` names a file that is missing or does not
/// match the model.
Model Xception(ApplicationOptions options = {});

}  // namespace strata::applications
