#include "layers/config_codecs.hpp"

#include "layers/layer_registry.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

bool fits_int(const nlohmann::json& j) {
  if (j.is_number_unsigned())
    return j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int>::max());
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max();
  }
  return false;
}

int int_or_throw(const nlohmann::json& j, const ConfigKey& at, const char* expected) {
  if (!fits_int(j)) bad_config_value(at, expected, j);
  return j.get<int>();
}

std::string shortest(float value) {
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), ec == std::errc() ? end : buffer.data());
}

}  // namespace

void bad_config_value(const ConfigKey& at, const char* expected, const nlohmann::json& value) {
  throw ValueError(fmt::format("{} config key '{}': expected {}, received {}", at.where, at.key, expected,
                               value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

nlohmann::json float_json(float value) {
  if (!std::isfinite(value)) return static_cast<double>(value);  // nlohmann writes null; never a valid option
  // from_chars, not stod: strtod follows the C locale, which a host application may have set to one that
  // writes decimals with a comma.
  const std::string text = shortest(value);
  double wide = 0.0;
  std::from_chars(text.data(), text.data() + text.size(), wide);
  return wide;
}

std::string float_cpp(float value) {
  std::string text = shortest(value);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text + "f";
}

std::string string_cpp(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          // Octal, always three digits: a hex escape would swallow a following hex digit.
          out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

int Codec<int>::read(const nlohmann::json& j, const ConfigKey& at) {
  return int_or_throw(j, at, "an integer");
}

bool Codec<bool>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (!j.is_boolean()) bad_config_value(at, "true or false", j);
  return j.get<bool>();
}

float Codec<float>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (!j.is_number()) bad_config_value(at, "a number", j);
  const double v = j.get<double>();
  if (!(std::fabs(v) <= std::numeric_limits<float>::max()))
    bad_config_value(at, "a finite float32 number", j);
  return static_cast<float>(v);
}

std::string Codec<std::string>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (!j.is_string()) bad_config_value(at, "a string", j);
  return j.get<std::string>();
}

std::optional<float> Codec<std::optional<float>>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (j.is_null()) return std::nullopt;
  return Codec<float>::read(j, at);
}

std::optional<int64_t> Codec<std::optional<int64_t>>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (j.is_null()) return std::nullopt;
  if (!j.is_number_integer()) bad_config_value(at, "an integer or null", j);
  if (j.is_number_unsigned() &&
      j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    bad_config_value(at, "a 64-bit integer or null", j);
  }
  return j.get<int64_t>();
}

Size2 Codec<Size2>::read(const nlohmann::json& j, const ConfigKey& at) {
  constexpr const char* expected = "an integer or a list of two integers";
  if (j.is_number()) return Size2(int_or_throw(j, at, expected));
  if (!j.is_array() || j.size() != 2) bad_config_value(at, expected, j);
  return Size2(int_or_throw(j[0], at, expected), int_or_throw(j[1], at, expected));
}

std::string Codec<Size2>::cpp(const Size2& v) {
  return v.h() == v.w() ? std::to_string(v.h()) : fmt::format("{{{}, {}}}", v.h(), v.w());
}

std::string Codec<std::optional<Size2>>::cpp(const std::optional<Size2>& v) {
  if (!v) return "std::nullopt";
  return v->h() == v->w() ? fmt::format("strata::Size2({})", v->h())
                          : fmt::format("strata::Size2({}, {})", v->h(), v->w());
}

Margins1D Codec<Margins1D>::read(const nlohmann::json& j, const ConfigKey& at) {
  constexpr const char* expected = "an integer or a list of two integers";
  if (j.is_number()) return Margins1D(int_or_throw(j, at, expected));
  if (!j.is_array() || j.size() != 2) bad_config_value(at, expected, j);
  return Margins1D(int_or_throw(j[0], at, expected), int_or_throw(j[1], at, expected));
}

std::string Codec<Margins1D>::cpp(const Margins1D& m) {
  return m.before() == m.after() ? std::to_string(m.before())
                                 : fmt::format("{{{}, {}}}", m.before(), m.after());
}

nlohmann::json Codec<Margins2D>::write(const Margins2D& m) {
  return nlohmann::json::array(
      {nlohmann::json::array({m.top(), m.bottom()}), nlohmann::json::array({m.left(), m.right()})});
}

Margins2D Codec<Margins2D>::read(const nlohmann::json& j, const ConfigKey& at) {
  constexpr const char* expected = "an integer, a pair of integers or a pair of pairs of integers";
  if (j.is_number()) return Margins2D(int_or_throw(j, at, expected));
  if (!j.is_array() || j.size() != 2) bad_config_value(at, expected, j);
  if (j[0].is_number() && j[1].is_number()) {
    return Margins2D(int_or_throw(j[0], at, expected), int_or_throw(j[1], at, expected));
  }
  auto pair = [&](const nlohmann::json& p) {
    if (!p.is_array() || p.size() != 2) bad_config_value(at, expected, j);
    return std::pair<int, int>(int_or_throw(p[0], at, expected), int_or_throw(p[1], at, expected));
  };
  return Margins2D(pair(j[0]), pair(j[1]));
}

