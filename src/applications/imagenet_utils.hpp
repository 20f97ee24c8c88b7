#pragma once
// Internals shared by the application builders: Keras's imagenet_utils.obtain_input_shape and correct_pad.

#include <cstdint>
#include <string>
#include <vector>

#include "strata/applications/application_options.hpp"
#include "strata/model.hpp"
#include "strata/shape.hpp"

namespace strata::applications::detail {

/// The options every application shares with Keras's others, checked in one place: `weights` (no
/// "imagenet"; the hint names `keras_class` and `file_stem`), `pooling`, and with the top `classes` and
/// `classifier_activation`; then `obtain_input_shape`. Returns the input shape; throws ValueError whose
/// message starts with "[keras_class]".
std::vector<Dim> check_application_options(const ApplicationOptions& options, const std::string& keras_class,
                                           const std::string& file_stem, int default_size, int min_size);

/// The shared members of a family's own options struct (e.g. MobileNetV2Options), for
/// `check_application_options`.
template <class FamilyOptions>
ApplicationOptions shared_options(const FamilyOptions& options) {
  return {.include_top = options.include_top,
          .weights = options.weights,
          .input_shape = options.input_shape,
          .pooling = options.pooling,
          .classes = options.classes,
          .classifier_activation = options.classifier_activation,
          .name = options.name};
}

/// Keras's `obtain_input_shape` for channels-last images, with the checks strata keeps: `input_shape`
/// given as three dims with 3 channels and height and width of at least `min_size`; empty means
/// `(default_size, default_size, 3)` with the top and `(None, None, 3)` without it; the top needs a fully
/// known shape. `where` starts every message (e.g. "[ResNet50]"). Throws ValueError.
std::vector<Dim> obtain_input_shape(const std::vector<Dim>& input_shape, int default_size, int min_size,
                                    bool require_flatten, const std::string& where);

/// Throws ValueError unless `pooling` is "", "avg" or "max".
void check_pooling(const std::string& pooling, const std::string& where);

/// Throws ValueError unless `classes` is positive.
void check_classes(int classes, const std::string& where);

/// Keras's `classifier_activation=None` is an empty string here; the Dense layer spells it "linear".
std::string classifier_activation_name(const std::string& activation);

/// Throws ValueError for `weights` "imagenet" (strata downloads nothing), before the model is built; the
/// message shows how to save the file from Keras's `keras_class` (e.g. "ResNet50") as
/// `file_stem`.weights.h5.
void check_weights(const std::string& weights, const std::string& keras_class, const std::string& file_stem,
                   const std::string& where);

/// Keras's `validate_activation`: with a weights file and the top, `classifier_activation` must be
/// "softmax" or none ("" or "linear"); throws ValueError otherwise.
void check_classifier_activation(const std::string& weights, const std::string& activation,
                                 const std::string& where);

/// A width multiplier as the Python float Keras computes widths from: widening the float option bit for bit
/// would give 1.2999999523 for 1.3 and could round a width differently (int(160 * 1.3) is 208 in Python
/// but 207 from the float). The shortest decimal text of the float is exactly what the user wrote.
double alpha_as_python_float(float alpha);

/// Keras's `_make_divisible` (mobilenet_v2.py, mobilenet_v3.py): `v` rounded to the nearest multiple of
/// `divisor`, at least `divisor`, and never more than 10% below `v`.
int64_t make_divisible(double v, int64_t divisor);

/// Keras's `imagenet_utils.correct_pad`: the zero padding that makes a stride-2 "valid" convolution of
/// `kernel_size` sample the pixels TensorFlow's "same" would (the extra row and column go bottom and right).
/// An unknown height is treated as even, as Keras does.
Margins2D correct_pad(const SymbolicTensor& x, int kernel_size);

/// Loads `weights` into the built `model` with `Model::load_weights` unless it is empty.
void load_weights_option(const Model& model, const std::string& weights);

/// Keras's usual classification top: a GlobalAveragePooling2D named `pool_name` (empty: Keras's default
/// name) and the Dense `predictions` layer of `options.classes` with `options.classifier_activation`.
SymbolicTensor classification_top(const SymbolicTensor& x, const ApplicationOptions& options,
                                  const std::string& pool_name);

/// Without the top: `pooling` "avg" or "max" as a global pooling named `avg_name` or `max_name` (empty:
/// Keras's default name); "" returns `x`.
SymbolicTensor feature_pooling(const SymbolicTensor& x, const std::string& pooling,
                               const std::string& avg_name, const std::string& max_name);

/// The model from `input` to `output`, named `name` (Keras's default when `options.name` is empty), with
/// `options.weights` loaded.
Model finish_application(const SymbolicTensor& input, const SymbolicTensor& output,
                         const ApplicationOptions& options, const std::string& default_name);

}  // namespace strata::applications::detail
