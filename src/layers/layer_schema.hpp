#pragma once
// A layer's schema: its Keras class name and each argument once (Keras's key, the C++ member it sets, its
// codec), from which get_config, from_config, the C++ code generator and the docs' tables all follow.
//
// `Args` is the layer's constructor arguments gathered in one struct: the positional ones, then `options`
// (the public XxxOptions struct, whose `name` is the layer's name). Keys that do not change what the layer
// computes (regularizers, constraints, seeds, momentum's kin) are "kept": written with Keras's default,
// read and stored verbatim so that a loaded config writes back as it came.

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "layers/config_codecs.hpp"

namespace strata::detail {

class LayerImpl;

/// The member of `Args` an argument sets, usable on const and non-const Args:
/// `STRATA_ARG(options.strides)`.
#define STRATA_ARG(member)  \
  [](auto& args) -> auto& { \
    return args.member;     \
  }

/// Where an argument goes in the C++ call that makes the layer.
enum class ArgumentPlace {
  kPositional,  // a constructor argument before the options: `Conv2D(32, 3, ...)`
  kOption,      // a member of the options struct, named as the key: `{.strides = 2}`
};

/// One argument of a layer, typed by the layer's Args.
template <class Args>
struct Argument {
  std::string key;
  std::vector<std::string> aliases;  // older Keras spellings read as this key (Keras 2's `alpha`)
  ArgumentPlace place = ArgumentPlace::kOption;
  bool required = false;  // from_config fails without it (Conv2D's filters)
  const char* type = "";
  std::function<nlohmann::json(const Args&)> write;
  std::function<void(Args&, const nlohmann::json&, const ConfigKey&)> read;
  std::function<std::string(const Args&)> cpp;
  std::function<bool(const Args&)> is_default;
  // Set for values strata reads only approximately (an initializer it does not have, or a seeded one): the
  // config's value is kept verbatim for get_config, and the argument keeps its default when unreadable.
  std::function<bool(const nlohmann::json&)> keep_verbatim;
};

/// A key Keras writes that does not change inference. `accepts` (when set) refuses values that would:
/// Dense's `lora_rank`, for instance, adds weights strata does not have.
struct KeptKey {
  std::string key;
  nlohmann::json default_value;
  std::function<bool(const nlohmann::json&)> accepts;
  std::string accepted;  // what `accepts` allows, for the message
  bool written = true;   // false: Keras writes the key only when it is not the default
};

/// Type-erased facts about an argument, for the registry, the docs and the CLI.
struct ArgumentInfo {
  std::string key;
  const char* type;
  ArgumentPlace place;
  bool required;
  nlohmann::json default_value;  // in Keras's JSON; null when required
  std::string cpp_default;       // as C++ writes it ("1", "\"valid\""); empty when required
};

/// What the registry, get_config and the docs need of a schema, whatever the layer's Args.
class SchemaBase {
 public:
  explicit SchemaBase(std::string class_name) : class_name_(std::move(class_name)) {}
  virtual ~SchemaBase() = default;
  SchemaBase(SchemaBase&&) = default;  // built by a chain of calls, then moved into a static
  SchemaBase& operator=(SchemaBase&&) = delete;

  const std::string& class_name() const { return class_name_; }
  const std::vector<KeptKey>& kept_keys() const { return kept_; }
  /// Whether configs carry Keras's `trainable` and DTypePolicy `dtype` (all layers but InputLayer).
  bool base_keys() const { return base_keys_; }
  /// Whether `key` is an argument or one of its aliases.
  virtual bool knows(const std::string& key) const = 0;
  /// The arguments in order, with their defaults.
  virtual std::vector<ArgumentInfo> infos() const = 0;

 protected:
  std::string class_name_;
  std::vector<KeptKey> kept_;
  bool base_keys_ = true;
};

template <class Args>
class LayerSchema : public SchemaBase {
 public:
  explicit LayerSchema(std::string class_name) : SchemaBase(std::move(class_name)) {}

  /// A required constructor argument.
  template <class C = void, class Get>
  LayerSchema& required(std::string key, Get get) {
    add<C>(std::move(key), get, ArgumentPlace::kPositional, true);
    return *this;
  }
  /// A constructor argument with a default (MaxPooling2D's pool_size).
  template <class C = void, class Get>
  LayerSchema& positional(std::string key, Get get) {
    add<C>(std::move(key), get, ArgumentPlace::kPositional, false);
    return *this;
  }
  /// A member of the options struct; the C++ member is named as the key.
  template <class C = void, class Get>
  LayerSchema& option(std::string key, Get get) {
    add<C>(std::move(key), get, ArgumentPlace::kOption, false);
    return *this;
  }
  /// An older Keras spelling of the last argument added.
  LayerSchema& alias(std::string old_key) {
    arguments_.back().aliases.push_back(std::move(old_key));
    return *this;
  }
  /// A key with one value strata supports, such as data_format "channels_last".
  LayerSchema& fixed(std::string key, nlohmann::json value) {
    const nlohmann::json copy = value;
    kept_.push_back({std::move(key), std::move(value), [copy](const nlohmann::json& j) { return j == copy; },
                     copy.dump()});
    return *this;
  }
  /// A key that does not change inference, written as `default_value` unless a config gave another.
  LayerSchema& kept(std::string key, nlohmann::json default_value = nullptr) {
    kept_.push_back({std::move(key), std::move(default_value), nullptr, ""});
    return *this;
  }
  /// A key that does not change inference and that Keras does not write: kept and written back only when a
  /// config had it (Keras 2's `trainable` on SpatialDropout2D).
  LayerSchema& accepted(std::string key) {
    kept_.push_back({std::move(key), nullptr, nullptr, "", false});
    return *this;
  }
  /// A key Keras writes only when set (Dense's lora_rank), whose values other than `default_value` strata
  /// cannot honour.
  LayerSchema& only_default(std::string key, nlohmann::json default_value = nullptr) {
    const nlohmann::json copy = default_value;
    kept_.push_back({std::move(key), std::move(default_value),
                     [copy](const nlohmann::json& j) { return j == copy; }, copy.dump(), false});
    return *this;
  }
  /// Leaves out Keras's `trainable` and `dtype` keys (InputLayer's config has neither).
  LayerSchema& without_base_keys() {
    base_keys_ = false;
    return *this;
  }

