#include "strata/layers/dense.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct DenseArgs {
  int units = 0;
  DenseOptions options;
};

const detail::LayerSchema<DenseArgs>& dense_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<DenseArgs>("Dense")
          .required("units", STRATA_ARG(units))
          .option<detail::ActivationCodec>("activation", STRATA_ARG(options.activation))
          .option("use_bias", STRATA_ARG(options.use_bias))
          .option<detail::InitializerCodec>("kernel_initializer", STRATA_ARG(options.kernel_initializer))
          .option<detail::InitializerCodec>("bias_initializer", STRATA_ARG(options.bias_initializer))
          .kept("kernel_regularizer")
          .kept("bias_regularizer")
          .kept("kernel_constraint")
          .kept("bias_constraint")
          .fixed("quantization_config", nullptr)
          .only_default("lora_rank")
          .only_default("lora_alpha"));
  return schema;
}

class DenseImpl : public detail::ConfiguredLayer<DenseArgs> {
 public:
  explicit DenseImpl(DenseArgs args) : ConfiguredLayer(dense_schema(), std::move(args)), units_(args_.units) {
    const DenseOptions& o = args_.options;
    const int units = args_.units;
    const std::string where = prefix();
    if (units <= 0) throw ValueError(fmt::format("{} Expected a positive units, received {}", where, units));
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 2) {
      throw ShapeError(fmt::format("{} Expected an input of rank 2 or more (batch included), received shape {}",
                                   prefix(), in.to_string()));
    }
    detail::expect_channels(*this, in, in_features_);
    std::vector<Dim> dims(in.dims().begin(), in.dims().end() - 1);
    dims.push_back(units_);
    return {Shape(dims)};
  }

  void build(const std::vector<Shape>& inputs) override {
    in_features_ = *inputs[0][-1];
    add_variable("kernel",
                 detail::initialize(args_.options.kernel_initializer, {in_features_, units_},
                                    static_cast<double>(in_features_), static_cast<double>(units_)));
    if (args_.options.use_bias)
      add_variable("bias", detail::initialize(args_.options.bias_initializer, {units_}, 1, 1));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims.back() = units_;
    const ir::ValueId out = graph.add_value(dims, name());
    ir::DenseOp dense{variables()[0].tensor(), args_.options.use_bias ? variables()[1].tensor() : nullptr,
                      nullptr};
    graph.ops.push_back(ir::Op{dense, {inputs[0]}, {out}, {}, {name()}});
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    int64_t rows = 1;
    const Shape& out = node.output_shapes[0];
    for (int d = 1; d + 1 < out.rank(); ++d) rows *= out[d].value_or(0);
    return rows * in_features_ * units_;
  }

 private:
  int64_t units_;
  detail::Activation activation_;
  int64_t in_features_ = 0;
};

}  // namespace

Dense::Dense(int units, DenseOptions options) {
  impl_ = std::make_shared<DenseImpl>(DenseArgs{units, std::move(options)});
}

SymbolicTensor Dense::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_dense_layers() {
  register_layer(layers::dense_schema(),
                 [](layers::DenseArgs a) { return std::make_shared<layers::DenseImpl>(std::move(a)); });
}
}  // namespace strata::detail
