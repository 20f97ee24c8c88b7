#pragma once
// The validated graph behind a `strata::Model`: its nodes in run order and its layers in Keras's order.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "graph/node.hpp"
#include "layers/layer_impl.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata::detail {

class CompiledModelImpl;

class FunctionalImpl : public LayerImpl {
 public:
  /// Validates and maps the graph (Keras's `map_graph`). Throws GraphError or ValueError. `class_name` is
  /// "Functional", or "Sequential" for the graph behind a strata::Sequential.
  FunctionalImpl(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, const std::string& name,
                 std::string class_name = "Functional");

  const std::vector<SymbolicTensor>& inputs() const { return inputs_; }
  const std::vector<SymbolicTensor>& outputs() const { return outputs_; }
  /// Layers in Keras's `model.layers` order: by depth from the outputs (deepest first), ties broken by the
  /// order in which a walk back from the outputs first meets them.
  const std::vector<std::shared_ptr<LayerImpl>>& layers() const { return layers_; }
  /// The nodes of this graph in an order that runs every node after its inputs (deepest first); the
  /// model's InputLayer nodes come first.
  const std::vector<std::shared_ptr<Node>>& nodes() const { return nodes_; }
  /// True when this model's graph contains `node` (a layer may also have calls outside the model).
  bool contains(const Node* node) const;
  /// True when Keras would print the summary without the `Connected to` column.
  bool sequential_like() const { return sequential_like_; }
  /// Sum of every layer's weights version; changes whenever any weight changes.
  uint64_t weights_version() const override;
  /// A model called as a layer: Keras's outputs keep the masks its layers gave them (at run time), which
  /// strata does not carry out of the model; throws ValueError naming the output rather than drop them.
  std::vector<SymbolicTensor> compute_masks(const Node& node) const override;
  bool holds_graph() const override { return true; }
  /// True for the graph behind a strata::Sequential (its summary and layers() leave out the InputLayer).
  bool is_sequential() const { return class_name() == "Sequential"; }
  /// Lowers this graph's nodes into `graph`, reading `inputs` (one value per model input); returns one value
  /// per model output. Used for the whole program and to inline a nested model.
  std::vector<ir::ValueId> lower_into(ir::Graph& graph, const std::vector<ir::ValueId>& inputs) const;

  /// Keras's model config: `name`, `layers` (each `class_name`, `config`, `name`, and, in a functional model,
  /// `inbound_nodes` in Keras 2's list form, which Keras 3 also reads), `input_layers`, `output_layers`; a
  /// Sequential's is `name` and its `layers`. Defined in functional_config.cpp.
  nlohmann::json config() const override;

  std::vector<Variable> weights() const override;
  /// `layers`: Keras's `model.layers` (a Sequential's leaves out its InputLayer).
  std::vector<SublayerGroup> sublayers() const override;
  void set_weights(const std::vector<Tensor>& values) override;
  size_t release_weights(const ReleaseFn& release) override;

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override;
  /// Called as a layer: each input must have its Input's type; the outputs have the model outputs' types.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override;
  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override;

  /// The plan cache `Model::predict` uses, compiled with default options on first use.
  std::shared_ptr<CompiledModelImpl> default_compiled() const;

 private:
  void map_graph();

  std::vector<SymbolicTensor> inputs_;
  std::vector<SymbolicTensor> outputs_;
  std::vector<std::shared_ptr<LayerImpl>> layers_;
  std::vector<std::shared_ptr<Node>> nodes_;
  std::map<const Node*, int> node_depth_;
  bool sequential_like_ = true;
  mutable std::mutex compiled_mutex_;
  mutable std::shared_ptr<CompiledModelImpl> default_compiled_;
};

/// Throws ValueError starting with `prefix` when one of `outputs` (an inner graph's) carries a mask: Keras's
/// callers would see it, strata's do not. Returns no masks otherwise.
std::vector<SymbolicTensor> refuse_inner_masks(const std::string& prefix,
                                               const std::vector<SymbolicTensor>& outputs);

}  // namespace strata::detail
