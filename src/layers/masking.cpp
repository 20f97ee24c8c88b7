// Masking: Keras's `where(any(x != mask_value, axis=-1, keepdims=True), x, 0)`, and the same test recorded
// as the output's mask.

#include "strata/layers/masking.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::layers {
namespace {

using MaskingArgs = detail::OptionsArgs<MaskingOptions>;

const detail::LayerSchema<MaskingArgs>& masking_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<MaskingArgs>("Masking").option("mask_value", STRATA_ARG(options.mask_value)));
  return schema;
}

class MaskingImpl : public detail::ConfiguredLayer<MaskingArgs> {
 public:
  explicit MaskingImpl(MaskingArgs args) : ConfiguredLayer(masking_schema(), std::move(args)) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (inputs[0].rank() < 2) {
      throw ShapeError(
          fmt::format("{} Expected an input of rank 2 or more (the mask covers all but the last "
                      "axis), received shape {}",
                      prefix(), inputs[0].to_string()));
    }
    return {inputs[0]};
  }

  // Keras's compute_mask, called on the input: ops.any(ops.not_equal(inputs, mask_value), axis=-1).
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    return {ops::any(ops::not_equal(node.inputs.front(), args_.options.mask_value), -1)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    using Kind = ir::ElementwiseOp::Kind;
    const ir::ValueId x = inputs[0];
    const int rank = static_cast<int>(graph.values[x].dims.size());
    const ir::ValueId differs = detail::emit_elementwise(
        graph, Kind::kNotEqual,
        detail::ElementwiseOperands{{x}, {{1, static_cast<double>(args_.options.mask_value), false, 0}}},
        DType::kBool, name(), prefix());
    // any(..., axis=-1, keepdims=True) as the maximum of 0 and 1.
    const ir::ValueId counts =
        detail::emit_reduce(graph, detail::emit_cast(graph, differs, DType::kFloat32, name()),
                            ir::ReduceOp::Kind::kMax, {rank - 1}, name());
    const ir::ValueId keep = detail::emit_cast(graph, counts, DType::kBool, name());
    return {detail::emit_elementwise(graph, Kind::kWhere,
                                     detail::ElementwiseOperands{{keep, x}, {{2, 0.0, false, 0}}},
                                     DType::kFloat32, name(), prefix())};
  }
};

}  // namespace

Masking::Masking(MaskingOptions options) {
  impl_ = std::make_shared<MaskingImpl>(MaskingArgs{std::move(options)});
}

SymbolicTensor Masking::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_masking_layers() {
  register_layer(layers::masking_schema(),
                 [](layers::MaskingArgs a) { return std::make_shared<layers::MaskingImpl>(std::move(a)); });
}
}  // namespace strata::detail
