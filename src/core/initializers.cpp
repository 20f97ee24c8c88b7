#include "core/initializers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "core/limits.hpp"
#include "core/session.hpp"
#include "strata/error.hpp"

namespace strata {
namespace {

// Keras's named initializers: snake_case name, class name, and as VarianceScaling (scale 0: not one).
struct Named {
  const char* name;
  const char* keras_class;
  double scale;
  const char* mode;
  const char* distribution;
};

constexpr Named kNamed[] = {
    {"glorot_uniform", "GlorotUniform", 1.0, "fan_avg", "uniform"},
    {"glorot_normal", "GlorotNormal", 1.0, "fan_avg", "truncated_normal"},
    {"he_uniform", "HeUniform", 2.0, "fan_in", "uniform"},
    {"he_normal", "HeNormal", 2.0, "fan_in", "truncated_normal"},
    {"lecun_uniform", "LecunUniform", 1.0, "fan_in", "uniform"},
    {"lecun_normal", "LecunNormal", 1.0, "fan_in", "truncated_normal"},
    {"zeros", "Zeros", 0.0, "", ""},
    {"ones", "Ones", 0.0, "", ""},
    {"orthogonal", "Orthogonal", 0.0, "", ""},
    {"identity", "Identity", 0.0, "", ""},
    {"random_normal", "RandomNormal", 0.0, "", ""},
    {"random_uniform", "RandomUniform", 0.0, "", ""},
    {"truncated_normal", "TruncatedNormal", 0.0, "", ""},
    {"variance_scaling", "VarianceScaling", 0.0, "", ""},
    {"constant", "Constant", 0.0, "", ""},
    // Keras's other spellings (keras.initializers' ALL_OBJECTS_DICT), after the names written back.
    {"uniform", "RandomUniform", 0.0, "", ""},
    {"normal", "RandomNormal", 0.0, "", ""},
    {"zero", "Zeros", 0.0, "", ""},
    {"one", "Ones", 0.0, "", ""},
};

const Named* find_named(const std::string& name) {
  for (const Named& n : kNamed) {
    if (name == n.name || name == n.keras_class) return &n;
  }
  return nullptr;
}

Initializer of_class(const char* keras_class, std::optional<int64_t> seed = std::nullopt) {
  Initializer init(keras_class);
  init.seed = seed;
  return init;
}

}  // namespace

Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

Initializer::Initializer(std::string name) : class_name(std::move(name)) {
  if (const Named* n = find_named(class_name)) class_name = n->keras_class;
}

bool Initializer::known() const {
  return find_named(class_name) != nullptr;
}

namespace initializers {
Initializer VarianceScaling(double scale, std::string mode, std::string distribution,
                            std::optional<int64_t> seed) {
  Initializer init = of_class("VarianceScaling", seed);
  init.scale = scale;
  init.mode = std::move(mode);
  init.distribution = std::move(distribution);
  return init;
}
Initializer GlorotUniform(std::optional<int64_t> seed) {
  return of_class("GlorotUniform", seed);
}
Initializer GlorotNormal(std::optional<int64_t> seed) {
  return of_class("GlorotNormal", seed);
}
Initializer HeUniform(std::optional<int64_t> seed) {
  return of_class("HeUniform", seed);
}
Initializer HeNormal(std::optional<int64_t> seed) {
  return of_class("HeNormal", seed);
}
Initializer LecunUniform(std::optional<int64_t> seed) {
  return of_class("LecunUniform", seed);
}
Initializer LecunNormal(std::optional<int64_t> seed) {
  return of_class("LecunNormal", seed);
}
Initializer RandomNormal(double mean, double stddev, std::optional<int64_t> seed) {
  Initializer init = of_class("RandomNormal", seed);
  init.mean = mean;
  init.stddev = stddev;
  return init;
}
Initializer RandomUniform(double minval, double maxval, std::optional<int64_t> seed) {
  Initializer init = of_class("RandomUniform", seed);
  init.minval = minval;
  init.maxval = maxval;
  return init;
}
Initializer TruncatedNormal(double mean, double stddev, std::optional<int64_t> seed) {
  Initializer init = of_class("TruncatedNormal", seed);
  init.mean = mean;
  init.stddev = stddev;
  return init;
}
Initializer Constant(double value) {
  Initializer init = of_class("Constant");
  init.value = value;
  return init;
}
Initializer Zeros() {
  return of_class("Zeros");
}
Initializer Ones() {
  return of_class("Ones");
}
Initializer Orthogonal(double gain, std::optional<int64_t> seed) {
  Initializer init = of_class("Orthogonal", seed);
  init.gain = gain;
  return init;
}
Initializer Identity(double gain) {
  Initializer init = of_class("Identity");
  init.gain = gain;
  return init;
}
}  // namespace initializers

}  // namespace strata

