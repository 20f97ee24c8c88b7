#include "layers/input_layer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "graph/node.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata {
namespace detail {
namespace {

// Keras's batch_shape: the batch (null, or a fixed size strata reads as unknown) and then each dimension.
struct BatchShapeCodec {
  static constexpr const char* type = "(int or None, ...)";
  static nlohmann::json write(const std::vector<Dim>& dims) {
    nlohmann::json out = nlohmann::json::array({nullptr});
    for (const Dim& d : dims) out.push_back(d ? nlohmann::json(*d) : nlohmann::json());
    return out;
  }
  static std::vector<Dim> read(const nlohmann::json& j, const ConfigKey& at) {
    constexpr const char* expected = "a list of the batch size and each dimension (integers or null)";
    if (!j.is_array() || j.empty()) bad_config_value(at, expected, j);
    std::vector<Dim> dims;
    for (size_t i = 0; i < j.size(); ++i) {
      if (!j[i].is_null() && !j[i].is_number_integer()) bad_config_value(at, expected, j);
      if (i == 0) continue;
      dims.push_back(j[i].is_null() ? None : Dim(j[i].get<int64_t>()));
    }
    return dims;
  }
  static std::string cpp(const std::vector<Dim>& dims) {
    std::string out = "{";
    for (size_t i = 0; i < dims.size(); ++i) {
      out += (i ? ", " : "") + (dims[i] ? std::to_string(*dims[i]) : std::string("None"));
    }
    return out + "}";
  }
};

const LayerSchema<InputLayerArgs>& input_layer_schema() {
  static const auto schema = std::move(LayerSchema<InputLayerArgs>("InputLayer")
                                           .required<BatchShapeCodec>("batch_shape", STRATA_ARG(shape))
                                           .alias("batch_input_shape")  // Keras 2
                                           .option("dtype", STRATA_ARG(options.dtype))
                                           .kept("sparse", false)
                                           .fixed("ragged", false)
                                           .kept("optional", false)
                                           .without_base_keys());
  return schema;
}

// The dims after the batch, given a shape whose first dim is the batch.
std::vector<Dim> without_batch(const Shape& shape) {
  return std::vector<Dim>(shape.dims().begin() + (shape.rank() > 0 ? 1 : 0), shape.dims().end());
}

// Input's checks and the layer it makes (built: it has nothing to build). `where` starts messages.
std::shared_ptr<InputLayer> make_input_layer(std::vector<Dim> dims, const std::string& name,
                                             const std::string& dtype, const std::string& where) {
  const DType type = parse_dtype(dtype, where);
  if (dims.empty()) {
    throw ValueError(
        fmt::format("{} Expected at least one dimension (the batch excluded), received ()", where));
  }
  for (const Dim& d : dims) {
    if (d && *d <= 0) {
      throw ValueError(fmt::format("{} Expected positive dimensions or None, received {}", where,
                                   Shape(dims).to_string()));
    }
  }
  dims.insert(dims.begin(), None);
  check_shape_size(where, "input", Shape(dims));
  auto layer = std::make_shared<InputLayer>(Shape(std::move(dims)), name, type);
  layer->mark_built();
  return layer;
}

}  // namespace

void register_input_layer_layers() {
  register_layer(input_layer_schema(), [](InputLayerArgs a) {
    const std::string where = fmt::format("[{} (InputLayer)]", a.options.name.empty() ? "?" : a.options.name);
    return make_input_layer(std::move(a.shape), a.options.name, a.options.dtype, where);
  });
}

InputLayer::InputLayer(Shape shape, const std::string& name, DType dtype)
    : ConfiguredLayer(input_layer_schema(),
                      InputLayerArgs{without_batch(shape), {.dtype = dtype_name(dtype), .name = name}}),
      shape_(std::move(shape)),
      dtype_(dtype) {}

std::vector<Shape> InputLayer::compute_output_shapes(const std::vector<Shape>& inputs) const {
  expect_input_count(*this, inputs, 0);
  return {shape_};
}

std::vector<DType> InputLayer::compute_output_dtypes(const std::vector<DType>&, size_t) const {
  return {dtype_};
}

std::vector<ir::ValueId> InputLayer::lower(ir::Graph&, const Node&, const std::vector<ir::ValueId>&) const {
  throw InternalError(fmt::format("{} an InputLayer is bound to a graph input, never lowered", prefix()));
}

SymbolicTensor input_tensor(const std::shared_ptr<InputLayer>& layer) {
  std::erase_if(layer->inbound_nodes, [](const std::weak_ptr<Node>& n) { return n.expired(); });
  if (!layer->inbound_nodes.empty()) return SymbolicTensor(layer->inbound_nodes.front().lock(), 0);
  auto node = std::make_shared<Node>();
  node->layer = layer;
  node->output_shapes = {layer->shape()};
  node->output_dtypes = {layer->dtype()};
  layer->inbound_nodes.push_back(node);
  return SymbolicTensor(node, 0);
}

}  // namespace detail

SymbolicTensor Input(std::vector<Dim> dims, InputOptions options) {
  return detail::input_tensor(
      detail::make_input_layer(std::move(dims), options.name, options.dtype, "[Input]"));
}

}  // namespace strata

namespace strata::layers {

InputLayer::InputLayer(std::vector<Dim> shape, InputLayerOptions options) {
  // The node made here dies with the returned tensor; input_tensor() makes it again when needed.
  impl_ = strata::Input(std::move(shape),
                        InputOptions{.name = std::move(options.name), .dtype = std::move(options.dtype)})
              .node()
              ->layer;
}

}  // namespace strata::layers
