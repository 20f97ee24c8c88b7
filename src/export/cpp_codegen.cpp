// to_cpp: a model as the functional-API source a person would write for it. Each layer's constructor comes
// from its schema (LayerImpl::cpp_constructor), each call from the layer (LayerImpl::cpp_call); this file
// names the tensors, orders the calls, and gives nested models functions of their own.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "graph/functional.hpp"
#include "layers/input_layer.hpp"
#include "layers/op_layer.hpp"
#include "strata/codegen.hpp"
#include "strata/error.hpp"
#include "strata/layer_registry.hpp"

namespace strata {
namespace {

using detail::FunctionalImpl;
using detail::LayerImpl;
using detail::Node;

const std::set<std::string>& reserved_words() {
  // C++20's keywords and alternative tokens, plus the names the generated code itself uses.
  static const std::set<std::string> words = {
      "alignas",     "alignof",   "and",        "and_eq",    "asm",      "auto",         "bitand",
      "bitor",       "bool",      "break",      "case",      "catch",    "char",         "char8_t",
      "char16_t",    "char32_t",  "class",      "compl",     "concept",  "const",        "consteval",
      "constexpr",   "constinit", "const_cast", "continue",  "co_await", "co_return",    "co_yield",
      "decltype",    "default",   "delete",     "do",        "double",   "dynamic_cast", "else",
      "enum",        "explicit",  "export",     "extern",    "false",    "float",        "for",
      "friend",      "goto",      "if",         "inline",    "int",      "long",         "mutable",
      "namespace",   "new",       "noexcept",   "not",       "not_eq",   "nullptr",      "operator",
      "or",          "or_eq",     "private",    "protected", "public",   "register",     "reinterpret_cast",
      "requires",    "return",    "short",      "signed",    "sizeof",   "static",       "static_assert",
      "static_cast", "struct",    "switch",     "template",  "this",     "thread_local", "throw",
      "true",        "try",       "typedef",    "typeid",    "typename", "union",        "unsigned",
      "using",       "virtual",   "void",       "volatile",  "wchar_t",  "while",        "xor",
      "xor_eq",      "model",     "path",       "strata",    "std",      "None",         "main"};
  return words;
}

// Names a generated identifier must not take besides the keywords: the layer classes (the source calls
// their constructors unqualified) and the macros of the C and C++ standard headers <strata/strata.hpp> may
// bring in.
bool taken_name(const std::string& s) {
  static const std::set<std::string> macros = {
      "NULL",           "EOF",        "errno",        "assert",       "stdin",        "stdout",
      "stderr",         "BUFSIZ",     "FILENAME_MAX", "FOPEN_MAX",    "EXIT_SUCCESS", "EXIT_FAILURE",
      "RAND_MAX",       "MB_CUR_MAX", "INFINITY",     "NAN",          "HUGE_VAL",     "HUGE_VALF",
      "CHAR_BIT",       "INT_MAX",    "INT_MIN",      "UINT_MAX",     "LONG_MAX",     "LONG_MIN",
      "SIZE_MAX",       "SEEK_SET",   "SEEK_CUR",     "SEEK_END",     "TMP_MAX",      "L_tmpnam",
      "offsetof",       "setjmp",     "va_arg",       "va_start",     "va_end",       "va_copy",
      "CLOCKS_PER_SEC", "EDOM",       "ERANGE",       "EILSEQ",       "MATH_ERRNO",   "FP_NAN",
      "FP_INFINITE",    "FP_ZERO",    "FP_NORMAL",    "FP_SUBNORMAL", "isnan",        "isinf",
      "signbit",        "fpclassify", "isfinite"};
  static const std::set<std::string> classes = [] {
    const std::vector<std::string> names = registered_layer_classes();
    return std::set<std::string>(names.begin(), names.end());
  }();
  return reserved_words().contains(s) || macros.contains(s) || classes.contains(s);
}

// `base` and `suffix` joined by one '_' (a keyword's trailing '_' absorbed: no reserved double underscore).
std::string joined(std::string base, const std::string& suffix) {
  while (!base.empty() && base.back() == '_') base.pop_back();
  return base + "_" + suffix;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return s.find("__") == std::string::npos && s[0] != '_' && !taken_name(s);
}

// A Keras name as a C++ identifier: other characters become '_', runs of '_' one (a double underscore is
// reserved), a leading digit or '_' gets a prefix, a keyword, macro or layer class a trailing '_'.
std::string identifier_from(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const char k = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (k == '_' && !out.empty() && out.back() == '_') continue;
    out += k;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || out[0] == '_' || std::isdigit(static_cast<unsigned char>(out[0]))) out = "t" + out;
  if (taken_name(out)) out += "_";
  return out;
}

std::string string_literal(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}\"\"", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string dims_cpp(const Shape& shape) {
  std::vector<std::string> dims;
  for (size_t i = 1; i < shape.dims().size(); ++i)
    dims.push_back(shape.dims()[i] ? std::to_string(*shape.dims()[i]) : "None");
  return fmt::format("{{{}}}", fmt::join(dims, ", "));
}

constexpr size_t kColumns = 100;

// `expr` split after its commas (those outside string literals) into lines of at most kColumns, the first
// starting after `first` characters, the others indented by `indent`.
std::string wrap_commas(const std::string& expr, size_t first, size_t indent) {
  std::vector<std::string> pieces;
  std::string piece;
  bool quoted = false;
  for (size_t i = 0; i < expr.size(); ++i) {
    piece += expr[i];
    if (expr[i] == '\\' && quoted && i + 1 < expr.size()) {
      piece += expr[++i];
    } else if (expr[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && expr[i] == ',' && i + 1 < expr.size() && expr[i + 1] == ' ') {
      pieces.push_back(piece);
      piece.clear();
      ++i;  // the space becomes the line break
    }
  }
  pieces.push_back(piece);
  std::string out;
  size_t column = first;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) {
      if (column + 1 + pieces[i].size() > kColumns) {
        out += fmt::format("\n{:{}}", "", indent);
        column = indent;
      } else {
        out += ' ';
        ++column;
      }
    }
    out += pieces[i];
    column += pieces[i].size();
  }
  return out;
}

