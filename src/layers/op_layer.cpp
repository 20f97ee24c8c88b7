#include "layers/op_layer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/session.hpp"
#include "graph/node.hpp"
#include "layers/broadcast.hpp"

#include "strata/error.hpp"

namespace strata::detail {

Shape broadcast_op_shapes(const std::string& where, const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) {
    // numpy would line the shorter shape's batch axis up with an axis of the longer one: right for one batch
    // size only, and never what a model means.
    throw ShapeError(
        fmt::format("{} Cannot broadcast tensors of different ranks, {} and {}: their batch axes "
                    "would not line up. Give the smaller one the same rank first "
                    "(ops::expand_dims or ops::reshape)",
                    where, a.to_string(), b.to_string()));
  }
  std::vector<Dim> out(a.dims());
  for (int i = 0; i < a.rank(); ++i) {
    const Dim& x = a[i];
    const Dim& y = b[i];
    // Keras's rule term by term: an unknown dimension meets a known one optimistically.
    if (x && *x == 1) {
      out[i] = y;
    } else if (!x) {
      out[i] = (y && *y == 1) ? None : y;
    } else if (!(y && *y != 1 && *y != *x)) {
      out[i] = x;
    } else {
      throw ShapeError(
          fmt::format("{} Cannot broadcast shape, the failure dim has value {}, which cannot be "
                      "broadcasted to {}. Input shapes are: {} and {}",
                      where, *x, *y, a.to_string(), b.to_string()));
    }
  }
  return Shape(out);
}

namespace {
thread_local std::optional<std::string> next_op_name;
}  // namespace

NextOpName::NextOpName(std::string name) : outer_(std::move(next_op_name)) {
  next_op_name = std::move(name);
}

NextOpName::~NextOpName() {
  next_op_name = std::move(outer_);
}

SymbolicTensor call_op(std::shared_ptr<OpLayer> op, const std::vector<SymbolicTensor>& inputs) {
  if (next_op_name) {
    op->rename(std::move(*next_op_name));
    next_op_name.reset();
  }
  return call_layer(op, inputs).front();
}

nlohmann::json OpLayer::keras3_call(const Node& node,
                                    const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const {
  nlohmann::json args = nlohmann::json::array();
  size_t next = 0;
  for (const OpArgument& a : call_arguments(node.inputs.size())) {
    if (!a.is_tensor()) {
      args.push_back(a.json());
    } else if (next < node.inputs.size()) {
      args.push_back(ref(node.inputs[next++]));
    }
  }
  return {{"args", args}, {"kwargs", nlohmann::json::object()}};
}

int normalize_axis(const std::string& where, int axis, int rank, bool batch_allowed) {
  const int normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) {
    throw ValueError(fmt::format("{} axis {} is out of bounds for a tensor of rank {}", where, axis, rank));
  }
  if (normalized == 0 && !batch_allowed) {
    throw ValueError(
        fmt::format("{} axis {} is the batch axis, which strata keeps: every op here works on one "
                    "sample at a time",
                    where, axis));
  }
  return normalized;
}

nlohmann::json axes_json(const ops::Axes& axes) {
  if (!axes.given()) return nullptr;
  if (axes.single()) return axes.values().front();
  return axes.values();
}

nlohmann::json OpArgument::json() const {
  if (!number) return nullptr;
  if (boolean) return integer != 0;
  if (integral) return integer;
  return number_json(*number);
}

namespace {
// A prefix no Keras string has (names are printable), so the markers cannot be mistaken for text.
constexpr std::string_view kMarker = "\x01strata:";
constexpr std::string_view kTokens[] = {"-Infinity", "Infinity", "NaN"};
}  // namespace

