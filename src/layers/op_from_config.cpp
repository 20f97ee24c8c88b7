// Keras's operation classes (keras/src/ops/numpy.py, nn.py, math.py, core.py): each class's constructor
// arguments (its auto-config) and call parameters, mapped to the strata::ops function that makes the same op.

#include "layers/op_from_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

using json = nlohmann::json;

std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// A call's arguments, taken parameter by parameter in Keras's order: a keyword argument of the parameter's
// name when there is one, else the next positional argument.
class Arguments {
 public:
  Arguments(std::string where, const ConfigCall& call) : where_(std::move(where)), call_(call) {
    for (const auto& [key, tensors] : call_.tensor_kwargs) {
      if (std::any_of(tensors.begin(), tensors.end(), [](const SymbolicTensor& t) { return !t; }))
        throw ValueError(fmt::format("{} the call passes None among the tensors of '{}'", where_, key));
    }
  }

  ops::Operand operand(const std::string& key) {
    if (const auto it = call_.tensor_kwargs.find(key); it != call_.tensor_kwargs.end()) {
      used_.insert(key);
      return single(it->second, key);
    }
    if (call_.kwargs.contains(key)) {
      used_.insert(key);
      return number(call_.kwargs[key], key);
    }
    if (next_ >= call_.arguments.size()) {
      throw ValueError(fmt::format("{} the call has no argument '{}'", where_, key));
    }
    const ConfigArgument& a = call_.arguments[next_++];
    if (a.tensors.empty()) return number(a.value, key);
    if (a.list)
      throw ValueError(
          fmt::format("{} expected '{}' to be one tensor or a number, received a list", where_, key));
    return single(a.tensors, key);
  }

  SymbolicTensor tensor(const std::string& key) {
    const ops::Operand x = operand(key);
    if (x.is_number()) {
      throw ValueError(
          fmt::format("{} expected '{}' to be a tensor, received the number {}", where_, key, x.number()));
    }
    return x.tensor();
  }

  // A list of tensors (Concatenate's `xs`).
  std::vector<SymbolicTensor> tensors(const std::string& key) {
    if (const auto it = call_.tensor_kwargs.find(key); it != call_.tensor_kwargs.end()) {
      used_.insert(key);
      return it->second;
    }
    // A Keras 2 form node lists each tensor as an entry of its own.
    if (call_.legacy) {
      next_ = call_.arguments.size();
      return call_.inputs;
    }
    if (next_ >= call_.arguments.size() || !call_.arguments[next_].list) {
      throw ValueError(fmt::format("{} expected '{}' to be a list of tensors", where_, key));
    }
    return call_.arguments[next_++].tensors;
  }

  // Every argument was read: none left over, no keyword argument of another name.
  void finish() const {
    if (next_ < call_.arguments.size()) {
      throw ValueError(fmt::format("{} the call passes {} positional arguments; the operation takes {}",
                                   where_, call_.arguments.size(), next_));
    }
    for (const auto& [key, value] : call_.kwargs.items()) {
      if (!used_.contains(key))
        throw ValueError(fmt::format(
            "{} the call passes the keyword argument '{}', which the operation does not take", where_, key));
    }
    for (const auto& [key, value] : call_.tensor_kwargs) {
      if (!used_.contains(key))
        throw ValueError(fmt::format(
            "{} the call passes the keyword argument '{}', which the operation does not take", where_, key));
    }
  }

 private:
  ops::Operand single(const std::vector<SymbolicTensor>& tensors, const std::string& key) const {
    if (tensors.size() != 1)
      throw ValueError(
          fmt::format("{} expected '{}' to be one tensor, received {}", where_, key, tensors.size()));
    return tensors.front();
  }

  ops::Operand number(const json& value, const std::string& key) const {
    if (value.is_boolean()) return ops::Operand(value.get<bool>());
    if (value.is_number_unsigned() && value.get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()})
      return ops::Operand(static_cast<int64_t>(value.get<uint64_t>()));
    if (value.is_number_integer() && !value.is_number_unsigned()) return ops::Operand(value.get<int64_t>());
    if (value.is_number_float()) return ops::Operand(value.get<double>());
    if (const std::optional<double> v = config_number(value)) return ops::Operand(*v);  // NaN, +-Infinity
    throw ValueError(
        fmt::format("{} expected '{}' to be a tensor or a number, received {}", where_, key, shown(value)));
  }

  std::string where_;
  const ConfigCall& call_;
  size_t next_ = 0;
  std::set<std::string> used_;
};

// The constructor arguments in the config.
class Config {
 public:
  Config(std::string where, const json& config) : where_(std::move(where)), config_(config) {}