// One statement, `lead` then `expr` then `tail`, broken as a person would when it is longer than kColumns:
// after the `=` of `lead`, then after commas.
std::string statement(const std::string& lead, const std::string& expr, const std::string& tail) {
  if (lead.size() + expr.size() + tail.size() <= kColumns) return fmt::format("{}{}{}\n", lead, expr, tail);
  const size_t kept = lead.find_last_not_of(' ');
  const std::string head = kept == std::string::npos ? std::string() : lead.substr(0, kept + 1);
  if (head.ends_with("(") && 4 + expr.size() + tail.size() <= kColumns)
    return fmt::format("{}\n    {}{}\n", head, expr, tail);
  const bool breaks = head.ends_with("=");
  const size_t indent = breaks ? 6 : lead.size();
  if (breaks && indent + expr.size() + tail.size() <= kColumns)
    return fmt::format("{}\n{:{}}{}{}\n", head, "", indent, expr, tail);
  const std::string start = breaks ? fmt::format("{}\n{:{}}", head, "", indent) : lead;
  return fmt::format("{}{}\n", start, wrap_commas(fmt::format("{}{}", expr, tail), indent, indent + 4));
}

class Generator {
 public:
  explicit Generator(const CppOptions& options) : options_(options) {}

  // Writes the functions of `model` and of the models nested in it (those first); returns the function's
  // name.
  std::string emit_model(const FunctionalImpl& model, const std::string& function) {
    if (const auto it = functions_.find(&model); it != functions_.end()) return it->second;
    for (const auto& layer : model.layers()) {
      if (const auto* nested = dynamic_cast<const FunctionalImpl*>(layer.get())) {
        emit_model(*nested, unique_function(identifier_from("build_" + nested->name())));
      }
    }
    claim_layers(model);
    functions_[&model] = function;
    body_ +=
        model.is_sequential() ? sequential_function(model, function) : functional_function(model, function);
    return function;
  }

  std::string body() const { return body_; }

 private:
  std::string unique_function(const std::string& wanted) {
    std::string name = wanted;
    for (int i = 1; used_functions_.contains(name) || name == options_.function ||
                    name == options_.function + "_with_weights";
         ++i)
      name = joined(wanted, std::to_string(i));
    used_functions_.insert(name);
    return name;
  }

  // Each layer is made in one function: a layer shared between a model and another would become two.
  void claim_layers(const FunctionalImpl& model) {
    for (const auto& layer : model.layers()) {
      const auto [it, fresh] = owner_.emplace(layer.get(), &model);
      if (!fresh && it->second != &model) {
        throw ValueError(
            fmt::format("{} to_cpp cannot write a layer that models '{}' and '{}' share: each "
                        "function makes its own layers",
                        layer->prefix(), it->second->name(), model.name()));
      }
    }
  }

