#include <fmt/format.h>

#include <map>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "strata/error.hpp"
#include "strata/layer.hpp"

namespace strata::ir {

Graph lower_layers(const detail::FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims) {
  Graph graph;
  std::map<std::pair<const detail::Node*, int>, ValueId> value_of;
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const SymbolicTensor& in = model.inputs()[i];
    const ValueId v = graph.add_value(input_dims[i], in.layer().name());
    graph.inputs.push_back(v);
    value_of[{in.node().get(), in.index()}] = v;
  }
  for (const auto& node : model.nodes()) {
    if (node->is_input()) continue;
    std::vector<ValueId> ins;
    for (const SymbolicTensor& t : node->inputs) {
      auto it = value_of.find({t.node().get(), t.index()});
      if (it == value_of.end()) {
        throw InternalError(fmt::format("lower_layers: {} is used by '{}' before it is computed", t.name(),
                                        node->layer->name()));
      }
      ins.push_back(it->second);
    }
    const std::vector<ValueId> outs = node->layer->lower(graph, *node, ins);
    for (size_t k = 0; k < outs.size(); ++k) value_of[{node.get(), static_cast<int>(k)}] = outs[k];
  }
  for (const SymbolicTensor& out : model.outputs()) {
    graph.outputs.push_back(value_of.at({out.node().get(), out.index()}));
  }
  return graph;
}

}  // namespace strata::ir