  const json* find(const std::string& key) const {
    read_.insert(key);
    const auto it = config_.find(key);
    return it == config_.end() || it->is_null() ? nullptr : &*it;
  }
  int integer(const std::string& key, int fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer() || v->get<int64_t>() < std::numeric_limits<int>::min() ||
        v->get<int64_t>() > std::numeric_limits<int>::max())
      bad(key, "an integer", *v);
    return static_cast<int>(v->get<int64_t>());
  }
  double real(const std::string& key, double fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    const std::optional<double> number = config_number(*v);
    if (!number) bad(key, "a number", *v);
    return *number;
  }
  // A constructor argument without a default (Clip's x_min): Keras's `cls(**config)` fails without it.
  const json& required(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) {
      throw ValueError(fmt::format("{} config key '{}' is missing; the operation requires it", where_, key));
    }
    return *v;
  }
  bool flag(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad(key, "true or false", *v);
    return v->get<bool>();
  }
  std::string text(const std::string& key, const std::string& fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    // A dtype may come as a DTypePolicy-like object; Keras's Cast writes the name.
    if (!v->is_string()) bad(key, "a string", *v);
    return v->get<std::string>();
  }
  std::vector<int> integers(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) return {};
    if (!v->is_array()) bad(key, "a list of integers", *v);
    std::vector<int> out;
    for (const json& item : *v) {
      if (!item.is_number_integer() || item.get<int64_t>() < std::numeric_limits<int>::min() ||
          item.get<int64_t>() > std::numeric_limits<int>::max())
        bad(key, "a list of integers", *v);
      out.push_back(static_cast<int>(item.get<int64_t>()));
    }
    return out;
  }
  // Keras's axis argument: None, an int, or a list.
  ops::Axes axes(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr) return {};
    if (v->is_number_integer()) return ops::Axes(integer(key, 0));
    const std::vector<int> list = integers(key);
    if (list.empty()) bad(key, "None, an integer or a list of at least one", *v);
    return ops::Axes(list);
  }
  std::vector<int64_t> shape(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr || !v->is_array()) bad(key, "a list of integers", v == nullptr ? json() : *v);
    std::vector<int64_t> out;
    for (const json& item : *v) {
      if (!item.is_number_integer() ||
          (item.is_number_unsigned() && item.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}))
        bad(key, "a list of integers", *v);
      out.push_back(item.get<int64_t>());
    }
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& key, const char* expected, const json& value) const {
    throw ValueError(
        fmt::format("{} config key '{}': expected {}, received {}", where_, key, expected, shown(value)));
  }

  std::string where_;
  const json& config_;
  mutable std::set<std::string> read_;

 public:
  // Every key was one the operation takes (Keras's `cls(**config)` fails on any other). `initial`, which
  // Keras's Max and Min write as null, is accepted as such.
  void finish() const {
    for (const auto& [key, value] : config_.items()) {
      if (key == "name" || read_.contains(key) || (key == "initial" && value.is_null())) continue;
      throw ValueError(fmt::format("{} config key '{}': the operation does not take it (received {})", where_,
                                   key, shown(value)));
    }
  }
};

using Maker = std::function<SymbolicTensor(const Config&, Arguments&)>;

template <SymbolicTensor (*F)(const ops::Operand&, const ops::Operand&)>
SymbolicTensor binary(const Config&, Arguments& a) {
  const ops::Operand x1 = a.operand("x1");
  return F(x1, a.operand("x2"));
}

template <SymbolicTensor (*F)(const SymbolicTensor&)>
SymbolicTensor unary(const Config&, Arguments& a) {
  return F(a.tensor("x"));
}

template <SymbolicTensor (*F)(const SymbolicTensor&, const ops::Axes&, bool)>
SymbolicTensor reduction(const Config& c, Arguments& a) {
  return F(a.tensor("x"), c.axes("axis"), c.flag("keepdims", false));
}

