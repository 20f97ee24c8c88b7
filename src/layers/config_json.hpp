#pragma once
// Keras's JSON spelling of the arguments layers share, for LayerImpl::config.

#include <nlohmann/json.hpp>

#include "core/activation.hpp"
#include "layers/conv_common.hpp"
#include "layers/window_geometry.hpp"
#include "strata/shape.hpp"

namespace strata::detail {

/// A Keras (h, w) tuple: `[3, 3]`.
inline nlohmann::json size2_json(const Size2& size) {
  return nlohmann::json::array({size.h(), size.w()});
}

/// Keras's ((top, bottom), (left, right)) of ZeroPadding2D and Cropping2D.
inline nlohmann::json margins_json(const Margins2D& m) {
  return nlohmann::json::array(
      {nlohmann::json::array({m.top(), m.bottom()}), nlohmann::json::array({m.left(), m.right()})});
}

/// The `activation` value of a layer with an activation argument ("relu", "linear", ...).
inline nlohmann::json activation_json(const Activation& activation) {
  return activation_name(activation);
}

/// Keras's `padding` string.
inline nlohmann::json padding_json(Padding padding) {
  return padding_name(padding);
}

/// The keys every convolution shares (kernel_size, strides, padding, data_format, dilation_rate) and `extra`,
/// the layer's own.
inline nlohmann::json conv_config(const ConvWindow& window, const nlohmann::json& extra) {
  nlohmann::json config = {{"kernel_size", size2_json(window.kernel)},
                           {"strides", size2_json(window.strides)},
                           {"padding", padding_json(window.padding)},
                           {"data_format", "channels_last"},
                           {"dilation_rate", size2_json(window.dilation)}};
  config.update(extra);
  return config;
}

}  // namespace strata::detail
