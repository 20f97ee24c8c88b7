#pragma once
/// @file mobilenet.hpp
/// `strata::applications::MobileNet`, Keras's first MobileNet (keras.applications.mobilenet) with Keras's
/// layer names.

#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"

namespace strata::applications {

/// Keras `MobileNet` arguments, in Keras's order (`input_tensor` aside).
struct MobileNetOptions {
  /// The input shape without the batch; empty means Keras's default (224, 224, 3).
  std::vector<Dim> input_shape = {};
  /// Width multiplier; Keras's published weights exist for 0.25, 0.5, 0.75 and 1.0.
  float alpha = 1.0f;
  /// Channels each depthwise convolution makes per input channel (Keras's published weights need 1).
  int depth_multiplier = 1;
  /// The top's dropout rate, in [0, 1); inactive at inference, kept in the model as in Keras.
  float dropout = 1e-3f;
  /// Whether to add the top: global average pooling (kept 4D), dropout, a 1x1 convolution `conv_preds`,
  /// a reshape and the `predictions` activation.
  bool include_top = true;
  /// A Keras weights file to load after building (a Keras 3 `.weights.h5` or a legacy Keras 2 HDF5 file, as
  /// `Model::load_weights` reads them); empty means the seeded initial weights. strata downloads nothing:
  /// "imagenet" is a ValueError, pass the path of a file saved from Keras instead.
  std::string weights = "";
  /// Without the top: "" (4D output), "avg" or "max".
  std::string pooling = "";
  /// Number of classes of the top.
  int classes = 1000;
  /// Activation of the top's `predictions` layer.
  std::string classifier_activation = "softmax";
  /// The model's name; empty means Keras's `mobilenet_<alpha>_<rows>`.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `MobileNetOptions{}.set_name(...).set_input_shape(...)`.
  /// Sets `input_shape`; returns this struct for chaining.
  MobileNetOptions& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `alpha`; returns this struct for chaining.
  MobileNetOptions& set_alpha(float value) {
    alpha = value;
    return *this;
  }
  /// Sets `depth_multiplier`; returns this struct for chaining.
  MobileNetOptions& set_depth_multiplier(int value) {
    depth_multiplier = value;
    return *this;
  }
  /// Sets `dropout`; returns this struct for chaining.
  MobileNetOptions& set_dropout(float value) {
    dropout = value;
    return *this;
  }
  /// Sets `include_top`; returns this struct for chaining.
  MobileNetOptions& set_include_top(bool value) {
    include_top = value;
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  MobileNetOptions& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  MobileNetOptions& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  MobileNetOptions& set_classes(int value) {
    classes = value;
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  MobileNetOptions& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  MobileNetOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds MobileNet as `keras.applications.MobileNet` does: a strided 3x3 convolution, then 13 depthwise
/// separable blocks (`conv_dw_N` and `conv_pw_N`, each with a batch norm and a relu capped at 6), 4,253,864
/// parameters at alpha 1.0 with the top. Its inputs are scaled to [-1, 1] (`mobilenet::preprocess_input`).
/// Throws ValueError for bad options (a non-positive `alpha` or `depth_multiplier`, `dropout` outside
/// [0, 1) with the top, an input smaller than 32x32, 3 channels required, unknown pooling, `weights`
/// "imagenet"), and `Model::load_weights`'s FileError when `weights` names a file that is missing or does not
/// match the model.
Model MobileNet(MobileNetOptions options = {});

}  // namespace strata::applications
