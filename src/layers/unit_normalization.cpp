// UnitNormalization: Keras's L2 normalization, `x * rsqrt(max(sum(x^2), epsilon^2))`, from IR ops the
// reductions already use, so every step is a oneDNN primitive.

#include "strata/layers/unit_normalization.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using UnitNormalizationArgs = detail::OptionsArgs<UnitNormalizationOptions>;

const detail::LayerSchema<UnitNormalizationArgs>& unit_normalization_schema() {
  static const auto schema = std::move(detail::LayerSchema<UnitNormalizationArgs>("UnitNormalization")
                                           .option("axis", STRATA_ARG(options.axis)));
  return schema;
}

// Keras's ops.normalize clamps the squared norm at epsilon squared, epsilon being 1e-12.
constexpr float kSquaredEpsilon = 1e-24f;

class UnitNormalizationImpl : public detail::ConfiguredLayer<UnitNormalizationArgs> {
 public:
  explicit UnitNormalizationImpl(UnitNormalizationArgs args)
      : ConfiguredLayer(unit_normalization_schema(), std::move(args)) {
    if (!args_.options.axis.given()) throw ValueError(fmt::format("{} Expected at least one axis", prefix()));
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    axes(inputs[0].rank());
    return {inputs[0]};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId x = inputs[0];
    return {detail::emit_l2_normalize(graph, x, axes(static_cast<int>(graph.values[x].dims.size())),
                                      kSquaredEpsilon, name())};
  }

 private:
  std::vector<int> axes(int rank) const {
    std::vector<int> out;
    for (int a : args_.options.axis.values()) {
      const int d = detail::normalize_axis(prefix(), a, rank);
      if (std::find(out.begin(), out.end(), d) != out.end()) {
        throw ValueError(fmt::format("{} Axis {} appears twice in axis=[{}]", prefix(), a,
                                     fmt::join(args_.options.axis.values(), ", ")));
      }
      out.push_back(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

UnitNormalization::UnitNormalization(UnitNormalizationOptions options) {
  impl_ = std::make_shared<UnitNormalizationImpl>(UnitNormalizationArgs{std::move(options)});
}

SymbolicTensor UnitNormalization::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_unit_normalization_layers() {
  register_layer(layers::unit_normalization_schema(), [](layers::UnitNormalizationArgs a) {
    return std::make_shared<layers::UnitNormalizationImpl>(std::move(a));
  });
}
}  // namespace strata::detail