  static void check_writable(const LayerImpl& layer) {
    if (dynamic_cast<const detail::OpLayer*>(&layer) != nullptr) return;  // written as a strata::ops call
    if (layer.schema() == nullptr && dynamic_cast<const FunctionalImpl*>(&layer) == nullptr) {
      throw ValueError(
          fmt::format("{} to_cpp writes built-in layers and models only; '{}' is a custom layer "
                      "class, whose C++ type is the application's",
                      layer.prefix(), layer.class_name()));
    }
  }

  // The function around `body`; `None` (an unknown dimension) is strata's, the layers strata::layers'.
  static std::string function_text(const std::string& type, const std::string& function,
                                   const std::string& body) {
    const bool none = body.find("None") != std::string::npos;
    return fmt::format("{} {}() {{\n  using namespace strata::layers;\n{}{}  return model;\n}}\n\n", type,
                       function, none ? "  using strata::None;\n" : "", body);
  }

  std::string trainable_lines(const FunctionalImpl& model) const {
    std::string out;
    for (const auto& layer : model.layers()) {
      if (!layer->trainable && dynamic_cast<const detail::InputLayer*>(layer.get()) == nullptr)
        out += fmt::format("  model.get_layer({}).set_trainable(false);\n", string_literal(layer->name()));
    }
    if (!model.trainable) out += "  model.set_trainable(false);\n";
    return out;
  }

  std::string sequential_function(const FunctionalImpl& model, const std::string& function) {
    std::vector<std::string> items;
    const SymbolicTensor& input = model.inputs().front();
    items.push_back(input.node()->layer->cpp_constructor());
    for (const auto& layer : model.layers()) {
      if (dynamic_cast<const detail::InputLayer*>(layer.get()) != nullptr) continue;
      check_writable(*layer);
      if (dynamic_cast<const FunctionalImpl*>(layer.get()) != nullptr) {
        items.push_back(functions_.at(dynamic_cast<const FunctionalImpl*>(layer.get())) + "()");
      } else {
        items.push_back(layer->cpp_constructor());
      }
    }
    std::string out = "  strata::Sequential model({\n";
    for (const std::string& item : items) out += statement("      ", item, ",");
    out += fmt::format("  }}, {});\n", string_literal(model.name()));
    out += trainable_lines(model);
    return function_text("strata::Sequential", function, out);
  }

