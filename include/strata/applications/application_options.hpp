#pragma once
/// @file application_options.hpp
/// `strata::applications::ApplicationOptions`, the Keras arguments shared by the application models that
/// take no others.

#include <string>
#include <utility>
#include <vector>

#include "strata/shape.hpp"

namespace strata::applications {

/// The arguments of the keras.applications models that take no others (VGG16, VGG19, the ResNets), in
/// Keras's order (`input_tensor` aside).
struct ApplicationOptions {
  /// Whether to add the top (the ResNets: global average pooling `avg_pool` and the dense `predictions`
  /// layer; VGG: `flatten`, the dense `fc1` and `fc2`, and `predictions`).
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
  /// The model's name; empty means Keras's for the model ("resnet50", "vgg16", ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ApplicationOptions{}.set_name(...).set_include_top(...)`.
  /// Sets `include_top`; returns this struct for chaining.
  ApplicationOptions& set_include_top(bool value) {
    include_top = std::move(value);
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  ApplicationOptions& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `input_shape`; returns this struct for chaining.
  ApplicationOptions& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  ApplicationOptions& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  ApplicationOptions& set_classes(int value) {
    classes = std::move(value);
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  ApplicationOptions& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ApplicationOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

}  // namespace strata::applications
