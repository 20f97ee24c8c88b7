#pragma once
/// @file resnet50.hpp
/// `strata::applications::ResNet50`, Keras's ResNet50 architecture with Keras's layer names.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"

namespace strata::applications {

/// Keras `ResNet50` arguments, in Keras's order (`input_tensor` aside).
struct ResNet50Options {
  /// Whether to add the top: global average pooling `avg_pool` and the dense `predictions` layer.
  bool include_top = true;
  /// A Keras weights file to load after building (a Keras 3 `.weights.h5` or a legacy Keras 2 HDF5 file, as
  /// `Model::load_weights` reads them); empty means the seeded initial weights. strata downloads nothing:
  /// "imagenet" is a ValueError, pass the path of a file saved from Keras instead.
  std::string weights = "";
  /// The input shape without the batch, e.g. `{224, 224, 3}`; empty means Keras's default (224, 224, 3).
  std::vector<Dim> input_shape = {};
  /// Without the top: "" (4D output), "avg" or "max" (global pooling to 2D).
  std::string pooling = "";
  /// Number of classes of the top.
  int classes = 1000;
  /// Activation of the top's `predictions` layer.
  std::string classifier_activation = "softmax";
  /// The model's name.
  std::string name = "resnet50";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ResNet50Options{}.set_name(...).set_include_top(...)`.
  /// Sets `include_top`; returns this struct for chaining.
  ResNet50Options& set_include_top(bool value) {
    include_top = std::move(value);
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  ResNet50Options& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `input_shape`; returns this struct for chaining.
  ResNet50Options& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  ResNet50Options& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  ResNet50Options& set_classes(int value) {
    classes = std::move(value);
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  ResNet50Options& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ResNet50Options& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds ResNet50 as `keras.applications.ResNet50` does: same layers, names, order and parameter counts
/// (25,636,712 with the top). Throws ValueError for bad options (an input smaller than 32x32, 3 channels
/// required, unknown pooling, `weights` "imagenet"), and `Model::load_weights`'s FileError when `weights`
/// names a file that is missing or does not match the model.
Model ResNet50(ResNet50Options options = {});

}  // namespace strata::applications