namespace strata::detail {
namespace {

double unit_uniform(std::mt19937_64& engine) { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }

// Box-Muller on our own unit draws, so the values do not depend on the standard library.
double standard_normal(std::mt19937_64& engine) {
  double u1 = unit_uniform(engine);
  while (u1 <= 0.0) u1 = unit_uniform(engine);
  const double u2 = unit_uniform(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// A unit normal redrawn beyond two standard deviations, as Keras's truncated normal.
double truncated_normal(std::mt19937_64& engine) {
  double x = standard_normal(engine);
  while (std::abs(x) > 2.0) x = standard_normal(engine);
  return x;
}

// The initializer as VarianceScaling arguments, for the named ones that are.
Initializer as_variance_scaling(const Initializer& init) {
  for (const Named& n : kNamed) {
    if (init.class_name == n.keras_class && n.scale != 0.0) {
      return initializers::VarianceScaling(n.scale, n.mode, n.distribution, init.seed);
    }
  }
  return init;
}

// An orthogonal (rows, cols) matrix, gain times Q of a normal matrix's QR with R's diagonal made positive,
// as Keras's Orthogonal; modified Gram-Schmidt in double.
void orthogonal(std::mt19937_64& engine, int64_t rows, int64_t cols, double gain, float* out) {
  const int64_t n = std::max(rows, cols), k = std::min(rows, cols);
  std::vector<double> q(static_cast<size_t>(n * k));  // k columns of length n
  for (double& v : q) v = standard_normal(engine);
  for (int64_t j = 0; j < k; ++j) {
    double* col = q.data() + j * n;
    for (int64_t i = 0; i < j; ++i) {
      const double* prev = q.data() + i * n;
      double dot = 0.0;
      for (int64_t r = 0; r < n; ++r) dot += prev[r] * col[r];
      for (int64_t r = 0; r < n; ++r) col[r] -= dot * prev[r];
    }
    double norm = 0.0;
    for (int64_t r = 0; r < n; ++r) norm += col[r] * col[r];
    norm = std::sqrt(norm);
    for (int64_t r = 0; r < n; ++r) col[r] /= norm;
  }
  // (n, k) columns: the weight is that matrix for rows >= cols, its transpose otherwise.
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const double v = rows >= cols ? q[static_cast<size_t>(c * n + r)] : q[static_cast<size_t>(r * n + c)];
      out[r * cols + c] = static_cast<float>(gain * v);
    }
  }
}

}  // namespace

Initializer as_named(const Initializer& init) {
  if (init.class_name != "VarianceScaling") return init;
  for (const Named& n : kNamed) {
    if (n.scale != 0.0 && init == initializers::VarianceScaling(n.scale, n.mode, n.distribution, init.seed)) {
      Initializer out(n.name);
      out.seed = init.seed;
      return out;
    }
  }
  return init;
}

std::string initializer_name(const Initializer& init) {
  if (init.seed) return "";
  for (const Named& n : kNamed) {
    if (init.class_name != n.keras_class) continue;
    // Only the ones whose arguments are all defaults go by name.
    Initializer plain(n.keras_class);
    return plain == init ? n.name : "";
  }
  return "";
}

void check_initializer(const Initializer& init, const std::string& where) {
  if (!init.known()) {
    std::vector<std::string> names;
    for (const Named& n : kNamed) names.push_back(n.name);
    throw ValueError(fmt::format("{} Unknown initializer '{}'. Expected one of: {} (or their class names)",
                                 where, init.class_name, fmt::join(names, ", ")));
  }
  const Initializer vs = as_variance_scaling(init);
  if (vs.class_name == "VarianceScaling") {
    if (!(vs.scale > 0.0)) {
      throw ValueError(
          fmt::format("{} VarianceScaling expects a positive scale, received {}", where, vs.scale));
    }
    if (vs.mode != "fan_in" && vs.mode != "fan_out" && vs.mode != "fan_avg") {
      throw ValueError(fmt::format("{} VarianceScaling mode '{}'. Expected one of: fan_in, fan_out, fan_avg",
                                   where, vs.mode));
    }
    if (vs.distribution != "truncated_normal" && vs.distribution != "untruncated_normal" &&
        vs.distribution != "uniform" && vs.distribution != "normal") {
      throw ValueError(
          fmt::format("{} VarianceScaling distribution '{}'. Expected one of: truncated_normal, "
                      "untruncated_normal, uniform",
                      where, vs.distribution));
    }
  }
  if ((init.class_name == "RandomNormal" || init.class_name == "TruncatedNormal") && !(init.stddev >= 0.0)) {
    throw ValueError(
        fmt::format("{} {} expects a non-negative stddev, received {}", where, init.class_name, init.stddev));
  }
  if (init.class_name == "RandomUniform" && !(init.minval <= init.maxval)) {
    throw ValueError(fmt::format("{} RandomUniform expects minval <= maxval, received {} and {}", where,
                                 init.minval, init.maxval));
  }
}

namespace {
thread_local bool weights_to_be_loaded = false;
}  // namespace

WeightsToBeLoaded::WeightsToBeLoaded() : outer_(weights_to_be_loaded) {
  weights_to_be_loaded = true;
}

WeightsToBeLoaded::~WeightsToBeLoaded() {
  weights_to_be_loaded = outer_;
}

Tensor initialize(const Initializer& given, std::vector<int64_t> dims, double fan_in, double fan_out) {
  // Checked before allocating: a product that overflowed would allocate the wrong size, and a failed
  // allocation must say how much was asked for.
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d > 0 && elements > kMaxSampleElements / d) {
      throw ResourceError(
          fmt::format("A weight of shape ({}) would have more than 2^40 elements", fmt::join(dims, ", ")));
    }
    elements *= d;
  }
  Tensor t;
  try {
    t = Tensor::zeros(dims);
  } catch (const std::bad_alloc&) {
    throw ResourceError(fmt::format("Could not allocate {} bytes ({:.2f} GB) for a weight of shape ({})",
                                    elements * 4, static_cast<double>(elements) * 4e-9,
                                    fmt::join(dims, ", ")));
  }
  float* v = t.data();
  const int64_t n = t.size();
  const Initializer init = as_variance_scaling(given);
  const std::string& cls = init.class_name;
  if (cls == "Zeros") return t;
  if (cls == "Ones" || cls == "Constant") {
    std::fill(v, v + n, cls == "Ones" ? 1.0f : static_cast<float>(init.value));
    return t;
  }
  if (cls == "Identity") {
    if (dims.size() != 2) {
      throw ValueError(fmt::format("The Identity initializer takes weights of rank 2, received shape ({})",
                                   fmt::join(dims, ", ")));
    }
    for (int64_t i = 0; i < std::min(dims[0], dims[1]); ++i)
      v[i * dims[1] + i] = static_cast<float>(init.gain);
    return t;
  }
  if (weights_to_be_loaded) return t;  // after the cheap fills and the checks, before the random draws
  auto draw = [&](std::mt19937_64& engine) {
    if (cls == "Orthogonal") {
      const int64_t cols = dims.empty() ? 1 : dims.back();
      if (n > 0) orthogonal(engine, n / cols, cols, init.gain, v);
      return;
    }
    if (cls == "RandomUniform") {
      for (int64_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(init.minval + (init.maxval - init.minval) * unit_uniform(engine));
      return;
    }
    if (cls == "RandomNormal" || cls == "TruncatedNormal") {
      const bool truncated = cls == "TruncatedNormal";
      for (int64_t i = 0; i < n; ++i) {
        const double x = truncated ? truncated_normal(engine) : standard_normal(engine);
        v[i] = static_cast<float>(init.mean + init.stddev * x);
      }
      return;
    }
    // VarianceScaling: variance scale / fan, the fan per mode.
    const double fan = init.mode == "fan_out"   ? fan_out
                       : init.mode == "fan_avg" ? (fan_in + fan_out) / 2.0
                                                : fan_in;
    const double variance = init.scale / std::max(1.0, fan);
    if (init.distribution == "uniform") {
      const double limit = std::sqrt(3.0 * variance);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((2.0 * unit_uniform(engine) - 1.0) * limit);
    } else if (init.distribution == "untruncated_normal") {
      const double stddev = std::sqrt(variance);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(standard_normal(engine) * stddev);
    } else {
      // Truncated at two standard deviations; 0.8796... is the stddev of a unit normal so truncated.
      const double stddev = std::sqrt(variance) / 0.87962566103423978;
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(truncated_normal(engine) * stddev);
    }
  };
  if (init.seed) {
    std::mt19937_64 engine(static_cast<uint64_t>(*init.seed));
    draw(engine);
  } else {
    with_weight_generator(draw);
  }
  return t;
}

}  // namespace strata::detail