  const std::vector<Argument<Args>>& arguments() const { return arguments_; }

  /// The arguments' keys and values (no name, no base or kept keys).
  nlohmann::json write(const Args& args) const {
    nlohmann::json out = nlohmann::json::object();
    for (const Argument<Args>& a : arguments_) out[a.key] = a.write(args);
    return out;
  }

  /// Reads every argument key of `config` into a default Args (the caller checks the rest of the keys).
  /// Values to write back as they came (see Argument::keep_verbatim) go to `verbatim`, key and JSON text.
  Args read(const nlohmann::json& config, const std::string& where,
            std::vector<std::pair<std::string, std::string>>& verbatim) const {
    Args args{};
    for (const Argument<Args>& a : arguments_) {
      const nlohmann::json* value = nullptr;
      const std::string* key = &a.key;
      if (config.contains(a.key)) {
        value = &config[a.key];
      } else {
        for (const std::string& old : a.aliases) {
          if (config.contains(old)) {
            value = &config[old];
            key = &old;
          }
        }
      }
      if (value == nullptr) {
        if (a.required) bad_config_value({where, a.key}, a.type, nlohmann::json("<missing>"));
        continue;
      }
      if (a.keep_verbatim && a.keep_verbatim(*value)) {
        verbatim.emplace_back(a.key, value->dump());
        try {
          a.read(args, *value, {where, *key});
        } catch (const std::exception&) {
          // The default stays: what strata creates before weights are loaded, never what it computes with.
        }
        continue;
      }
      a.read(args, *value, {where, *key});
    }
    return args;
  }

  bool knows(const std::string& key) const override {
    for (const Argument<Args>& a : arguments_) {
      if (a.key == key) return true;
      for (const std::string& old : a.aliases) {
        if (old == key) return true;
      }
    }
    return false;
  }

  /// `Conv2D(32, 3, {.strides = 2, .name = "conv1"})` without the namespace, defaults left out.
  std::string cpp(const Args& args, const std::string& name) const {
    std::string positional, options;
    for (const Argument<Args>& a : arguments_) {
      if (a.place == ArgumentPlace::kPositional) {
        positional += (positional.empty() ? "" : ", ") + a.cpp(args);
      } else if (!a.is_default(args)) {
        options += (options.empty() ? "." : ", .") + a.key + " = " + a.cpp(args);
      }
    }
    options += (options.empty() ? ".name = " : ", .name = ") + string_cpp(name);
    return class_name_ + "(" + positional + (positional.empty() ? "{" : ", {") + options + "})";
  }

  std::vector<ArgumentInfo> infos() const override {
    std::vector<ArgumentInfo> out;
    const Args defaults{};
    for (const Argument<Args>& a : arguments_) {
      out.push_back({a.key, a.type, a.place, a.required, a.required ? nlohmann::json() : a.write(defaults),
                     a.required ? "" : a.cpp(defaults)});
    }
    return out;
  }

 private:
  template <class C, class Get>
  void add(std::string key, Get get, ArgumentPlace place, bool required) {
    using T = std::remove_cvref_t<decltype(get(std::declval<Args&>()))>;
    using Use = std::conditional_t<std::is_void_v<C>, Codec<T>, C>;
    Argument<Args> a;
    a.key = std::move(key);
    a.place = place;
    a.required = required;
    a.type = Use::type;
    a.write = [get](const Args& args) { return Use::write(get(args)); };
    a.read = [get](Args& args, const nlohmann::json& j, const ConfigKey& at) {
      get(args) = Use::read(j, at);
    };
    a.cpp = [get](const Args& args) { return Use::cpp(get(args)); };
    a.is_default = [get](const Args& args) {
      static const Args defaults{};
      return Use::write(get(args)) == Use::write(get(defaults));
    };
    if constexpr (std::is_same_v<Use, InitializerCodec>) a.keep_verbatim = &InitializerCodec::keeps_verbatim;
    arguments_.push_back(std::move(a));
  }

  std::vector<Argument<Args>> arguments_;
};

}  // namespace strata::detail
