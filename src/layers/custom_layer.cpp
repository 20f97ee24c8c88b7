#include "strata/custom_layer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "graph/node.hpp"
#include "layers/user_layers.hpp"
#include "strata/error.hpp"

namespace strata {

std::vector<WeightSpec> MultiOutputLayerDefinition::build(const std::vector<Shape>&) const {
  return {};
}

int64_t MultiOutputLayerDefinition::macs(const std::vector<Shape>&) const {
  return 0;
}

std::string MultiOutputLayerDefinition::get_config() const {
  return "{}";
}

std::vector<Shape> CustomLayerDefinition::compute_output_shapes(const std::vector<Shape>& inputs) const {
  return {compute_output_shape(inputs)};
}

void CustomLayerDefinition::call_outputs(const std::vector<const Tensor*>& inputs,
                                         const std::vector<const Tensor*>& weights,
                                         const std::vector<Tensor*>& outputs) const {
  call(inputs, weights, *outputs.front());
}

namespace detail {

nlohmann::json parse_user_config(const std::string& prefix, const std::string& text) {
  nlohmann::json own;
  try {
    own = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number past double
    throw ValueError(fmt::format("{} get_config() returned text that is not JSON: {}", prefix, e.what()));
  }
  if (!own.is_object()) {
    throw ValueError(fmt::format("{} get_config() must return a JSON object, returned {}", prefix, text));
  }
  for (const char* key : {"name", "trainable", "dtype"}) {
    if (own.contains(key)) {
      throw ValueError(
          fmt::format("{} get_config() must not return '{}': strata writes it for every layer", prefix, key));
    }
  }
  return own;
}

SymbolicTensor single_output(const LayerImpl& layer, size_t output_count,
                             const std::function<std::vector<SymbolicTensor>()>& call) {
  if (output_count != 1) {
    throw ValueError(
        fmt::format("{} The layer has {} outputs; call_all(inputs) returns them all, the call operator "
                    "only a layer's one",
                    layer.prefix(), output_count));
  }
  return call().front();
}

namespace {

class CustomLayerImpl : public LayerImpl {
 public:
  CustomLayerImpl(std::shared_ptr<const MultiOutputLayerDefinition> definition, const std::string& name)
      : LayerImpl(definition->class_name(), name), definition_(std::move(definition)) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    std::vector<Shape> shapes;
    try {
      shapes = definition_->compute_output_shapes(inputs);
    } catch (const ShapeError& e) {
      throw ShapeError(fmt::format("{} {}", prefix(), e.what()));
    } catch (const ValueError& e) {
      throw ValueError(fmt::format("{} {}", prefix(), e.what()));
    }
    if (shapes.empty()) {
      throw ValueError(
          fmt::format("{} compute_output_shapes returned no shapes; expected one per output", prefix()));
    }
    return shapes;
  }

  // A custom kernel reads whatever it is given (an integer input's token ids, say) and writes float32.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>&, size_t outputs) const override {
    return std::vector<DType>(outputs, DType::kFloat32);
  }

  void build(const std::vector<Shape>& inputs) override {
    for (WeightSpec& spec : definition_->build(inputs)) {
      if (spec.initial.dtype() != DType::kFloat32) {
        throw ValueError(fmt::format("{} build() made weight '{}' of {}; weights are float32", prefix(),
                                     spec.name, dtype_name(spec.initial.dtype())));
      }
      add_variable(spec.name, std::move(spec.initial), spec.trainable);
    }
  }

  nlohmann::json config() const override { return parse_user_config(prefix(), definition_->get_config()); }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<Shape> shapes;
    for (ir::ValueId v : inputs) shapes.push_back(to_shape(graph.values[v].dims));
    std::vector<ir::ValueId> values;
    for (const Shape& out : compute_output_shapes(shapes)) {
      if (!out.is_fully_defined()) {
        throw ShapeError(
            fmt::format("{} compute_output_shape returned {} for concrete inputs; expected known dims",
                        prefix(), out.to_string()));
      }
      std::vector<int64_t> dims;
      for (const Dim& d : out.dims()) dims.push_back(*d);
      values.push_back(graph.add_value(std::move(dims), name()));
    }
    ir::CustomOp op{definition_, {}};
    for (const Variable& v : variables()) op.weights.push_back(v.tensor());
    graph.ops.push_back(ir::Op{op, inputs, values, {}, {name()}});
    return values;
  }

  int64_t macs(const Node& node) const override {
    std::vector<Shape> shapes;
    for (const SymbolicTensor& t : node.inputs) shapes.push_back(t.shape());
    return definition_->macs(shapes);
  }

 private:
  std::shared_ptr<const MultiOutputLayerDefinition> definition_;
};

}  // namespace
}  // namespace detail

void register_custom_layer(const std::string& class_name, CustomLayerFactory factory) {
  detail::register_user_class<MultiOutputLayerDefinition>(
      "register_custom_layer", class_name, std::move(factory),
      [](std::shared_ptr<const MultiOutputLayerDefinition> definition, const std::string& name) {
        return std::shared_ptr<detail::LayerImpl>(
            std::make_shared<detail::CustomLayerImpl>(std::move(definition), name));
      });
}

CustomLayer::CustomLayer(std::shared_ptr<const MultiOutputLayerDefinition> definition, LayerOptions options) {
  if (!definition) throw ValueError("[CustomLayer] Expected a definition, received a null pointer");
  if (definition->class_name().empty()) throw ValueError("[CustomLayer] The definition's class_name() is empty");
  impl_ = std::make_shared<detail::CustomLayerImpl>(std::move(definition), options.name);
}

SymbolicTensor CustomLayer::operator()(const SymbolicTensor& input) const {
  return (*this)(std::vector{input});
}

SymbolicTensor CustomLayer::operator()(const std::vector<SymbolicTensor>& inputs) const {
  // An empty input gets call()'s own message, which names the layer and the input.
  std::vector<Shape> shapes;
  for (const SymbolicTensor& t : inputs) {
    if (!t) return call(inputs).front();
    shapes.push_back(t.shape());
  }
  return detail::single_output(*impl_, impl_->compute_output_shapes(shapes).size(),
                               [&] { return call(inputs); });
}

std::vector<SymbolicTensor> CustomLayer::call_all(const std::vector<SymbolicTensor>& inputs) const {
  return call(inputs);
}

}  // namespace strata
