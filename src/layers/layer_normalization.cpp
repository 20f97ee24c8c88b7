#include "strata/layers/layer_normalization.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using LayerNormalizationArgs = detail::OptionsArgs<LayerNormalizationOptions>;

const detail::LayerSchema<LayerNormalizationArgs>& layer_normalization_schema() {
  using Init = detail::InitializerCodec;
  static const auto schema =
      std::move(detail::LayerSchema<LayerNormalizationArgs>("LayerNormalization")
                    .option("axis", STRATA_ARG(options.axis))
                    .option("epsilon", STRATA_ARG(options.epsilon))
                    .option("center", STRATA_ARG(options.center))
                    .option("scale", STRATA_ARG(options.scale))
                    // Deprecated in Keras 3 (it scaled by the variance); written false.
                    .fixed("rms_scaling", false)
                    .option<Init>("beta_initializer", STRATA_ARG(options.beta_initializer))
                    .option<Init>("gamma_initializer", STRATA_ARG(options.gamma_initializer))
                    .kept("beta_regularizer")
                    .kept("gamma_regularizer")
                    .kept("beta_constraint")
                    .kept("gamma_constraint"));
  return schema;
}

class LayerNormalizationImpl : public detail::ConfiguredLayer<LayerNormalizationArgs> {
 public:
  explicit LayerNormalizationImpl(LayerNormalizationArgs args)
      : ConfiguredLayer(layer_normalization_schema(), std::move(args)) {
    const LayerNormalizationOptions& o = args_.options;
    if (!(o.epsilon >= 0.0f)) {
      throw ValueError(fmt::format("{} Expected a non-negative epsilon, received {}", prefix(), o.epsilon));
    }
    if (!o.axis.given())
      throw ValueError(fmt::format("{} Expected at least one axis to normalize", prefix()));
    detail::check_initializer(o.beta_initializer, prefix());
    detail::check_initializer(o.gamma_initializer, prefix());
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    const std::vector<Dim> dims = normalized_dims(in);
    if (built() && dims != built_dims_) {
      throw ShapeError(
          fmt::format("{} Expected normalized dimensions ({}) as in the first call, received shape {}",
                      prefix(), fmt::join(dims_text(built_dims_), ", "), in.to_string()));
    }
    return {in};
  }

  void build(const std::vector<Shape>& inputs) override {
    built_dims_ = normalized_dims(inputs[0]);
    // Keras 3 sorts the axes before making the weights: axis=[3, 1] makes (H, C).
    std::vector<int64_t> shape;
    for (const Dim& d : built_dims_) shape.push_back(*d);
    auto init = [&](const Initializer& name) { return detail::initialize(name, shape, 1, 1); };
    // Keras's order: gamma, then beta.
    if (args_.options.scale) add_variable("gamma", init(args_.options.gamma_initializer));
    if (args_.options.center) add_variable("beta", init(args_.options.beta_initializer));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    // Normalized axes that are not the trailing ones move there first (a oneDNN reorder), in their order, so
    // that the weights' row-major floats (Keras's broadcast shape keeps the axes' order) line up.
    const detail::AxesToEnd move = detail::axes_to_end(static_cast<int>(graph.values[inputs[0]].dims.size()),
                                                       args_.options.axis.values());
    const ir::ValueId moved = detail::emit_transpose(graph, inputs[0], move.perm, name());
    const std::vector<int64_t> dims = graph.values[moved].dims;
    // The normalized axes are now trailing: as one last axis, they are rows of oneDNN's layer normalization.
    const size_t kept = dims.size() - built_dims_.size();
    std::vector<int64_t> rows(dims.begin(), dims.begin() + static_cast<long>(kept));
    int64_t width = 1;
    for (size_t d = kept; d < dims.size(); ++d) width *= dims[d];
    rows.push_back(width);
    const ir::ValueId flat = detail::emit_reshape(graph, moved, rows, name());
    ir::LayerNormOp op;
    size_t at = 0;
    // A weight of several axes is the same row-major floats as one of their product.
    if (args_.options.scale) op.gamma = variables()[at++].tensor();
    if (args_.options.center) op.beta = variables()[at++].tensor();
    op.epsilon = args_.options.epsilon;
    const ir::ValueId out = graph.add_value(rows, name());
    graph.ops.push_back(ir::Op{op, {flat}, {out}, {}, {name()}});
    return {
        detail::emit_transpose(graph, detail::emit_reshape(graph, out, dims, name()), move.inverse, name())};
  }

 private:
  static std::vector<std::string> dims_text(const std::vector<Dim>& dims) {
    std::vector<std::string> out;
    for (const Dim& d : dims) out.push_back(d ? std::to_string(*d) : "None");
    return out;
  }

  // The normalized axes' dimensions, in axis order; each axis checked.
  std::vector<Dim> normalized_dims(const Shape& in) const {
    const std::vector<int>& given = args_.options.axis.values();
    const std::string axis_text = fmt::format("{}", fmt::join(given, ", "));
    std::vector<int> axes;
    for (int a : given) {
      const int d = a < 0 ? a + in.rank() : a;
      if (d < 0 || d >= in.rank()) {
        throw ValueError(
            fmt::format("{} Axis {} is out of bounds for an input of shape {}", prefix(), a, in.to_string()));
      }
      if (d == 0) {
        throw ValueError(
            fmt::format("{} Axis {} is the batch axis; layer normalization is per sample", prefix(), a));
      }
      if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
        throw ValueError(
            fmt::format("{} Duplicate axes are not allowed. Received: axis=[{}]", prefix(), axis_text));
      }
      axes.push_back(d);
    }
    std::sort(axes.begin(), axes.end());
    std::vector<Dim> dims;
    for (int d : axes) {
      if (!in[d]) {
        throw ShapeError(
            fmt::format("{} Axis {} of the input shape {} is unknown; the normalized axes need known "
                        "sizes",
                        prefix(), d, in.to_string()));
      }
      dims.push_back(in[d]);
    }
    return dims;
  }

  std::vector<Dim> built_dims_;
};

}  // namespace

LayerNormalization::LayerNormalization(LayerNormalizationOptions options) {
  impl_ = std::make_shared<LayerNormalizationImpl>(LayerNormalizationArgs{std::move(options)});
}

SymbolicTensor LayerNormalization::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_layer_normalization_layers() {
  register_layer(layers::layer_normalization_schema(), [](layers::LayerNormalizationArgs a) {
    return std::make_shared<layers::LayerNormalizationImpl>(std::move(a));
  });
}
}  // namespace strata::detail
