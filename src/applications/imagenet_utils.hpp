#pragma once
// Internals shared by the application builders: Keras's imagenet_utils.obtain_input_shape and correct_pad.

#include <string>
#include <vector>

#include "strata/shape.hpp"

namespace strata::applications::detail {

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

}  // namespace strata::applications::detail
