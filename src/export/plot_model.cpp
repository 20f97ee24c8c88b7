// Keras's plot_model: the layer graph as Graphviz DOT, rendered to PNG or SVG by Graphviz's `dot`.
#include "strata/plot.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "graph/functional.hpp"
#include "strata/error.hpp"

namespace strata {
namespace {

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string shapes_text(const std::vector<Shape>& shapes) {
  std::vector<std::string> parts;
  for (const Shape& s : shapes) parts.push_back(s.to_string());
  return parts.size() == 1 ? parts.front() : fmt::format("[{}]", fmt::join(parts, ", "));
}

// Emits the nodes of `model` (and, with expand_nested, clusters for nested models) and the edges between
// its calls. Node ids are per call, so shared layers show each call, as Keras draws them.
class DotWriter {
 public:
  explicit DotWriter(const PlotOptions& options) : options_(options) {}

  std::string id_of(const detail::Node* node) {
    auto it = ids_.find(node);
    if (it != ids_.end()) return it->second;
    return ids_.emplace(node, fmt::format("n{}", ids_.size())).first->second;
  }

  // Returns, for each output index of `model`'s calls, the DOT node that produces it.
  void write(const detail::FunctionalImpl& model, const std::string& indent, std::string& dot) {
    // The mask ops a model computes but does not list among its layers (Keras's graph has no edge to them).
    std::set<const detail::LayerImpl*> listed;
    for (const auto& layer : model.layers()) listed.insert(layer.get());
    for (const auto& node : model.nodes()) {
      const detail::LayerImpl& layer = *node->layer;
      if (!listed.contains(&layer)) continue;
      const auto* nested = dynamic_cast<const detail::FunctionalImpl*>(&layer);
      if (nested != nullptr && options_.expand_nested) {
        dot += fmt::format("{}subgraph cluster_{} {{\n{}  label=\"{}\";\n", indent, id_of(node.get()), indent,
                           escape_html(layer.name()));
        write(*nested, indent + "  ", dot);
        dot += indent + "}\n";
        // The nested model's outputs stand for this call; its inputs receive this call's inputs.
        outputs_[node.get()] = nested->outputs().front().node().get();
        for (size_t i = 0; i < node->inputs.size() && i < nested->inputs().size(); ++i) {
          edges_.emplace_back(source(node->inputs[i].node().get()), id_of(nested->inputs()[i].node().get()));
        }
        continue;
      }
      std::string label = options_.show_layer_names ? fmt::format("{} ({})", layer.name(), layer.class_name())
                                                    : layer.class_name();
      std::string rows = fmt::format("<tr><td colspan=\"2\"><b>{}</b></td></tr>", escape_html(label));
      if (options_.show_shapes) {
        std::vector<Shape> in;
        for (const SymbolicTensor& t : node->call_inputs()) in.push_back(t.shape());
        rows += fmt::format("<tr><td>Input shape: {}</td><td>Output shape: {}</td></tr>",
                            escape_html(in.empty() ? node->output_shapes.front().to_string() : shapes_text(in)),
                            escape_html(shapes_text(node->output_shapes)));
      }
      if (options_.show_dtype) rows += "<tr><td colspan=\"2\">Output dtype: float32</td></tr>";
      dot += fmt::format("{}{} [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">{}</table>>];\n", indent,
                         id_of(node.get()), rows);
      for (const SymbolicTensor& t : node->call_inputs()) {
        if (listed.contains(t.node()->layer.get()))
          edges_.emplace_back(source(t.node().get()), id_of(node.get()));
      }
    }
  }

  std::string edges() const {
    std::string dot;
    for (const auto& [from, to] : edges_) dot += fmt::format("  {} -> {};\n", from, to);
    return dot;
  }

 private:
  std::string source(const detail::Node* node) {
    while (outputs_.contains(node)) node = outputs_.at(node);
    return id_of(node);
  }

  const PlotOptions& options_;
  std::map<const detail::Node*, std::string> ids_;
  std::map<const detail::Node*, const detail::Node*> outputs_;
  std::vector<std::pair<std::string, std::string>> edges_;
};

const detail::FunctionalImpl& functional_of(const Model& model) {
  if (!model.impl()) throw ValueError("[plot_model] The model has no graph yet");
  return static_cast<const detail::FunctionalImpl&>(*model.impl());
}

std::string extension_of(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(dot + 1);
}

}  // namespace

std::string model_to_dot(const Model& model, PlotOptions options) {
  if (options.rankdir != "TB" && options.rankdir != "LR" && options.rankdir != "BT" && options.rankdir != "RL") {
    throw ValueError(fmt::format("[plot_model] Unknown rankdir '{}'. Expected one of: TB, LR, BT, RL", options.rankdir));
  }
  if (options.dpi <= 0) throw ValueError(fmt::format("[plot_model] Expected a positive dpi, received {}", options.dpi));
  const detail::FunctionalImpl& graph = functional_of(model);
  std::string dot = fmt::format("digraph \"{}\" {{\n  graph [rankdir={}, dpi={}];\n  node [shape=plaintext, fontname=\"Helvetica\"];\n",
                                escape_html(graph.name()), options.rankdir, options.dpi);
  DotWriter writer(options);
  writer.write(graph, "  ", dot);
  dot += writer.edges();
  return dot + "}\n";
}

void plot_model(const Model& model, const std::string& path, PlotOptions options) {
  const std::string ext = extension_of(path);
  if (ext != "dot" && ext != "gv" && ext != "png" && ext != "svg") {
    throw ValueError(fmt::format("[plot_model] Unknown file type '{}' for '{}'. Expected one of: .dot, .gv, .png, .svg",
                                 ext, path));
  }
  const std::string dot = model_to_dot(model, options);
  if (ext == "dot" || ext == "gv") {
    std::ofstream out(path, std::ios::binary);
    out << dot;
    if (!out) throw FileError(fmt::format("[plot_model] Could not write '{}'", path));
    return;
  }
  if (std::system("command -v dot > /dev/null 2>&1") != 0) {
    throw FileError(fmt::format("[plot_model] Writing '{}' needs Graphviz's `dot` program, which is not installed "
                                "(Debian package: graphviz). A .dot path works without it",
                                path));
  }
  // Hand the DOT text to `dot` on its standard input; the path goes through the shell quoted.
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  FILE* pipe = popen(fmt::format("dot -T{} -o {}", ext, quoted).c_str(), "w");
  if (pipe == nullptr) throw FileError(fmt::format("[plot_model] Could not start `dot` to write '{}'", path));
  std::fwrite(dot.data(), 1, dot.size(), pipe);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw FileError(fmt::format("[plot_model] `dot` failed to write '{}'", path));
  }
}

}  // namespace strata
