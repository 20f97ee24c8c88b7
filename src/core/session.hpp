#pragma once
// Process-wide state shared by all layers: default-name counters and the initializer generator.

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace strata::detail {

/// Keras's `to_snake_case`: "Conv2D" -> "conv2d", "MaxPooling2D" -> "max_pooling2d", "ReLU" -> "re_lu".
std::string to_snake_case(const std::string& class_name);

/// The next default name for `base`: "conv2d", then "conv2d_1", ... until `clear_session`.
std::string unique_name(const std::string& base);

std::mutex& weight_engine_mutex();
std::mt19937_64& weight_engine();

/// Runs `fn(engine)` with the process-wide initializer engine, under its lock.
template <class Fn>
void with_weight_generator(Fn&& fn) {
  std::lock_guard lock(weight_engine_mutex());
  fn(weight_engine());
}

}  // namespace strata::detail