nlohmann::json number_json(double value) {
  if (std::isfinite(value)) return value;
  return std::string(kMarker) + (std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
}

std::string keras_json_text(const nlohmann::json& config) {
  std::string text = config.dump();
  for (const std::string_view token : kTokens) {
    // As dump escapes the marker's control character.
    const std::string quoted = "\"\\u0001strata:" + std::string(token) + "\"";
    for (size_t at = 0; (at = text.find(quoted, at)) != std::string::npos; at += token.size())
      text.replace(at, quoted.size(), token);
  }
  return text;
}

std::string with_nonfinite_markers(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') quoted = true;
    bool replaced = false;
    for (const std::string_view token : kTokens) {
      if (text.compare(i, token.size(), token) == 0) {
        out += "\"\\u0001strata:" + std::string(token) + "\"";
        i += token.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += c;
  }
  return out;
}

namespace {

// A double as a C++ literal that reads back to the same value: shortest digits, always with a '.' or an
// exponent so that it stays a double, infinities and NaN by name.
std::string double_cpp(double v) {
  if (std::isnan(v)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(v))
    return v > 0 ? "std::numeric_limits<double>::infinity()" : "-std::numeric_limits<double>::infinity()";
  std::string text = fmt::format("{}", v);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// A config value as the C++ argument of the ops function: numbers, bools, a string, lists as braces, None
// as the default (`{}`).
std::string value_cpp(const nlohmann::json& v) {
  if (v.is_null()) return "{}";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return double_cpp(v.get<double>());
  if (const std::optional<double> number = config_number(v)) return double_cpp(*number);
  if (v.is_string()) return nlohmann::json(v.get<std::string>()).dump();
  std::vector<std::string> items;
  for (const nlohmann::json& item : v) items.push_back(value_cpp(item));
  return fmt::format("{{{}}}", fmt::join(items, ", "));
}

// The constructor arguments each op function takes after its operands, in the C++ signature's order.
const std::vector<std::string>& config_order(const std::string& class_name) {
  static const std::map<std::string, std::vector<std::string>> order = {
      {"Clip", {"x_min", "x_max"}},      {"Gelu", {"approximate"}},      {"Elu", {"alpha"}},
      {"LeakyRelu", {"negative_slope"}}, {"Softmax", {"axis"}},          {"LogSoftmax", {"axis"}},
      {"Sum", {"axis", "keepdims"}},     {"Mean", {"axis", "keepdims"}}, {"Max", {"axis", "keepdims"}},
      {"Min", {"axis", "keepdims"}},     {"Any", {"axis", "keepdims"}},  {"All", {"axis", "keepdims"}},
      {"Reshape", {"newshape"}},         {"ExpandDims", {"axis"}},       {"Squeeze", {"axis"}},
      {"Transpose", {"axes"}},           {"Concatenate", {"axis"}},      {"Cast", {"dtype"}}};
  static const std::vector<std::string> none;
  const auto it = order.find(class_name);
  return it == order.end() ? none : it->second;
}

}  // namespace

std::string OpLayer::cpp_call(const Node& node, const std::string&,
                              const std::vector<std::string>& inputs) const {
  std::vector<std::string> args;
  if (class_name() == "Concatenate") {
    args.push_back(fmt::format("{{{}}}", fmt::join(inputs, ", ")));
  } else {
    size_t next = 0;
    for (const OpArgument& a : call_arguments(node.inputs.size())) {
      if (a.is_tensor()) {
        args.push_back(next < inputs.size() ? inputs[next++] : "?");
      } else if (a.boolean) {
        args.push_back(a.integer != 0 ? "true" : "false");
      } else if (a.integral) {
        args.push_back(std::to_string(a.integer));
      } else {
        args.push_back(double_cpp(*a.number));
      }
    }
  }
  const nlohmann::json own = config();
  for (const std::string& key : config_order(class_name())) {
    if (own.contains(key)) args.push_back(value_cpp(own[key]));
  }
  return fmt::format("strata::ops::named({}, strata::ops::{}({}))", nlohmann::json(name()).dump(),
                     to_snake_case(class_name()), fmt::join(args, ", "));
}

std::optional<double> config_number(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const std::string& s = value.get_ref<const std::string&>();
  if (s.rfind(kMarker, 0) != 0) return std::nullopt;
  const std::string_view token = std::string_view(s).substr(kMarker.size());
  if (token == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (token == "Infinity") return std::numeric_limits<double>::infinity();
  if (token == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

OpArgument op_argument(const ops::Operand& x) {
  if (!x.is_number()) return OpArgument{};
  return OpArgument{x.number(), x.is_integral(), x.is_bool(), x.integer()};
}

std::vector<OperandType> operand_types(const std::vector<OpArgument>& arguments,
                                       const std::vector<DType>& tensors) {
  std::vector<OperandType> types;
  size_t next = 0;
  for (const OpArgument& a : arguments) {
    if (a.is_tensor()) {
      if (next >= tensors.size()) throw InternalError("operand_types: fewer tensors than tensor arguments");
      types.push_back(OperandType::tensor(tensors[next++]));
    } else {
      types.push_back(a.boolean ? OperandType::tensor(DType::kBool) : OperandType::number(a.integral));
    }
  }
  return types;
}

void check_number_range(const std::string& prefix, const std::vector<OpArgument>& arguments,
                        const std::vector<DType>& types) {
  for (size_t i = 0; i < arguments.size(); ++i) {
    const OpArgument& a = arguments[i];
    // Only an integer meeting int32 can fall outside its type: int64 holds every integral operand, and a
    // non-integral number makes the operands float32.
    if (a.is_tensor() || !a.integral || types[i] != DType::kInt32) continue;
    if (a.integer < std::numeric_limits<int32_t>::min() || a.integer > std::numeric_limits<int32_t>::max()) {
      throw ValueError(
          fmt::format("{} The number {} is not a {} value, the type it meets here: pass a number "
                      "of that range or cast the tensor with ops::cast first",
                      prefix, a.integer, dtype_name(types[i])));
    }
  }
}

ElementwiseOperands elementwise_operands(ir::Graph& graph, const std::vector<OpArgument>& arguments,
                                         const std::vector<ir::ValueId>& inputs,
                                         const std::vector<DType>& types, const std::string& layer) {
  ElementwiseOperands out;
  size_t next = 0;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i].is_tensor()) {
      out.inputs.push_back(emit_cast(graph, inputs.at(next++), types[i], layer));
    } else {
      const OpArgument& a = arguments[i];
      out.numbers.push_back({static_cast<int>(i), *a.number, a.integral || a.boolean, a.integer});
    }
  }
  return out;
}

ir::ValueId emit_elementwise(ir::Graph& graph, ir::ElementwiseOp::Kind kind,
                             const ElementwiseOperands& operands, DType type, const std::string& layer,
                             const std::string& prefix) {
  std::vector<int64_t> dims = graph.values[operands.inputs.at(0)].dims;
  for (size_t i = 1; i < operands.inputs.size(); ++i) {
    const std::optional<std::vector<int64_t>> both =
        broadcast_dims(dims, graph.values[operands.inputs[i]].dims);
    if (!both) throw ShapeError(fmt::format("{} Cannot broadcast the operands", prefix));
    dims = *both;
  }
  const ir::ValueId out = graph.add_value(std::move(dims), layer);
  graph.values[out].dtype = ir::data_type_of(type);
  graph.ops.push_back(ir::Op{ir::ElementwiseOp{kind, operands.numbers}, operands.inputs, {out}, {}, {layer}});
  return out;
}

std::vector<DType> value_dtypes(const ir::Graph& graph, const std::vector<ir::ValueId>& inputs) {
  std::vector<DType> out;
  for (ir::ValueId v : inputs) out.push_back(ir::tensor_dtype_of(graph.values[v].dtype));
  return out;
}

}  // namespace strata::detail

namespace strata::ops {

SymbolicTensor named(const std::string& name, const SymbolicTensor& x) {
  if (!x || x.node() == nullptr || dynamic_cast<detail::OpLayer*>(x.node()->layer.get()) == nullptr) {
    throw ValueError(
        fmt::format("[ops::named \"{}\"] Expected the output of an op (ops::add, x + y, ...); a layer "
                    "takes its name from its options",
                    name));
  }
  if (name.empty()) throw ValueError("[ops::named] Expected a name, received an empty one");
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw ValueError(
          fmt::format("[ops::named] Expected a printable name, received {}", nlohmann::json(name).dump()));
  }
  x.node()->layer->rename(name);
  return x;
}

}  // namespace strata::ops