  std::string functional_function(const FunctionalImpl& model, const std::string& function) {
    std::set<std::string> names = {"model"};
    const auto take = [&](const std::string& wanted) {
      std::string name = wanted;
      for (int i = 1; names.contains(name) || used_functions_.contains(name) || name == options_.function;
           ++i)
        name = joined(wanted, std::to_string(i));
      names.insert(name);
      return name;
    };
    std::map<std::pair<const Node*, int>, std::string> tensor;
    const auto ref = [&](const SymbolicTensor& t) {
      const auto it = tensor.find({t.node().get(), static_cast<int>(t.index())});
      if (it == tensor.end())
        throw InternalError(fmt::format("to_cpp: {} is used before it is made", t.node()->layer->prefix()));
      return it->second;
    };

    std::string out;
    for (const SymbolicTensor& in : model.inputs()) {
      const LayerImpl& layer = *in.node()->layer;
      const std::string name = take(identifier_from(layer.name()));
      const std::string dtype = in.dtype() == DType::kFloat32
                                    ? ""
                                    : fmt::format(", .dtype = {}", string_literal(dtype_name(in.dtype())));
      out += statement(fmt::format("  const strata::SymbolicTensor {} = ", name),
                       fmt::format("strata::Input({}, {{.name = {}{}}})", dims_cpp(in.shape()),
                                   string_literal(layer.name()), dtype),
                       ";");
      tensor[{in.node().get(), static_cast<int>(in.index())}] = name;
    }

    // The ops a layer made for its output's mask (Embedding's not_equal) are made again by that layer's call:
    // the generated code refers to them as `tensor.mask()` and leaves out the ops only they read.
    const std::set<const Node*> remade = remade_mask_ops(model);
    // The calls in Keras's layer order, each layer's in call order, a call waiting for its inputs.
    std::vector<const Node*> pending;
    std::map<const LayerImpl*, int> calls;
    for (const auto& layer : model.layers()) {
      for (const auto& weak : layer->inbound_nodes) {
        const auto node = weak.lock();
        if (!node || !model.contains(node.get()) || node->is_input() || remade.contains(node.get())) continue;
        pending.push_back(node.get());
        ++calls[layer.get()];
      }
    }
    std::map<const LayerImpl*, std::string> declared;
    std::set<const Node*> renamed;  // the automatic mask ops given the model's names
    while (!pending.empty()) {
      // A layer's calls keep their order (its node indices, the summary's "Connected to").
      const auto ready = std::find_if(pending.begin(), pending.end(), [&](const Node* node) {
        const bool earlier_call =
            std::any_of(pending.begin(), std::find(pending.begin(), pending.end(), node),
                        [&](const Node* other) { return other->layer == node->layer; });
        return !earlier_call &&
               std::all_of(node->inputs.begin(), node->inputs.end(), [&](const SymbolicTensor& t) {
                 return tensor.contains({t.node().get(), static_cast<int>(t.index())});
               });
      });
      if (ready == pending.end())
        throw InternalError(fmt::format("to_cpp: model '{}' has a cycle", model.name()));
      const Node& node = **ready;
      pending.erase(ready);
      const LayerImpl& layer = *node.layer;
      check_writable(layer);

      // The callee: a nested model's variable, a shared layer's variable, or the constructor itself.
      std::string callee;
      if (const auto it = declared.find(&layer); it != declared.end()) {
        callee = it->second;
      } else if (const auto* nested = dynamic_cast<const FunctionalImpl*>(&layer)) {
        callee = take(identifier_from(layer.name()));
        out += fmt::format("  const auto {} = {}();\n", callee, functions_.at(nested));
        declared[&layer] = callee;
      } else if (dynamic_cast<const detail::OpLayer*>(&layer) != nullptr) {
        // An op is its call: the strata::ops function (cpp_call), named as the model names it.
      } else if (calls[&layer] > 1) {
        callee = take(joined(identifier_from(layer.name()), "layer"));
        out += statement(fmt::format("  const auto {} = ", callee), layer.cpp_constructor(), ";");
        declared[&layer] = callee;
      } else {
        callee = layer.cpp_constructor();
      }
      std::vector<std::string> inputs;
      for (const SymbolicTensor& t : node.call_inputs()) inputs.push_back(ref(t));
      const std::string call = dynamic_cast<const FunctionalImpl*>(&layer) != nullptr
                                   ? nested_call(node, callee, inputs)
                                   : layer.cpp_call(node, callee, inputs);
      const std::string name = take(identifier_from(layer.name()));
      if (node.output_shapes.size() == 1) {
        out += statement(fmt::format("  const strata::SymbolicTensor {} = ", name), call, ";");
        tensor[{&node, 0}] = name;
      } else {
        out += statement(fmt::format("  const std::vector<strata::SymbolicTensor> {} = ", name), call, ";");
        for (size_t i = 0; i < node.output_shapes.size(); ++i)
          tensor[{&node, static_cast<int>(i)}] = fmt::format("{}[{}]", name, i);
      }
      for (size_t i = 0; i < node.output_masks.size(); ++i) {
        const SymbolicTensor& mask = node.output_masks[i];
        if (!mask || !remade.contains(mask.node().get()) ||
            tensor.contains({mask.node().get(), mask.index()}))
          continue;
        const std::string expression = tensor.at({&node, static_cast<int>(i)}) + ".mask()";
        tensor[{mask.node().get(), mask.index()}] = expression;
        // The call makes the mask's ops with automatic names: they get the model's, as the ops the code
        // writes out do, each reached from the mask through the ops' inputs (`x.mask().layer().input()`,
        // `.layer().inputs()[1]` for an op of several).
        std::vector<std::pair<const Node*, std::string>> reach{{mask.node().get(), expression}};
        while (!reach.empty()) {
          const auto [op, expr] = reach.back();
          reach.pop_back();
          if (!remade.contains(op) || !renamed.insert(op).second) continue;
          out += statement("  strata::ops::named(",
                           fmt::format("{}, {}", string_literal(op->layer->name()), expr), ");");
          for (size_t k = op->inputs.size(); k-- > 0;) {
            if (!op->inputs[k].node()->automatic_mask) continue;
            reach.emplace_back(op->inputs[k].node().get(),
                               op->inputs.size() == 1 ? expr + ".layer().input()"
                                                      : fmt::format("{}.layer().inputs()[{}]", expr, k));
          }
        }
      }
    }

    std::vector<std::string> ins, outs;
    for (const SymbolicTensor& t : model.inputs()) ins.push_back(ref(t));
    for (const SymbolicTensor& t : model.outputs()) outs.push_back(ref(t));
    out += statement("  strata::Model model(",
                     fmt::format("{{{}}}, {{{}}}, {}", fmt::join(ins, ", "), fmt::join(outs, ", "),
                                 string_literal(model.name())),
                     ");");
    out += trainable_lines(model);
    return function_text("strata::Model", function, out);
  }

