#pragma once
/// @file initializers.hpp
/// Keras's weight initializers as values: `strata::Initializer` and the `strata::initializers::` factories.

#include <cstdint>
#include <optional>
#include <string>

namespace strata {

/// A Keras weight initializer: what a layer's `kernel_initializer` (and the others) takes. A name converts
/// implicitly, as in Keras (`.kernel_initializer = "he_normal"`, snake_case or the class name), and the
/// factories in `strata::initializers` give the ones with arguments
/// (`.kernel_initializer = initializers::VarianceScaling(2.0, "fan_out", "truncated_normal")`).
/// An initializer only decides the weights a layer starts with, before a file's or set_weights' values.
/// Its draws are strata's own (the same distribution as Keras's, not the same numbers): from the
/// process-wide generator (`strata::set_random_seed`), or, with a `seed`, from a generator of that seed
/// alone.
struct Initializer {
  /// By name: "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
  /// "lecun_normal", "zeros", "ones", "orthogonal", "identity", "random_normal", "random_uniform",
  /// "truncated_normal", "variance_scaling", "constant", or the Keras class names ("GlorotUniform", ...),
  /// each with Keras's default arguments. Another name is refused (ValueError) by the layer taking it.
  Initializer(const char* name);  // NOLINT: implicit, as Keras takes a name
  /// By name, as above.
  Initializer(std::string name);  // NOLINT: implicit, as Keras takes a name

  /// Keras 3's class name ("GlorotUniform", "VarianceScaling", ...), or the unknown name as given.
  std::string class_name;
  /// VarianceScaling's scale, mode ("fan_in", "fan_out", "fan_avg") and distribution ("truncated_normal",
  /// "untruncated_normal", "uniform").
  double scale = 1.0;
  /// See scale.
  std::string mode = "fan_in";
  /// See scale.
  std::string distribution = "truncated_normal";
  /// RandomNormal's and TruncatedNormal's mean and standard deviation.
  double mean = 0.0;
  /// See mean.
  double stddev = 0.05;
  /// RandomUniform's bounds.
  double minval = -0.05;
  /// See minval.
  double maxval = 0.05;
  /// Constant's value.
  double value = 0.0;
  /// Orthogonal's and Identity's multiplier.
  double gain = 1.0;
  /// The seed of the random initializers; none draws from the process-wide generator.
  std::optional<int64_t> seed = std::nullopt;

  /// True for a class strata knows.
  bool known() const;
  /// Equal when every argument is.
  friend bool operator==(const Initializer&, const Initializer&) = default;
};

/// Keras's initializer classes with their arguments, in Keras's order and with its defaults.
namespace initializers {
/// `scale / fan` variance, fan per `mode`, drawn from `distribution`.
Initializer VarianceScaling(double scale = 1.0, std::string mode = "fan_in",
                            std::string distribution = "truncated_normal",
                            std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(1, "fan_avg", "uniform").
Initializer GlorotUniform(std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(1, "fan_avg", "truncated_normal").
Initializer GlorotNormal(std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(2, "fan_in", "uniform").
Initializer HeUniform(std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(2, "fan_in", "truncated_normal").
Initializer HeNormal(std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(1, "fan_in", "uniform").
Initializer LecunUniform(std::optional<int64_t> seed = std::nullopt);
/// VarianceScaling(1, "fan_in", "truncated_normal").
Initializer LecunNormal(std::optional<int64_t> seed = std::nullopt);
/// Normal values.
Initializer RandomNormal(double mean = 0.0, double stddev = 0.05, std::optional<int64_t> seed = std::nullopt);
/// Uniform values in [minval, maxval).
Initializer RandomUniform(double minval = -0.05, double maxval = 0.05,
                          std::optional<int64_t> seed = std::nullopt);
/// Normal values redrawn beyond two standard deviations.
Initializer TruncatedNormal(double mean = 0.0, double stddev = 0.05,
                            std::optional<int64_t> seed = std::nullopt);
/// `value` everywhere.
Initializer Constant(double value = 0.0);
/// Zeros.
Initializer Zeros();
/// Ones.
Initializer Ones();
/// A random orthogonal matrix (the weight flattened to (elements / last axis, last axis)) times `gain`.
Initializer Orthogonal(double gain = 1.0, std::optional<int64_t> seed = std::nullopt);
/// `gain` times the identity matrix; weights of rank 2 only.
Initializer Identity(double gain = 1.0);
}  // namespace initializers

}  // namespace strata