const std::map<std::string, Maker>& makers() {
  static const std::map<std::string, Maker> all = {
      {"Add", binary<ops::add>},
      {"Subtract", binary<ops::subtract>},
      {"Multiply", binary<ops::multiply>},
      {"Divide", binary<ops::divide>},
      {"TrueDivide", binary<ops::true_divide>},
      {"Maximum", binary<ops::maximum>},
      {"Minimum", binary<ops::minimum>},
      {"Power", binary<ops::power>},
      {"Equal", binary<ops::equal>},
      {"NotEqual", binary<ops::not_equal>},
      {"Less", binary<ops::less>},
      {"LessEqual", binary<ops::less_equal>},
      {"Greater", binary<ops::greater>},
      {"GreaterEqual", binary<ops::greater_equal>},
      {"LogicalAnd", binary<ops::logical_and>},
      {"LogicalOr", binary<ops::logical_or>},
      {"LogicalNot", unary<ops::logical_not>},
      {"Where",
       [](const Config&, Arguments& a) {
         const ops::Operand condition = a.operand("condition");
         const ops::Operand x1 = a.operand("x1");
         return ops::where(condition, x1, a.operand("x2"));
       }},
      {"Negative", unary<ops::negative>},
      {"Absolute", unary<ops::absolute>},
      {"Square", unary<ops::square>},
      {"Sqrt", unary<ops::sqrt>},
      {"Exp", unary<ops::exp>},
      {"Log", unary<ops::log>},
      {"Erf", unary<ops::erf>},
      {"Tanh", unary<ops::tanh>},
      {"Relu", unary<ops::relu>},
      {"Relu6", unary<ops::relu6>},
      {"Sigmoid", unary<ops::sigmoid>},
      {"Softplus", unary<ops::softplus>},
      {"Silu", unary<ops::silu>},
      {"Selu", unary<ops::selu>},
      {"HardSigmoid", unary<ops::hard_sigmoid>},
      {"HardSilu", unary<ops::hard_silu>},
      {"Clip",
       [](const Config& c, Arguments& a) {
         c.required("x_min");
         c.required("x_max");
         return ops::clip(a.tensor("x"), c.real("x_min", 0.0), c.real("x_max", 0.0));
       }},
      {"Gelu",
       [](const Config& c, Arguments& a) { return ops::gelu(a.tensor("x"), c.flag("approximate", true)); }},
      {"Elu", [](const Config& c, Arguments& a) { return ops::elu(a.tensor("x"), c.real("alpha", 1.0)); }},
      {"LeakyRelu",
       [](const Config& c, Arguments& a) {
         return ops::leaky_relu(a.tensor("x"), c.real("negative_slope", 0.2));
       }},
      {"Softmax",
       [](const Config& c, Arguments& a) { return ops::softmax(a.tensor("x"), c.integer("axis", -1)); }},
      {"LogSoftmax",
       [](const Config& c, Arguments& a) { return ops::log_softmax(a.tensor("x"), c.integer("axis", -1)); }},
      {"Sum", reduction<ops::sum>},
      {"Mean", reduction<ops::mean>},
      {"Max", reduction<ops::max>},
      {"Min", reduction<ops::min>},
      {"Any", reduction<ops::any>},
      {"All", reduction<ops::all>},
      {"Reshape",
       [](const Config& c, Arguments& a) { return ops::reshape(a.tensor("x"), c.shape("newshape")); }},
      {"ExpandDims",
       [](const Config& c, Arguments& a) {
         c.required("axis");
         return ops::expand_dims(a.tensor("x"), c.integer("axis", 0));
       }},
      {"Squeeze", [](const Config& c, Arguments& a) { return ops::squeeze(a.tensor("x"), c.axes("axis")); }},
      {"Transpose",
       [](const Config& c, Arguments& a) { return ops::transpose(a.tensor("x"), c.integers("axes")); }},
      {"Concatenate",
       [](const Config& c, Arguments& a) { return ops::concatenate(a.tensors("xs"), c.integer("axis", 0)); }},
      {"Cast",
       [](const Config& c, Arguments& a) {
         c.required("dtype");
         return ops::cast(a.tensor("x"), c.text("dtype", "float32"));
       }},
      {"Matmul",
       [](const Config&, Arguments& a) {
         const SymbolicTensor x1 = a.tensor("x1");
         return ops::matmul(x1, a.tensor("x2"));
       }},
  };
  return all;
}

}  // namespace

bool is_op_module(const std::string& module) {
  return module.starts_with("keras.src.ops.");
}

SymbolicTensor op_from_config(const std::string& class_name, const std::string& module, const json& config,
                              const ConfigCall& call) {
  const auto it = makers().find(class_name);
  if (it == makers().end()) {
    throw ValueError(
        fmt::format("the Keras operation {} (module {}) is not one strata has", class_name, module));
  }
  if (!config.is_object())
    throw ValueError(
        fmt::format("expected the operation's config to be an object, received {}", shown(config)));
  const std::string where = fmt::format("[{} ({})]", config.value("name", std::string("?")), class_name);
  Arguments arguments(where, call);
  std::optional<NextOpName> named;
  if (config.contains("name") && config["name"].is_string()) named.emplace(config["name"].get<std::string>());
  const Config constructor(where, config);
  const SymbolicTensor out = it->second(constructor, arguments);
  constructor.finish();
  arguments.finish();
  return out;
}

}  // namespace strata::detail
