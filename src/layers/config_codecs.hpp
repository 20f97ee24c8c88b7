#pragma once
// How each C++ argument type of a layer reads and writes Keras's JSON, and prints as C++ for the code
// generator. A layer's schema (layer_schema.hpp) names one codec per argument; the type decides it unless
// the schema picks a Keras spelling (an activation or an initializer is a string in C++ and in Keras 3 the
// first stays a string, the second becomes an object).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::detail {

/// Where a config value came from, for messages: `[conv1 (Conv2D)] config key 'strides'`.
struct ConfigKey {
  const std::string& where;
  const std::string& key;
};

/// Throws ValueError: "<where> config key '<key>': expected <expected>, received <value as JSON>".
[[noreturn]] void bad_config_value(const ConfigKey& at, const char* expected, const nlohmann::json& value);

/// JSON for a float as Keras writes the Python float it came from: 0.3f is written 0.3, not
/// 0.30000001192092896 (the shortest decimal that reads back as the same float).
nlohmann::json float_json(float value);
/// The same shortest decimal, as C++ source ("0.3f").
std::string float_cpp(float value);
/// A C++ string literal with quotes and escapes.
std::string string_cpp(const std::string& value);

/// The codec of a type. Each has: `static nlohmann::json write(const T&)`, `static T read(const
/// nlohmann::json&, const ConfigKey&)` (throws through bad_config_value), `static std::string cpp(const T&)`
/// and `static constexpr const char* type`, the type as the docs name it.
template <class T>
struct Codec;

template <>
struct Codec<int> {
  static constexpr const char* type = "int";
  static nlohmann::json write(int v) { return v; }
  static int read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(int v) { return std::to_string(v); }
};

template <>
struct Codec<bool> {
  static constexpr const char* type = "bool";
  static nlohmann::json write(bool v) { return v; }
  static bool read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(bool v) { return v ? "true" : "false"; }
};

template <>
struct Codec<float> {
  static constexpr const char* type = "float";
  static nlohmann::json write(float v) { return float_json(v); }
  static float read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(float v) { return float_cpp(v); }
};

template <>
struct Codec<std::string> {
  static constexpr const char* type = "str";
  static nlohmann::json write(const std::string& v) { return v; }
  static std::string read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::string& v) { return string_cpp(v); }
};

/// None or a float (ReLU's max_value).
template <>
struct Codec<std::optional<float>> {
  static constexpr const char* type = "float or None";
  static nlohmann::json write(const std::optional<float>& v) { return v ? float_json(*v) : nlohmann::json(); }
  static std::optional<float> read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::optional<float>& v) { return v ? float_cpp(*v) : "std::nullopt"; }
};

/// None or an integer (Dropout's seed).
template <>
struct Codec<std::optional<int64_t>> {
  static constexpr const char* type = "int or None";
  static nlohmann::json write(const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  }
  static std::optional<int64_t> read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "std::nullopt"; }
};

/// Keras's (h, w) tuple; an integer reads as both.
template <>
struct Codec<Size2> {
  static constexpr const char* type = "(int, int)";
  static nlohmann::json write(const Size2& v) { return nlohmann::json::array({v.h(), v.w()}); }
  static Size2 read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const Size2& v);
};

/// None or Keras's (h, w) tuple (Conv2DTranspose's output_padding).
template <>
struct Codec<std::optional<Size2>> {
  static constexpr const char* type = "(int, int) or None";
  static nlohmann::json write(const std::optional<Size2>& v) {
    return v ? Codec<Size2>::write(*v) : nlohmann::json();
  }
  static std::optional<Size2> read(const nlohmann::json& j, const ConfigKey& at) {
    if (j.is_null()) return std::nullopt;
    return Codec<Size2>::read(j, at);
  }
  static std::string cpp(const std::optional<Size2>& v);
};

/// A 1D layer's size, an int in C++: Keras writes it as a tuple of one, (2,), and reads an integer too.
struct Tuple1Codec {
  static constexpr const char* type = "int";
  static nlohmann::json write(int v) { return nlohmann::json::array({v}); }
  static int read(const nlohmann::json& j, const ConfigKey& at) {
    if (j.is_array() && j.size() == 1) return Codec<int>::read(j[0], at);
    if (!j.is_number()) bad_config_value(at, "an integer or a list of one integer", j);
    return Codec<int>::read(j, at);
  }
  static std::string cpp(int v) { return std::to_string(v); }
};