  // The automatic mask ops (Node::automatic_mask) of `model` that its layers' calls make again: each that is
  // the mask of a tensor the model computes, and those only such ops read.
  static std::set<const Node*> remade_mask_ops(const FunctionalImpl& model) {
    std::vector<const Node*> nodes;
    for (const auto& layer : model.layers()) {
      for (const auto& weak : layer->inbound_nodes) {
        const auto node = weak.lock();
        if (node && model.contains(node.get()) && !node->is_input()) nodes.push_back(node.get());
      }
    }
    std::set<const Node*> remade;
    for (const Node* node : nodes) {
      for (const SymbolicTensor& mask : node->output_masks) {
        if (mask && mask.node()->automatic_mask && model.contains(mask.node().get()))
          remade.insert(mask.node().get());
      }
    }
    for (bool grew = true; grew;) {
      grew = false;
      for (const Node* node : nodes) {
        if (!node->automatic_mask || remade.contains(node)) continue;
        bool read = false, only_by_remade = true;
        for (const Node* reader : nodes) {
          for (const SymbolicTensor& t : reader->inputs) {
            if (t.node().get() != node) continue;
            read = true;
            only_by_remade = only_by_remade && remade.contains(reader);
          }
        }
        if (read && only_by_remade) {
          remade.insert(node);
          grew = true;
        }
      }
    }
    return remade;
  }

  static std::string nested_call(const Node& node, const std::string& callee,
                                 const std::vector<std::string>& inputs) {
    const std::string args = inputs.size() == 1 ? inputs[0] : fmt::format("{{{}}}", fmt::join(inputs, ", "));
    return node.output_shapes.size() > 1 ? fmt::format("{}.call_all({})", callee, args)
                                         : fmt::format("{}({})", callee, args);
  }

  const CppOptions& options_;
  std::string body_;
  std::map<const FunctionalImpl*, std::string> functions_;
  std::set<std::string> used_functions_;
  std::map<const LayerImpl*, const FunctionalImpl*> owner_;
};

void check_namespace(const std::string& name) {
  if (name.empty()) return;
  size_t start = 0;
  while (true) {
    const size_t end = name.find("::", start);
    const std::string part = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!is_identifier(part)) {
      throw ValueError(fmt::format(
          "[to_cpp] Expected the namespace as C++ identifiers joined by '::', received \"{}\"", name));
    }
    if (end == std::string::npos) return;
    start = end + 2;
  }
}

}  // namespace

std::string to_cpp(const Model& model, const CppOptions& options) {
  if (!is_identifier(options.function)) {
    throw ValueError(
        fmt::format("[to_cpp] Expected the function name to be a C++ identifier (not a keyword, main, a "
                    "standard macro or a "
                    "layer class), received \"{}\"",
                    options.function));
  }
  check_namespace(options.namespace_name);
  const auto* built = dynamic_cast<const FunctionalImpl*>(model.impl().get());
  if (built == nullptr) {
    throw ValueError(
        "[to_cpp] The model has no graph yet (a Sequential without an input shape): give it an InputLayer, "
        "call "
        "build, or call it on a tensor first");
  }
  const FunctionalImpl& impl = *built;
  Generator generator(options);
  generator.emit_model(impl, options.function);
  const std::string type = impl.is_sequential() ? "strata::Sequential" : "strata::Model";

  std::string out = fmt::format(
      "// The Keras model \"{}\" in strata's functional API, written by strata::to_cpp{}.\n"
      "// {}() makes it with fresh weights; {}_with_weights(path) also\n"
      "// loads the weights of a .keras archive, a Keras 2 .h5 file or a .weights.h5 file.\n\n"
      "{}#include <string>\n#include <vector>\n\n#include <strata/strata.hpp>\n\n",
      model.name(), options.source.empty() ? "" : " from\n// " + options.source, options.function,
      options.function,
      generator.body().find("std::numeric_limits") != std::string::npos ? "#include <limits>\n" : "");
  if (!options.namespace_name.empty()) out += fmt::format("namespace {} {{\n\n", options.namespace_name);
  out += generator.body();
  const std::string path_default =
      options.weights_file.empty() ? "" : " = " + string_literal(options.weights_file);
  out += statement(fmt::format("{} {}_with_weights(", type, options.function),
                   fmt::format("const std::string& path{}", path_default), ") {");
  out += fmt::format(
      "  {} model = {}();\n"
      "  model.load_weights(path);\n"
      "  return model;\n"
      "}}\n",
      type, options.function);
  if (!options.namespace_name.empty()) out += fmt::format("\n}}  // namespace {}\n", options.namespace_name);
  return out;
}

}  // namespace strata
