#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"

namespace strata::ir {

Graph lower_layers(const detail::FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims) {
  Graph graph;
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const SymbolicTensor& input = model.inputs()[i];
    graph.inputs.push_back(graph.add_value(input_dims[i], input.node()->layer->name()));
    graph.values[graph.inputs.back()].dtype = data_type_of(input.dtype());
  }
  // Nested models lower through the same function, so they are inlined into one flat program.
  graph.outputs = model.lower_into(graph, graph.inputs);
  return graph;
}

}  // namespace strata::ir