/// None or a 1D size (a 1D pooling's strides, Conv1DTranspose's output_padding): null reads as none given.
struct OptionalTuple1Codec {
  static constexpr const char* type = "int or None";
  static nlohmann::json write(const std::optional<int>& v) {
    return v ? Tuple1Codec::write(*v) : nlohmann::json();
  }
  static std::optional<int> read(const nlohmann::json& j, const ConfigKey& at) {
    if (j.is_null()) return std::nullopt;
    return Tuple1Codec::read(j, at);
  }
  static std::string cpp(const std::optional<int>& v) { return v ? std::to_string(*v) : "std::nullopt"; }
};

/// Keras's ((top, bottom), (left, right)); an integer or an (h, w) pair reads as symmetric margins.
template <>
struct Codec<Margins2D> {
  static constexpr const char* type = "((int, int), (int, int))";
  static nlohmann::json write(const Margins2D& m);
  static Margins2D read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const Margins2D& m);
};

/// Keras's (before, after); an integer reads as both.
template <>
struct Codec<Margins1D> {
  static constexpr const char* type = "(int, int)";
  static nlohmann::json write(const Margins1D& m) { return nlohmann::json::array({m.before(), m.after()}); }
  static Margins1D read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const Margins1D& m);
};

/// Keras's int-or-tuple axis argument (LayerNormalization's `axis`): a number for one int, else a list.
template <>
struct Codec<Axes> {
  static constexpr const char* type = "int or tuple of int";
  static nlohmann::json write(const Axes& v);
  static Axes read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const Axes& v);
};

/// Dropout's noise_shape: a tuple whose entries may be None, or None itself (an empty vector).
template <>
struct Codec<std::vector<Dim>> {
  static constexpr const char* type = "tuple of int or None, or None";
  static nlohmann::json write(const std::vector<Dim>& v);
  static std::vector<Dim> read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::vector<Dim>& v);
};

/// A tuple of integers (Reshape's target_shape, -1 allowed).
template <>
struct Codec<std::vector<int64_t>> {
  static constexpr const char* type = "tuple of int";
  static nlohmann::json write(const std::vector<int64_t>& v) { return v; }
  static std::vector<int64_t> read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::vector<int64_t>& v);
};

/// Keras's activation argument: the name as a string ("relu"), Keras 3's own spelling ("silu" for "swish").
struct ActivationCodec {
  static constexpr const char* type = "activation name";
  static nlohmann::json write(const std::string& v);
  static std::string read(const nlohmann::json& j, const ConfigKey& at);
  static std::string cpp(const std::string& v) { return string_cpp(v); }
};

/// Keras's initializer argument, a strata::Initializer. Keras 3 writes `{"module": "keras.initializers",
/// "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}`. Reads that, Keras 2's
/// `{"class_name", "config"}` (the `VarianceScaling` form Keras 2.0-2.2 wrote for the named ones reads as the
/// name) and plain names. `read` throws for a class strata does not have; a schema keeps such a value
/// verbatim instead (`keeps_verbatim`), since an initializer only decides the weights a layer starts with
/// before a file's are loaded.
struct InitializerCodec {
  static constexpr const char* type = "initializer";
  /// True for a value `read` cannot take.
  static bool keeps_verbatim(const nlohmann::json& j);
  static nlohmann::json write(const Initializer& v);
  static Initializer read(const nlohmann::json& j, const ConfigKey& at);
  /// A name literal for the named ones with default arguments, else a `strata::initializers::` call.
  static std::string cpp(const Initializer& v);
};

/// A layer argument of a wrapper (Bidirectional's and TimeDistributed's `layer`), as Keras 3 serializes it:
/// `{"module": "keras.layers", "class_name", "config", "registered_name": null}`; Keras 2's
/// `{"class_name", "config"}` reads too. `read` makes the layer through the registry.
struct SerializedLayerCodec {
  static constexpr const char* type = "layer";
  static nlohmann::json write(const Layer& v);
  static Layer read(const nlohmann::json& j, const ConfigKey& at);
  /// The layer's own constructor: `LSTM(8, {.name = "l"})`.
  static std::string cpp(const Layer& v);
};

/// The deepest nesting a config may have. Keras's nest a handful of levels (a model in a model in a
/// config); nlohmann's dump, copy and comparison recurse, so a hostile file must not reach them deeper.
constexpr int kMaxConfigDepth = 64;

/// Throws ValueError, starting with `where`, when `config` nests deeper than kMaxConfigDepth.
void check_config_depth(const nlohmann::json& config, const std::string& where);

/// Keras 3's `dtype` of a layer: the DTypePolicy object for "float32".
nlohmann::json float32_policy_json();

}  // namespace strata::detail
