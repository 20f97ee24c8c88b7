#pragma once
/// @file efficientnet.hpp
/// Keras's EfficientNets (keras.applications.efficientnet): EfficientNetB0 to EfficientNetB7, with Keras's
/// layer names and order.

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"

namespace strata::applications {

/// Builds EfficientNetB0 as `keras.applications.EfficientNetB0` does: the model's own preprocessing
/// (`rescaling` by 1/255 and a `normalization` whose mean and variance are weights, as Keras's), a strided
/// stem, 16 mobile inverted bottleneck blocks (`block1a_` .. `block7a_`: 1x1 expansion, depthwise
/// convolution, squeeze-and-excitation, 1x1 projection, swish activations, identity shortcuts behind an
/// inference-inactive dropout), `top_conv` and the top with its dropout; 5,330,571 parameters with the top.
/// Default input 224x224, at least 32x32. It takes pixels in [0, 255] (`efficientnet::preprocess_input`
/// returns them unchanged).
///
/// Keras's `weights="imagenet"` inserts a second Rescaling after the normalization; Keras builds the model
/// without it for a weights file, and so does strata. A weights file saved from a model built with
/// `weights="imagenet"` therefore loads here but computes without that layer, as Keras's
/// `EfficientNetB0(weights=path)` does; to run that model itself, save it whole from Keras (`model.save`)
/// and use `strata::load_model`.
///
/// Throws ValueError for bad options (an input smaller than 32x32, 3 channels required, unknown pooling,
/// `weights` "imagenet"), and `Model::load_weights`'s FileError when `weights` names a file that is missing
/// or does not match the model.
Model EfficientNetB0(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB1`: widths x1.0, depths x1.1, default input 240x240 (7,856,239
/// parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB1(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB2`: widths x1.1, depths x1.2, default input 260x260, top dropout 0.3
/// (9,177,569 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB2(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB3`: widths x1.2, depths x1.4, default input 300x300, top dropout 0.3
/// (12,320,535 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB3(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB4`: widths x1.4, depths x1.8, default input 380x380, top dropout 0.4
/// (19,466,823 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB4(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB5`: widths x1.6, depths x2.2, default input 456x456, top dropout 0.4
/// (30,562,527 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB5(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB6`: widths x1.8, depths x2.6, default input 528x528, top dropout 0.5
/// (43,265,143 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB6(ApplicationOptions options = {});

/// `keras.applications.EfficientNetB7`: widths x2.0, depths x3.1, default input 600x600, top dropout 0.5
/// (66,658,687 parameters with the top). Otherwise as EfficientNetB0.
Model EfficientNetB7(ApplicationOptions options = {});

}  // namespace strata::applications
