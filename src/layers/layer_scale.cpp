// LayerScale: ConvNeXt's `x * gamma` over the last axis. It lowers to a batch normalization with zero mean,
// unit variance and gamma as its scale, which fold_batch_norm folds into the Dense (or convolution) that
// computes the branch: the kernel scale and bias take gamma, and the block's residual add can then become
// that step's sum post-op.

#include "strata/layers/layer_scale.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <memory>

#include "core/finite.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/scale_as_batch_norm.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct LayerScaleArgs {
  float init_values = 0.0f;
  int projection_dim = 0;
  LayerOptions options;
};

const detail::LayerSchema<LayerScaleArgs>& layer_scale_schema() {
  static const auto schema = std::move(detail::LayerSchema<LayerScaleArgs>("LayerScale")
                                           .required("init_values", STRATA_ARG(init_values))
                                           .required("projection_dim", STRATA_ARG(projection_dim)));
  return schema;
}

class LayerScaleImpl : public detail::ConfiguredLayer<LayerScaleArgs> {
 public:
  // `requested` is init_values as the caller gave it, before narrow_to_float made it a float32 (1e39 does not
  // fit).
  LayerScaleImpl(LayerScaleArgs args, double requested)
      : ConfiguredLayer(layer_scale_schema(), std::move(args)) {
    if (!std::isfinite(requested) || std::fabs(requested) > std::numeric_limits<float>::max()) {
      throw ValueError(
          fmt::format("{} Expected finite float32 init_values, received {}", prefix(), requested));
    }
    if (args_.projection_dim <= 0) {
      throw ValueError(
          fmt::format("{} Expected a positive projection_dim, received {}", prefix(), args_.projection_dim));
    }
  }

  // Keras defines the class in its application's module, not in keras.layers; Keras imports it from there
  // when it loads a file.
  const char* keras3_module() const override { return "keras.src.applications.convnext"; }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 2 || !in[in.rank() - 1] || *in[in.rank() - 1] != args_.projection_dim) {
      throw ShapeError(
          fmt::format("{} Expected an input whose last axis is projection_dim ({}) long, received "
                      "shape {}",
                      prefix(), args_.projection_dim, in.to_string()));
    }
    return {in};
  }

  void build(const std::vector<Shape>&) override {
    const auto n = static_cast<size_t>(args_.projection_dim);
    add_variable("gamma", Tensor(std::vector<int64_t>{args_.projection_dim},
                                 std::vector<float>(n, args_.init_values)));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::BatchNormOp bn = detail::scale_as_batch_norm(variables()[0].tensor());
    const ir::ValueId out = graph.add_value(graph.values[inputs[0]].dims, name());
    graph.ops.push_back(ir::Op{bn, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

}  // namespace

LayerScale::LayerScale(double init_values, int projection_dim, LayerOptions options) {
  impl_ = std::make_shared<LayerScaleImpl>(
      LayerScaleArgs{detail::narrow_to_float(init_values), projection_dim, std::move(options)}, init_values);
}

SymbolicTensor LayerScale::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_layer_scale_layers() {
  register_layer(layers::layer_scale_schema(), [](layers::LayerScaleArgs a) {
    const double init_values = a.init_values;
    return std::make_shared<layers::LayerScaleImpl>(std::move(a), init_values);
  });
}
}  // namespace strata::detail
