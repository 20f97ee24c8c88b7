#include "applications/imagenet_utils.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "strata/error.hpp"
#include "strata/layers.hpp"

namespace strata::applications::detail {

std::vector<Dim> obtain_input_shape(const std::vector<Dim>& input_shape, int default_size, int min_size,
                                    bool require_flatten, const std::string& where) {
  // strata builds the architecture without weights, so Keras's `weights=None` rules apply (any input size
  // with the top, as long as it is fully known), except that 3 channels are required: the published
  // ImageNet weights that load_weights reads need them.
  if (input_shape.empty()) {
    if (require_flatten) return {default_size, default_size, 3};
    return {None, None, 3};
  }
  const std::string received = Shape(input_shape).to_string();
  if (input_shape.size() != 3) {
    throw ValueError(fmt::format("{} Expected `input_shape` of three dims (height, width, channels), received {}",
                                 where, received));
  }
  if (input_shape[2] != Dim(3)) {
    throw ValueError(fmt::format("{} The input must have 3 channels; received input_shape={}", where, received));
  }
  for (int axis : {0, 1}) {
    const Dim& d = input_shape[static_cast<size_t>(axis)];
    if (d && *d < min_size) {
      throw ValueError(fmt::format("{} Input size must be at least {}x{}; received input_shape={}", where, min_size,
                                   min_size, received));
    }
  }
  if (require_flatten && (!input_shape[0] || !input_shape[1])) {
    throw ValueError(fmt::format(
        "{} If `include_top` is true, you should specify a static `input_shape`; received input_shape={}", where,
        received));
  }
  return input_shape;
}

void check_pooling(const std::string& pooling, const std::string& where) {
  if (pooling != "" && pooling != "avg" && pooling != "max") {
    throw ValueError(
        fmt::format("{} Expected `pooling` to be \"\" (none), \"avg\" or \"max\", received \"{}\"", where, pooling));
  }
}

void check_classes(int classes, const std::string& where) {
  if (classes <= 0) {
    throw ValueError(fmt::format("{} Expected a positive number of `classes`, received {}", where, classes));
  }
}

void check_weights(const std::string& weights, const std::string& keras_class, const std::string& file_stem,
                   const std::string& where) {
  if (weights != "imagenet") return;
  throw ValueError(
      fmt::format("{} Expected `weights` to be empty (seeded initial weights) or the path of a Keras weights "
                  "file, received "
                  "\"imagenet\": strata downloads nothing. Save the weights once in Python, e.g. "
                  "`keras.applications.{}(weights=\"imagenet\").save_weights(\"{}.weights.h5\")`, and pass "
                  "that file's path",
                  where, keras_class, file_stem));
}

void check_classifier_activation(const std::string& weights, const std::string& activation,
                                 const std::string& where) {
  // Keras's imagenet_utils.validate_activation: pretrained weights were trained with a softmax top.
  if (weights.empty() || activation == "softmax" || activation.empty() || activation == "linear") return;
  throw ValueError(fmt::format(
      "{} Only \"softmax\" and no activation (\"\" or \"linear\") are allowed for `classifier_activation` "
      "when loading weights with `include_top`; received classifier_activation=\"{}\"",
      where, activation));
}

std::vector<Dim> check_application_options(const ApplicationOptions& options, const std::string& keras_class,
                                           const std::string& file_stem, int default_size, int min_size) {
  const std::string where = "[" + keras_class + "]";
  check_weights(options.weights, keras_class, file_stem, where);
  check_pooling(options.pooling, where);
  if (options.include_top) {
    check_classes(options.classes, where);
    check_classifier_activation(options.weights, options.classifier_activation, where);
  }
  return obtain_input_shape(options.input_shape, default_size, min_size,
                            /*require_flatten=*/options.include_top, where);
}

double alpha_as_python_float(float alpha) {
  return std::strtod(fmt::format("{}", alpha).c_str(), nullptr);
}

int64_t make_divisible(double v, int64_t divisor) {
  const int64_t min_value = divisor;
  int64_t new_v =
      std::max(min_value, static_cast<int64_t>(v + static_cast<double>(divisor) / 2) / divisor * divisor);
  // Rounding down must not lose more than 10%.
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}

Margins2D correct_pad(const SymbolicTensor& x, int kernel_size) {
  const Shape& shape = x.shape();
  int adjust_h = 1, adjust_w = 1;
  if (shape[1]) {
    adjust_h = 1 - static_cast<int>(*shape[1] % 2);
    adjust_w = shape[2] ? 1 - static_cast<int>(*shape[2] % 2) : 1;
  }
  const int correct = kernel_size / 2;
  return Margins2D({correct - adjust_h, correct}, {correct - adjust_w, correct});
}

void load_weights_option(const Model& model, const std::string& weights) {
  if (!weights.empty()) model.load_weights(weights);
}

SymbolicTensor classification_top(const SymbolicTensor& x, const ApplicationOptions& options,
                                  const std::string& pool_name) {
  const SymbolicTensor pooled = layers::GlobalAveragePooling2D({.name = pool_name})(x);
  return layers::Dense(options.classes,
                       {.activation = classifier_activation_name(options.classifier_activation),
                        .name = "predictions"})(pooled);
}

SymbolicTensor feature_pooling(const SymbolicTensor& x, const std::string& pooling,
                               const std::string& avg_name, const std::string& max_name) {
  if (pooling == "avg") return layers::GlobalAveragePooling2D({.name = avg_name})(x);
  if (pooling == "max") return layers::GlobalMaxPooling2D({.name = max_name})(x);
  return x;
}

Model finish_application(const SymbolicTensor& input, const SymbolicTensor& output,
                         const ApplicationOptions& options, const std::string& default_name) {
  Model model(input, output, options.name.empty() ? default_name : options.name);
  load_weights_option(model, options.weights);
  return model;
}

std::string classifier_activation_name(const std::string& activation) {
  return activation.empty() ? std::string("linear") : activation;
}

}  // namespace strata::applications::detail