std::string Codec<Margins2D>::cpp(const Margins2D& m) {
  if (m.top() == m.bottom() && m.left() == m.right()) {
    return m.top() == m.left() ? std::to_string(m.top()) : fmt::format("{{{}, {}}}", m.top(), m.left());
  }
  return fmt::format("{{{{{}, {}}}, {{{}, {}}}}}", m.top(), m.bottom(), m.left(), m.right());
}

std::vector<int64_t> Codec<std::vector<int64_t>>::read(const nlohmann::json& j, const ConfigKey& at) {
  constexpr const char* expected = "a list of integers";
  if (!j.is_array()) bad_config_value(at, expected, j);
  std::vector<int64_t> out;
  for (const nlohmann::json& e : j) {
    if (!e.is_number_integer() ||
        (e.is_number_unsigned() &&
         e.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      bad_config_value(at, expected, j);
    }
    out.push_back(e.get<int64_t>());
  }
  return out;
}

nlohmann::json Codec<std::vector<Dim>>::write(const std::vector<Dim>& v) {
  if (v.empty()) return nullptr;
  nlohmann::json out = nlohmann::json::array();
  for (const Dim& d : v) out.push_back(d ? nlohmann::json(*d) : nlohmann::json());
  return out;
}

std::vector<Dim> Codec<std::vector<Dim>>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (j.is_null()) return {};
  if (!j.is_array()) bad_config_value(at, "a list of int or None", j);
  std::vector<Dim> out;
  for (const nlohmann::json& e : j) out.push_back(Codec<std::optional<int64_t>>::read(e, at));
  return out;
}

std::string Codec<std::vector<Dim>>::cpp(const std::vector<Dim>& v) {
  std::vector<std::string> parts;
  for (const Dim& d : v) parts.push_back(d ? std::to_string(*d) : "strata::None");
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

nlohmann::json Codec<Axes>::write(const Axes& v) {
  if (!v.given()) return nullptr;
  if (v.single()) return v.values().front();
  return v.values();
}

Axes Codec<Axes>::read(const nlohmann::json& j, const ConfigKey& at) {
  if (j.is_number_integer()) return Axes(Codec<int>::read(j, at));
  if (!j.is_array()) bad_config_value(at, "an axis or a list of axes", j);
  std::vector<int> axes;
  for (const nlohmann::json& e : j) axes.push_back(Codec<int>::read(e, at));
  return Axes(std::move(axes));
}

std::string Codec<Axes>::cpp(const Axes& v) {
  if (v.single()) return std::to_string(v.values().front());
  return fmt::format("{{{}}}", fmt::join(v.values(), ", "));
}

std::string Codec<std::vector<int64_t>>::cpp(const std::vector<int64_t>& v) {
  return fmt::format("{{{}}}", fmt::join(v, ", "));
}

nlohmann::json ActivationCodec::write(const std::string& v) {
  // Keras 3 writes the function's own name: "silu" for swish too. Layers check the name when made.
  const std::string name = activation_name(parse_activation(v, "[activation]"));
  return name == "swish" ? "silu" : name;
}

std::string ActivationCodec::read(const nlohmann::json& j, const ConfigKey& at) {
  // Keras 3 serializes built-in activations by name; an object is a custom or a parametrized one.
  if (!j.is_string()) bad_config_value(at, "an activation name", j);
  return j.get<std::string>();
}

nlohmann::json InitializerCodec::write(const Initializer& v) {
  const auto seed = v.seed ? nlohmann::json(*v.seed) : nlohmann::json();
  const std::string& cls = v.class_name;
  nlohmann::json config = nlohmann::json::object();
  if (cls == "VarianceScaling") {
    config = {{"scale", v.scale}, {"mode", v.mode}, {"distribution", v.distribution}, {"seed", seed}};
  } else if (cls == "RandomNormal" || cls == "TruncatedNormal") {
    config = {{"mean", v.mean}, {"stddev", v.stddev}, {"seed", seed}};
  } else if (cls == "RandomUniform") {
    config = {{"minval", v.minval}, {"maxval", v.maxval}, {"seed", seed}};
  } else if (cls == "Constant") {
    config = {{"value", v.value}};
  } else if (cls == "Orthogonal") {
    config = {{"gain", v.gain}, {"seed", seed}};
  } else if (cls == "Identity") {
    config = {{"gain", v.gain}};
  } else if (cls != "Zeros" && cls != "Ones") {
    config = {{"seed", seed}};  // Glorot, He and Lecun: seed only
  }
  return {{"module", "keras.initializers"},
          {"class_name", cls},
          {"config", std::move(config)},
          {"registered_name", nullptr}};
}

Initializer InitializerCodec::read(const nlohmann::json& j, const ConfigKey& at) {
  constexpr const char* expected =
      "an initializer strata has (GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, "
      "LecunNormal, "
      "VarianceScaling, RandomNormal, RandomUniform, TruncatedNormal, Constant, Zeros, Ones, Orthogonal, "
      "Identity, "
      "or their snake_case names)";
  if (j.is_string()) {
    Initializer init(j.get<std::string>());
    if (!init.known()) bad_config_value(at, expected, j);
    return init;
  }
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string()) {
    bad_config_value(at, expected, j);
  }
  Initializer init(j["class_name"].get<std::string>());
  if (!init.known()) bad_config_value(at, expected, j);
  const nlohmann::json& config = j.contains("config") && j["config"].is_object() ? j["config"] : j;
  auto number = [&](const char* key, double& out) {
    if (!config.contains(key)) return;
    if (!config[key].is_number()) bad_config_value(at, expected, j);
    out = config[key].get<double>();
  };
  auto text = [&](const char* key, std::string& out) {
    if (!config.contains(key)) return;
    if (!config[key].is_string()) bad_config_value(at, expected, j);
    out = config[key].get<std::string>();
  };
  number("scale", init.scale);
  text("mode", init.mode);
  text("distribution", init.distribution);
  number("mean", init.mean);
  number("stddev", init.stddev);
  number("minval", init.minval);
  number("maxval", init.maxval);
  number("value", init.value);
  number("gain", init.gain);
  if (config.contains("seed") && !config["seed"].is_null()) {
    if (!config["seed"].is_number_integer()) bad_config_value(at, expected, j);
    init.seed = config["seed"].get<int64_t>();
  }
  if (init.class_name == "VarianceScaling" && !j.contains("module")) {
    // Keras before 2.3 spelled the truncated normal "normal", and wrote the named initializers in this form.
    if (init.distribution == "normal") init.distribution = "truncated_normal";
    return as_named(init);
  }
  return init;
}

