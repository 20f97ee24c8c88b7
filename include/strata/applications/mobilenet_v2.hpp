#pragma once
/// @file mobilenet_v2.hpp
/// `strata::applications::MobileNetV2`, Keras's MobileNetV2 architecture with Keras's layer names.

#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"

namespace strata::applications {

/// Keras `MobileNetV2` arguments, in Keras's order (`input_tensor` aside).
struct MobileNetV2Options {
  /// The input shape without the batch; empty means Keras's default (224, 224, 3).
  std::vector<Dim> input_shape = {};
  /// Width multiplier; Keras's published weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
  float alpha = 1.0f;
  /// Whether to add the top: global average pooling and the dense `predictions` layer.
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
  /// The model's name; empty means Keras's `mobilenetv2_<alpha>_<rows>`.
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `MobileNetV2Options{}.set_name(...).set_input_shape(...)`.
  /// Sets `input_shape`; returns this struct for chaining.
  MobileNetV2Options& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `alpha`; returns this struct for chaining.
  MobileNetV2Options& set_alpha(float value) {
    alpha = std::move(value);
    return *this;
  }
  /// Sets `include_top`; returns this struct for chaining.
  MobileNetV2Options& set_include_top(bool value) {
    include_top = std::move(value);
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  MobileNetV2Options& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  MobileNetV2Options& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  MobileNetV2Options& set_classes(int value) {
    classes = std::move(value);
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  MobileNetV2Options& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  MobileNetV2Options& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds MobileNetV2 as `keras.applications.MobileNetV2` does (3,538,984 parameters at alpha 1.0 with the
/// top). Throws ValueError for bad options (`weights` "imagenet" among them), and `Model::load_weights`'s
/// FileError when `weights` names a file that is missing or does not match the model.
Model MobileNetV2(MobileNetV2Options options = {});

}  // namespace strata::applications
