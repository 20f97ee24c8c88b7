#pragma once
/// @file mobilenet_v3.hpp
/// Keras's MobileNetV3Small and MobileNetV3Large (keras.applications.mobilenet_v3) with Keras's layer names.

#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"

namespace strata::applications {

/// Keras `MobileNetV3Small` and `MobileNetV3Large` arguments, in Keras's order (`input_tensor` aside).
struct MobileNetV3Options {
  /// The input shape without the batch; empty means `(None, None, 3)`, with or without the top (the top
  /// pools to 1x1 before its 1x1 convolutions, so Keras needs no fixed size).
  std::vector<Dim> input_shape = {};
  /// Width multiplier; Keras's published weights exist for 0.75 and 1.0 (1.0 only when minimalistic).
  float alpha = 1.0f;
  /// The minimalistic variant: 3x3 depthwise kernels, relu everywhere, no squeeze-and-excitation.
  bool minimalistic = false;
  /// Whether to add the top: global average pooling (kept 4D), `conv_2`, its activation, dropout, the 1x1
  /// convolution `logits`, a flatten and the `predictions` activation.
  bool include_top = true;
  /// A Keras weights file to load after building (a Keras 3 `.weights.h5` or a legacy Keras 2 HDF5 file, as
  /// `Model::load_weights` reads them); empty means the seeded initial weights. strata downloads nothing:
  /// "imagenet" is a ValueError, pass the path of a file saved from Keras instead.
  std::string weights = "";
  /// Number of classes of the top.
  int classes = 1000;
  /// Without the top: "" (4D output), "avg" or "max".
  std::string pooling = "";
  /// The top's dropout rate, in [0, 1) (0 leaves the layer out, as in Keras); inactive at inference.
  float dropout_rate = 0.2f;
  /// Activation of the top's `predictions` layer.
  std::string classifier_activation = "softmax";
  /// Whether the model scales its input from [0, 255] to [-1, 1] itself (a `rescaling` layer first).
  bool include_preprocessing = true;
  /// The model's name; empty means Keras's "MobileNetV3Small" or "MobileNetV3Large".
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `MobileNetV3Options{}.set_name(...).set_input_shape(...)`.
  /// Sets `input_shape`; returns this struct for chaining.
  MobileNetV3Options& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `alpha`; returns this struct for chaining.
  MobileNetV3Options& set_alpha(float value) {
    alpha = value;
    return *this;
  }
  /// Sets `minimalistic`; returns this struct for chaining.
  MobileNetV3Options& set_minimalistic(bool value) {
    minimalistic = value;
    return *this;
  }
  /// Sets `include_top`; returns this struct for chaining.
  MobileNetV3Options& set_include_top(bool value) {
    include_top = value;
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  MobileNetV3Options& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  MobileNetV3Options& set_classes(int value) {
    classes = value;
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  MobileNetV3Options& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `dropout_rate`; returns this struct for chaining.
  MobileNetV3Options& set_dropout_rate(float value) {
    dropout_rate = value;
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  MobileNetV3Options& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `include_preprocessing`; returns this struct for chaining.
  MobileNetV3Options& set_include_preprocessing(bool value) {
    include_preprocessing = value;
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  MobileNetV3Options& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds MobileNetV3Small as `keras.applications.MobileNetV3Small` does: the optional `rescaling`, a
/// strided 3x3 stem, 11 inverted residual blocks (`expanded_conv_`, `expanded_conv_1_` .. `_10_`; expansion,
/// depthwise convolution, squeeze-and-excitation with a hard sigmoid written as Keras's operations
/// `relu6(x + 3) * (1 / 6)`, projection), hard-swish activations (unnamed `activation_N`, relus `re_lu_N`),
/// `conv_1` and the top; 2,554,968 parameters with the top at alpha 1.0. It takes pixels in [0, 255]
/// (`mobilenet_v3::preprocess_input` returns them unchanged) unless `include_preprocessing` is false.
/// Throws ValueError for bad options (a non-positive `alpha`, `dropout_rate` outside [0, 1) with the top, an
/// input smaller than 32x32, 3 channels required, unknown pooling, `weights` "imagenet"), and
/// `Model::load_weights`'s FileError when `weights` names a file that is missing or does not match the model.
Model MobileNetV3Small(MobileNetV3Options options = {});

/// `keras.applications.MobileNetV3Large`: 15 inverted residual blocks (`expanded_conv_` .. `_14_`), 5,507,432
/// parameters with the top at alpha 1.0. Otherwise as MobileNetV3Small.
Model MobileNetV3Large(MobileNetV3Options options = {});

}  // namespace strata::applications