std::string InitializerCodec::cpp(const Initializer& v) {
  const std::string name = initializer_name(v);
  if (!name.empty()) return string_cpp(name);
  const std::string seed = v.seed ? std::to_string(*v.seed) : "std::nullopt";
  const std::string& cls = v.class_name;
  auto num = [](double d) { return fmt::format("{}", d); };  // shortest round trip; an int converts
  std::string args;
  if (cls == "VarianceScaling") {
    args = fmt::format("{}, {}, {}, {}", num(v.scale), string_cpp(v.mode), string_cpp(v.distribution), seed);
  } else if (cls == "RandomNormal" || cls == "TruncatedNormal") {
    args = fmt::format("{}, {}, {}", num(v.mean), num(v.stddev), seed);
  } else if (cls == "RandomUniform") {
    args = fmt::format("{}, {}, {}", num(v.minval), num(v.maxval), seed);
  } else if (cls == "Constant") {
    args = num(v.value);
  } else if (cls == "Orthogonal") {
    args = fmt::format("{}, {}", num(v.gain), seed);
  } else if (cls == "Identity") {
    args = num(v.gain);
  } else if (cls != "Zeros" && cls != "Ones") {
    args = seed;
  }
  return fmt::format("strata::initializers::{}({})", cls, args);
}

void check_config_depth(const nlohmann::json& config, const std::string& where) {
  // Iterative: a recursive walk (or nlohmann's dump, copy and ==, which recurse) would overflow the stack on
  // a config nested a few hundred thousand levels deep.
  std::vector<std::pair<const nlohmann::json*, int>> stack = {{&config, 1}};
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxConfigDepth) {
      throw ValueError(fmt::format("{} The config nests more than {} levels deep; Keras's configs nest a few",
                                   where, kMaxConfigDepth));
    }
    if (node->is_structured()) {
      for (const nlohmann::json& child : *node) stack.emplace_back(&child, depth + 1);
    }
  }
}

bool InitializerCodec::keeps_verbatim(const nlohmann::json& j) {
  static const std::string where = "[?]", key = "initializer";
  try {
    read(j, {where, key});
  } catch (const ValueError&) {
    return true;
  }
  return false;
}

nlohmann::json float32_policy_json() {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", "float32"}}},
          {"registered_name", nullptr}};
}

nlohmann::json SerializedLayerCodec::write(const Layer& v) {
  if (!v) return nullptr;
  return {{"module", "keras.layers"},
          {"class_name", v.class_name()},
          {"config", get_layer_config(*v.impl())},
          {"registered_name", nullptr}};
}

Layer SerializedLayerCodec::read(const nlohmann::json& j, const ConfigKey& at) {
  if (!j.is_object() || !j.contains("class_name") || !j["class_name"].is_string() || !j.contains("config"))
    bad_config_value(at, "a serialized layer ({\"class_name\", \"config\"})", j);
  return Layer(layer_from_config(j["class_name"].get<std::string>(), j["config"]));
}

std::string SerializedLayerCodec::cpp(const Layer& v) {
  if (!v) return "{}";
  // A wrapped layer that is not trainable has no name of its own in the code to set the flag on.
  if (!v.trainable())
    return fmt::format("[] {{ auto layer = {}; layer.set_trainable(false); return layer; }}()",
                       v.impl()->cpp_constructor());
  return v.impl()->cpp_constructor();
}

}  // namespace strata::detail
