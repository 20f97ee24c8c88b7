#pragma once
// Helpers of the application tests: a model's layer names in Model::layers() order and where a name is.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

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

}  // namespace strata_test
