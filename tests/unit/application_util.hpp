#pragma once
// Helpers of the application tests: a model's layer names in Model::layers() order and where a name is.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "numerics_util.hpp"
#include "strata/applications/application_options.hpp"
#include "strata/error.hpp"
#include "strata/model.hpp"

namespace strata_test {

/// The names of `model`'s layers, in Model::layers() order (Keras's `model.layers`).
inline std::vector<std::string> layer_names(const strata::Model& model) {
  std::vector<std::string> names;
  for (const strata::Layer& layer : model.layers()) names.push_back(layer.name());
  return names;
}

/// Whether `names` holds `name`.
inline bool has_layer(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// The index of `name` in `names`; fails the test when it is absent.
inline size_t position_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  REQUIRE(it != names.end());
  return static_cast<size_t>(it - names.begin());
}

/// The last `n` of `names`.
inline std::vector<std::string> tail(const std::vector<std::string>& names, size_t n) {
  return std::vector<std::string>(names.end() - static_cast<long>(n), names.end());
}

/// Keras's "Non-trainable params" (batch-norm moving statistics).
inline int64_t non_trainable(const strata::Model& model) {
  return model.count_params() - model.count_trainable_params();
}

/// The errors every application gives for bad options, each naming it (`name`, Keras's class name), whatever
/// its options struct: non-RGB inputs, inputs smaller than any family's minimum (16x16), unknown pooling,
/// `weights` "imagenet", a non-softmax top with weights, and no classes.
template <typename Options>
inline void check_common_option_errors(const std::string& name, strata::Model (*build)(Options)) {
  INFO(name);
  const std::string where = "[" + name + "]";
  CHECK_THROWS_AS(build({.input_shape = {128, 128, 1}}), strata::ValueError);
  CHECK_THROWS_WITH(build({.input_shape = {16, 16, 3}}), Catch::Contains(where));
  CHECK_THROWS_WITH(build({.include_top = false, .pooling = "sum"}), Catch::Contains(where));
  CHECK_THROWS_WITH(build({.weights = "imagenet"}),
                    Catch::Contains(where) && Catch::Contains("keras.applications." + name + "("));
  CHECK_THROWS_WITH(build({.weights = "w.weights.h5", .classifier_activation = "relu"}),
                    Catch::Contains(where) && Catch::Contains("classifier_activation=\"relu\""));
  CHECK_THROWS_AS(build({.classes = 0}), strata::ValueError);
}

/// The errors of an application built from `ApplicationOptions`: the common ones and an unknown size with
/// the top.
inline void check_application_option_errors(
    const std::string& name, strata::Model (*build)(strata::applications::ApplicationOptions)) {
  check_common_option_errors(name, build);
  INFO(name);
  CHECK_THROWS_WITH(build({.input_shape = {strata::None, strata::None, 3}}),
                    Catch::Contains("static `input_shape`"));
}

/// The whole-network check of an application at a reduced size: weights as trained (calibrated on a batch of
/// 4 of `input`'s shape), no slow oneDNN path in the fused plan, the fused and unfused plans within
/// `depths` (50: the budget test_applications_numerics gives ResNet50) times float32's rounding over
/// `terms`-long dot products of the reference executor, and an input sensitivity of at least 100 times that.
/// Under the sanitizers, `sanitized_smoke_run` only. `randomize` sets the weights (randomize_like_trained,
/// or a family's own variant).
inline void check_application_against_reference(
    const strata::Model& model, std::vector<int64_t> input, int terms, uint64_t seed, int depths = 50,
    decltype(&randomize_like_trained) randomize = randomize_like_trained) {
  if (sanitized_smoke_run(model, input)) return;
  std::vector<int64_t> calibration = input;
  calibration[0] = 4;
  randomize(model, seed, random_input(calibration, seed + 1));
  const strata::Tensor x = random_input(input, seed + 2);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("ref:") == std::string::npos);
  const double tolerance = depths * float32_tolerance(terms);
  check_against_reference(model, {x}, tolerance);
  const double moved = sensitivity(model, x);
  INFO("a perturbed input moves the output by " << moved << "; tolerance " << tolerance);
  CHECK(moved >= 100 * tolerance);
}

}  // namespace strata_test
