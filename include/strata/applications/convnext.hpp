#pragma once
/// @file convnext.hpp
/// Keras's ConvNeXts (keras.applications.convnext): ConvNeXtTiny, Small, Base, Large and XLarge, with
/// Keras's layer names and order.

#include <string>
#include <utility>
#include <vector>

#include "strata/model.hpp"
#include "strata/shape.hpp"

namespace strata::applications {

/// Keras `ConvNeXtTiny` .. `ConvNeXtXLarge` arguments, in Keras's order (`input_tensor` aside).
struct ConvNeXtOptions {
  /// Whether to add the head: global average pooling `<name>_head_gap`, layer normalization
  /// `<name>_head_layernorm` and the Dense `<name>_head_dense`.
  bool include_top = true;
  /// Whether the model normalizes its pixels itself: a `Normalization` `<name>_prestem_normalization` with
  /// ImageNet's mean and variance on the [0, 255] scale, fixed in its config. Without it the model takes
  /// what that layer would give.
  bool include_preprocessing = true;
  /// A Keras weights file to load after building (a Keras 3 `.weights.h5` or a legacy Keras 2 HDF5 file, as
  /// `Model::load_weights` reads them); empty means the seeded initial weights. strata downloads nothing:
  /// "imagenet" is a ValueError, pass the path of a file saved from Keras instead.
  std::string weights = "";
  /// The input shape without the batch; empty means 224x224x3 with the top and `(None, None, 3)` without
  /// it. Three channels, at least 32x32.
  std::vector<Dim> input_shape = {};
  /// Without the head: "" (4D output), "avg" or "max" (an unnamed global pooling). Either way, as in Keras,
  /// an unnamed `LayerNormalization` ends the model.
  std::string pooling = "";
  /// Number of classes of the head.
  int classes = 1000;
  /// Activation of the head's Dense layer; empty means linear.
  std::string classifier_activation = "softmax";
  /// The model's name, which also prefixes every named layer; empty means Keras's ("convnext_tiny", ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `ConvNeXtOptions{}.set_name(...).set_input_shape(...)`.
  /// Sets `include_top`; returns this struct for chaining.
  ConvNeXtOptions& set_include_top(bool value) {
    include_top = value;
    return *this;
  }
  /// Sets `include_preprocessing`; returns this struct for chaining.
  ConvNeXtOptions& set_include_preprocessing(bool value) {
    include_preprocessing = value;
    return *this;
  }
  /// Sets `weights`; returns this struct for chaining.
  ConvNeXtOptions& set_weights(std::string value) {
    weights = std::move(value);
    return *this;
  }
  /// Sets `input_shape`; returns this struct for chaining.
  ConvNeXtOptions& set_input_shape(std::vector<Dim> value) {
    input_shape = std::move(value);
    return *this;
  }
  /// Sets `pooling`; returns this struct for chaining.
  ConvNeXtOptions& set_pooling(std::string value) {
    pooling = std::move(value);
    return *this;
  }
  /// Sets `classes`; returns this struct for chaining.
  ConvNeXtOptions& set_classes(int value) {
    classes = value;
    return *this;
  }
  /// Sets `classifier_activation`; returns this struct for chaining.
  ConvNeXtOptions& set_classifier_activation(std::string value) {
    classifier_activation = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  ConvNeXtOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Builds ConvNeXtTiny as `keras.applications.ConvNeXtTiny` does: the optional normalization, the stem (a
/// nested `Sequential` `<name>_stem`: a 4x4 stride-4 convolution and a layer normalization), four stages of
/// 3, 3, 9 and 3 blocks of 96, 192, 384 and 768 channels with a downsampling `Sequential` before each stage
/// after the first (layer normalization, 2x2 stride-2 convolution), and the head. Each block
/// (`<name>_stage_0_block_0_` ...) is a 7x7 depthwise convolution (a Conv2D with one group per channel),
/// layer normalization, Dense to 4x the channels, exact gelu, Dense back, `LayerScale` (1e-6) and a linear
/// `Activation` `_identity`, added to the block's input (the unnamed ops `add`, `add_1`, ...). Layer
/// normalizations use epsilon 1e-6. 28,589,128 parameters with the top; default input 224x224, at least
/// 32x32. It takes pixels in [0, 255] (`convnext::preprocess_input` returns them unchanged).
///
/// Throws ValueError for bad options (an input smaller than 32x32, 3 channels required, unknown pooling,
/// `weights` "imagenet"), and `Model::load_weights`'s FileError when `weights` names a file that is missing
/// or does not match the model.
Model ConvNeXtTiny(ConvNeXtOptions options = {});

/// `keras.applications.ConvNeXtSmall`: stages of 3, 3, 27 and 3 blocks (50,223,688 parameters with the
/// top). Otherwise as ConvNeXtTiny.
Model ConvNeXtSmall(ConvNeXtOptions options = {});

/// `keras.applications.ConvNeXtBase`: ConvNeXtSmall's depths with 128, 256, 512 and 1024 channels
/// (88,591,464 parameters with the top). Otherwise as ConvNeXtTiny.
Model ConvNeXtBase(ConvNeXtOptions options = {});

/// `keras.applications.ConvNeXtLarge`: 192, 384, 768 and 1536 channels (197,767,336 parameters with the
/// top). Otherwise as ConvNeXtSmall.
Model ConvNeXtLarge(ConvNeXtOptions options = {});

/// `keras.applications.ConvNeXtXLarge`: 256, 512, 1024 and 2048 channels (350,196,968 parameters with the
/// top). Otherwise as ConvNeXtSmall.
Model ConvNeXtXLarge(ConvNeXtOptions options = {});

}  // namespace strata::applications
