#pragma once
/// @file efficientnet_v2.hpp
/// Keras's EfficientNetV2s (keras.applications.efficientnet_v2): EfficientNetV2B0 to B3, S, M and L, with
/// Keras's layer names and order.

#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"
#include "strata/shape.hpp"

namespace strata::applications {

/// Keras `EfficientNetV2B0` .. `EfficientNetV2L` arguments, in Keras's order (`input_tensor` aside).
struct EfficientNetV2Options {
  /// Whether to add the top: global average pooling `avg_pool`, dropout `top_dropout` (0.2) and the
  /// `predictions` Dense layer.
  bool include_top = true;
  /// A Keras weights file to load after building (a Keras 3 `.weights.h5` or a legacy Keras 2 HDF5 file, as
  /// `Model::load_weights` reads them); empty means the seeded initial weights. strata downloads nothing:
  /// "imagenet" is a ValueError, pass the path of a file saved from Keras instead.
  std::string weights = "";
  /// The input shape without the batch; empty means the model's default size with the top and
  /// `(None, None, 3)` without it. Three channels, at least 32x32.
  std::vector<Dim> input_shape = {};
  /// Without the top: "" (4D output), "avg" (`avg_pool`) or "max" (`max_pool`).
  std::string pooling = "";
  /// Number of classes of the top.
  int classes = 1000;
  /// Activation of the top's `predictions` layer; empty means linear.
  std::string classifier_activation = "softmax";
  /// Whether the model scales its pixels itself: the B models as EfficientNet does (`rescaling` by 1/255
  /// and a `normalization` with ImageNet's mean and variance, fixed in its config), S, M and L to [-1, 1]
  /// (`rescaling` by 1/128, offset -1). Without it they take what those layers would give.
  bool include_preprocessing = true;
  /// The model's name; empty means Keras's ("efficientnetv2-b0", ..., "efficientnetv2-l").
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `EfficientNetV2Options{}.set_name(...).set_input_shape(...)`.
  /// Sets `include_top`; returns this struct for chaining.
  EfficientNetV2Options& set_include_top(bool value) {
    include_top = value;
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  EfficientNetV2Options& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `input_shape`; returns this struct for chaining.
  EfficientNetV2Options& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  EfficientNetV2Options& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  EfficientNetV2Options& set_classes(int value) {
    classes = value;
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  EfficientNetV2Options& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `include_preprocessing`; returns this struct for chaining.
  EfficientNetV2Options& set_include_preprocessing(bool value) {
    include_preprocessing = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  EfficientNetV2Options& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds EfficientNetV2B0 as `keras.applications.EfficientNetV2B0` does: the model's own preprocessing
/// (see `include_preprocessing`), a strided 3x3 stem, fused blocks (`block1a_` .. `block3b_`: a full 3x3
/// convolution, expanding or not, then a 1x1 projection) and mobile inverted bottleneck blocks (`block4a_` ..
/// `block6h_`: 1x1 expansion, depthwise convolution, squeeze-and-excitation, 1x1 projection), swish
/// activations, identity shortcuts (each behind an inference-inactive per-sample dropout, except at rate 0:
/// S's, M's and L's block1a), then
/// `top_conv` and the top; 7,200,312 parameters with the top. Default input 224x224, at least 32x32. It
/// takes pixels in [0, 255] (`efficientnet_v2::preprocess_input` returns them unchanged).
///
/// Throws ValueError for bad options (an input smaller than 32x32, 3 channels required, unknown pooling,
/// `weights` "imagenet"), and `Model::load_weights`'s FileError when `weights` names a file that is missing
/// or does not match the model.
Model EfficientNetV2B0(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2B1`: depths x1.1, default input 240x240 (8,212,124 parameters with
/// the top). Otherwise as EfficientNetV2B0.
Model EfficientNetV2B1(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2B2`: widths x1.1, depths x1.2, default input 260x260 (10,178,374
/// parameters with the top). Otherwise as EfficientNetV2B0.
Model EfficientNetV2B2(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2B3`: widths x1.2, depths x1.4, default input 300x300 (14,467,622
/// parameters with the top). Otherwise as EfficientNetV2B0.
Model EfficientNetV2B3(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2S`: its own stages (24 to 256 channels, 40 blocks), default input
/// 384x384, pixels scaled to [-1, 1] inside (21,612,360 parameters with the top). Otherwise as
/// EfficientNetV2B0.
Model EfficientNetV2S(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2M`: seven stages (24 to 512 channels, 57 blocks), default input
/// 480x480 (54,431,388 parameters with the top). Otherwise as EfficientNetV2S.
Model EfficientNetV2M(EfficientNetV2Options options = {});

/// `keras.applications.EfficientNetV2L`: seven stages (32 to 640 channels, 79 blocks), default input
/// 480x480 (119,027,848 parameters with the top). Otherwise as EfficientNetV2S.
Model EfficientNetV2L(EfficientNetV2Options options = {});

}  // namespace strata::applications
