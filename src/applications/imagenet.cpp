// Keras's imagenet_utils.preprocess_input ("caffe" and "tf" modes, channels-last) and decode_predictions.
#include "strata/applications/imagenet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "strata/error.hpp"

namespace strata::applications {
namespace {

constexpr int kClassCount = 1000;

constexpr std::array<const char*, kClassCount> kClassNames = {
#include "applications/imagenet_classes.inc"
};

void expect_nhwc(const Tensor& images, const char* where, bool three_channels) {
  if (images.rank() != 4 || (three_channels && images.dims()[3] != 3)) {
    throw ShapeError(fmt::format("[{}] Expected NHWC images of shape (batch, height, width, {}), received shape {}",
                                 where, three_channels ? "3" : "channels", images.shape().to_string()));
  }
}

// NaN scores rank below every number, so a broken model cannot make the ordering undefined.
bool ranks_higher(float a, int ia, float b, int ib) {
  const bool a_nan = std::isnan(a), b_nan = std::isnan(b);
  if (a_nan != b_nan) return b_nan;
  if (!a_nan && a != b) return a > b;
  return ia < ib;
}

}  // namespace

const std::string& imagenet_class_name(int index) {
  static const std::vector<std::string> names(kClassNames.begin(), kClassNames.end());
  if (index < 0 || index >= kClassCount) {
    throw ValueError(fmt::format("[imagenet_class_name] Expected a class index in 0..{}, received {}",
                                 kClassCount - 1, index));
  }
  return names[static_cast<size_t>(index)];
}

std::vector<std::vector<Prediction>> decode_predictions(const Tensor& predictions, int top) {
  if (predictions.rank() != 2 || predictions.dims()[1] != kClassCount) {
    throw ShapeError(fmt::format("[decode_predictions] Expected a batch of predictions of shape (samples, {}), "
                                 "received shape {}",
                                 kClassCount, predictions.shape().to_string()));
  }
  if (top < 1 || top > kClassCount) {
    throw ValueError(fmt::format("[decode_predictions] Expected `top` in 1..{}, received {}", kClassCount, top));
  }
  std::vector<std::vector<Prediction>> results;
  results.reserve(static_cast<size_t>(predictions.dims()[0]));
  std::array<int, kClassCount> order;
  for (int64_t row = 0; row < predictions.dims()[0]; ++row) {
    const float* scores = predictions.data() + row * kClassCount;
    std::iota(order.begin(), order.end(), 0);
    // Ties go to the lower index, so the result does not depend on the sort's implementation.
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [&](int a, int b) { return ranks_higher(scores[a], a, scores[b], b); });
    std::vector<Prediction> best;
    best.reserve(static_cast<size_t>(top));
    for (int i = 0; i < top; ++i) {
      const int index = order[static_cast<size_t>(i)];
      best.push_back(Prediction{index, imagenet_class_name(index), scores[index]});
    }
    results.push_back(std::move(best));
  }
  return results;
}

namespace {

// Keras's "caffe" mode: RGB to BGR, then the ImageNet mean subtracted in float32.
Tensor caffe_mode(const Tensor& images, const char* function) {
  expect_nhwc(images, function, /*three_channels=*/true);
  constexpr std::array<float, 3> kMeanBgr = {103.939f, 116.779f, 123.68f};
  Tensor out = images;
  const float* src = images.data();
  float* dst = out.data();
  for (int64_t pixel = 0; pixel < images.size() / 3; ++pixel) {
    for (int c = 0; c < 3; ++c) dst[pixel * 3 + c] = src[pixel * 3 + (2 - c)] - kMeanBgr[static_cast<size_t>(c)];
  }
  return out;
}

// Keras's "tf" mode: [0, 255] to [-1, 1].
Tensor tf_mode(const Tensor& images, const char* function) {
  expect_nhwc(images, function, /*three_channels=*/false);
  Tensor out = images;
  float* dst = out.data();
  // Two float32 steps, as Keras's `x /= 127.5; x -= 1.0`, so the results match it bit for bit.
  for (int64_t i = 0; i < out.size(); ++i) dst[i] = dst[i] / 127.5f - 1.0f;
  return out;
}

// Keras's "torch" mode: [0, 255] to [0, 1], then normalized per channel, each step in float32 as NumPy does
// it in place (x /= 255; x[..., c] -= mean[c]; x[..., c] /= std[c]).
Tensor torch_mode(const Tensor& images, const char* function) {
  expect_nhwc(images, function, /*three_channels=*/true);
  constexpr std::array<float, 3> kMean = {0.485f, 0.456f, 0.406f};
  constexpr std::array<float, 3> kStd = {0.229f, 0.224f, 0.225f};
  Tensor out = images;
  float* dst = out.data();
  for (int64_t pixel = 0; pixel < images.size() / 3; ++pixel) {
    for (size_t c = 0; c < 3; ++c) {
      float& v = dst[pixel * 3 + static_cast<int64_t>(c)];
      v = (v / 255.0f - kMean[c]) / kStd[c];
    }
  }
  return out;
}

}  // namespace

Tensor resnet50::preprocess_input(const Tensor& images) {
  return caffe_mode(images, "resnet50::preprocess_input");
}
Tensor resnet::preprocess_input(const Tensor& images) {
  return caffe_mode(images, "resnet::preprocess_input");
}
Tensor vgg16::preprocess_input(const Tensor& images) {
  return caffe_mode(images, "vgg16::preprocess_input");
}
Tensor vgg19::preprocess_input(const Tensor& images) {
  return caffe_mode(images, "vgg19::preprocess_input");
}
Tensor resnet_v2::preprocess_input(const Tensor& images) {
  return tf_mode(images, "resnet_v2::preprocess_input");
}
Tensor densenet::preprocess_input(const Tensor& images) {
  return torch_mode(images, "densenet::preprocess_input");
}
Tensor inception_v3::preprocess_input(const Tensor& images) {
  return tf_mode(images, "inception_v3::preprocess_input");
}
Tensor inception_resnet_v2::preprocess_input(const Tensor& images) {
  return tf_mode(images, "inception_resnet_v2::preprocess_input");
}
Tensor mobilenet::preprocess_input(const Tensor& images) {
  return tf_mode(images, "mobilenet::preprocess_input");
}
Tensor mobilenet_v2::preprocess_input(const Tensor& images) {
  return tf_mode(images, "mobilenet_v2::preprocess_input");
}

Tensor nasnet::preprocess_input(const Tensor& images) {
  return tf_mode(images, "nasnet::preprocess_input");
}

Tensor xception::preprocess_input(const Tensor& images) {
  return tf_mode(images, "xception::preprocess_input");
}

Tensor efficientnet::preprocess_input(const Tensor& images) {
  return images;
}

Tensor efficientnet_v2::preprocess_input(const Tensor& images) {
  return images;
}

Tensor convnext::preprocess_input(const Tensor& images) {
  return images;
}

Tensor mobilenet_v3::preprocess_input(const Tensor& images) {
  return images;
}

}  // namespace strata::applications
