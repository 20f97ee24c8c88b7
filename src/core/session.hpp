#pragma once
// Process-wide state shared by all layers: default-name counters and the initializer generator.

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>

namespace strata::detail {

/// Keras's `to_snake_case`: "Conv2D" -> "conv2d", "MaxPooling2D" -> "max_pooling2d", "ReLU" -> "re_lu".
std::string to_snake_case(const std::string& class_name);

/// The next default name for `base`: "conv2d", then "conv2d_1", ... until `clear_session`; inside a
/// LocalNames scope, the scope's next name.
std::string unique_name(const std::string& base);

/// While alive, the layers, ops and inputs made on this thread take their default names from a table of their
/// own: Keras traces a subclassed layer's `call` without naming its ops, so a composite layer's body must not
/// use up the model's names (`add`, `add_1`, ...), and its graph needs names unique among themselves. Names
/// in `reserved` (the tracked layers') and names the session has already given are skipped. Scopes nest; the
/// innermost one counts.
class LocalNames {
 public:
  explicit LocalNames(std::set<std::string> reserved);
  ~LocalNames();
  LocalNames(const LocalNames&) = delete;
  LocalNames& operator=(const LocalNames&) = delete;
  /// The next name for `base` in this table.
  std::string next(const std::string& base);

 private:
  LocalNames* outer_;
  std::set<std::string> reserved_;
  std::map<std::string, int> counts_;
};

std::mutex& weight_engine_mutex();
std::mt19937_64& weight_engine();

/// Runs `fn(engine)` with the process-wide initializer engine, under its lock.
template <class Fn>
void with_weight_generator(Fn&& fn) {
  std::lock_guard lock(weight_engine_mutex());
  fn(weight_engine());
}

}  // namespace strata::detail
