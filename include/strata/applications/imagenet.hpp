#pragma once
/// @file imagenet.hpp
/// ImageNet helpers for the applications: Keras's `preprocess_input` for each model and
/// `decode_predictions`.

#include <string>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::applications {

/// One entry of `decode_predictions`: the class index (0..999), its name, and the score.
struct Prediction {
  /// The ImageNet class index.
  int index = 0;
  /// The human-readable class name.
  std::string name;
  /// The model's score for the class.
  float score = 0.0f;
};

/// The top `top` classes of each row of a `(batch, 1000)` prediction tensor, best first. Throws
/// ShapeError for another shape and ValueError for `top` outside 1..1000.
std::vector<std::vector<Prediction>> decode_predictions(const Tensor& predictions, int top = 5);

/// The name of ImageNet class `index`. Throws ValueError outside 0..999.
const std::string& imagenet_class_name(int index);

namespace resnet50 {
/// Keras's "caffe" preprocessing: RGB to BGR, then subtract the ImageNet mean (103.939, 116.779, 123.68)
/// per channel. Input NHWC with 3 channels in [0, 255]. Throws ShapeError otherwise.
Tensor preprocess_input(const Tensor& images);
}  // namespace resnet50

namespace resnet {
/// `keras.applications.resnet.preprocess_input` (ResNet50, ResNet101, ResNet152): the "caffe" mode, as
/// resnet50's. Throws ShapeError for a non-NHWC or non-RGB input.
Tensor preprocess_input(const Tensor& images);
}  // namespace resnet

namespace resnet_v2 {
/// `keras.applications.resnet_v2.preprocess_input`: Keras's "tf" mode, [0, 255] to [-1, 1], as
/// mobilenet_v2's. Throws ShapeError for a non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace resnet_v2

namespace vgg16 {
/// `keras.applications.vgg16.preprocess_input`: the "caffe" mode, as resnet50's. Throws ShapeError for a
/// non-NHWC or non-RGB input.
Tensor preprocess_input(const Tensor& images);
}  // namespace vgg16

namespace vgg19 {
/// `keras.applications.vgg19.preprocess_input`: the "caffe" mode, as resnet50's. Throws ShapeError for a
/// non-NHWC or non-RGB input.
Tensor preprocess_input(const Tensor& images);
}  // namespace vgg19

namespace densenet {
/// `keras.applications.densenet.preprocess_input`: Keras's "torch" mode, [0, 255] to [0, 1], then each
/// channel less the ImageNet mean (0.485, 0.456, 0.406) over its deviation (0.229, 0.224, 0.225). Throws
/// ShapeError for a non-NHWC or non-RGB input.
Tensor preprocess_input(const Tensor& images);
}  // namespace densenet

namespace inception_v3 {
/// `keras.applications.inception_v3.preprocess_input`: the "tf" mode, as resnet_v2's. Throws ShapeError for
/// a non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace inception_v3

namespace inception_resnet_v2 {
/// `keras.applications.inception_resnet_v2.preprocess_input`: the "tf" mode, as resnet_v2's. Throws
/// ShapeError for a non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace inception_resnet_v2

namespace efficientnet_v2 {
/// `keras.applications.efficientnet_v2.preprocess_input`: the images unchanged (a copy), since the
/// EfficientNetV2s scale their pixels inside the model (`include_preprocessing`), as Keras's does.
Tensor preprocess_input(const Tensor& images);
}  // namespace efficientnet_v2

namespace convnext {
/// `keras.applications.convnext.preprocess_input`: the images unchanged (a copy), since the ConvNeXts
/// normalize their pixels inside the model (`include_preprocessing`), as Keras's does.
Tensor preprocess_input(const Tensor& images);
}  // namespace convnext

namespace nasnet {
/// `keras.applications.nasnet.preprocess_input`: the "tf" mode, as resnet_v2's. Throws ShapeError for a
/// non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace nasnet

namespace xception {
/// `keras.applications.xception.preprocess_input`: the "tf" mode, as resnet_v2's. Throws ShapeError for a
/// non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace xception

namespace efficientnet {
/// `keras.applications.efficientnet.preprocess_input`: the images unchanged (a copy), since EfficientNet
/// rescales and normalizes inside the model; pixels in [0, 255]. Any shape, as Keras's.
Tensor preprocess_input(const Tensor& images);
}  // namespace efficientnet

namespace mobilenet {
/// `keras.applications.mobilenet.preprocess_input`: the "tf" mode, as resnet_v2's. Throws ShapeError for a
/// non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace mobilenet

namespace mobilenet_v3 {
/// `keras.applications.mobilenet_v3.preprocess_input`: the images unchanged (a copy), since MobileNetV3
/// rescales inside the model (`include_preprocessing`); pixels in [0, 255]. Any shape, as Keras's.
Tensor preprocess_input(const Tensor& images);
}  // namespace mobilenet_v3

namespace mobilenet_v2 {
/// Keras's "tf" preprocessing: scale [0, 255] to [-1, 1]. Throws ShapeError for a non-NHWC input.
Tensor preprocess_input(const Tensor& images);
}  // namespace mobilenet_v2

}  // namespace strata::applications
