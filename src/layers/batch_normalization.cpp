#include "strata/layers/batch_normalization.hpp"

#include <fmt/format.h>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct BatchNormalizationArgs {
  BatchNormalizationOptions options;
};

// Keras 2 wrote `axis` as a list of one axis once the layer was built ([3]); Keras 3 writes the integer.
struct AxisCodec {
  static constexpr const char* type = "int";
  static nlohmann::json write(int v) { return v; }
  static int read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_array() && j.size() == 1) return detail::Codec<int>::read(j[0], at);
    if (j.is_array()) detail::bad_config_value(at, "one axis (strata normalizes the last axis only)", j);
    return detail::Codec<int>::read(j, at);
  }
  static std::string cpp(int v) { return std::to_string(v); }
};

const detail::LayerSchema<BatchNormalizationArgs>& batch_normalization_schema() {
  using Init = detail::InitializerCodec;
  static const auto schema = std::move(
      detail::LayerSchema<BatchNormalizationArgs>("BatchNormalization")
          .option<AxisCodec>("axis", STRATA_ARG(options.axis))
          .option("momentum", STRATA_ARG(options.momentum))
          .option("epsilon", STRATA_ARG(options.epsilon))
          .option("center", STRATA_ARG(options.center))
          .option("scale", STRATA_ARG(options.scale))
          .option<Init>("beta_initializer", STRATA_ARG(options.beta_initializer))
          .option<Init>("gamma_initializer", STRATA_ARG(options.gamma_initializer))
          .option<Init>("moving_mean_initializer", STRATA_ARG(options.moving_mean_initializer))
          .option<Init>("moving_variance_initializer", STRATA_ARG(options.moving_variance_initializer))
          .kept("beta_regularizer")
          .kept("gamma_regularizer")
          .kept("beta_constraint")
          .kept("gamma_constraint")
          .kept("synchronized", false)
          .kept("renorm", false)
          .kept("renorm_clipping")
          .kept("renorm_momentum", 0.99));
  return schema;
}

class BatchNormalizationImpl : public detail::ConfiguredLayer<BatchNormalizationArgs> {
 public:
  explicit BatchNormalizationImpl(BatchNormalizationArgs args)
      : ConfiguredLayer(batch_normalization_schema(), std::move(args)) {
    const BatchNormalizationOptions& o = args_.options;
    const std::string where = prefix();
    if (!(o.epsilon >= 0.0f)) {
      throw ValueError(fmt::format("{} Expected a non-negative epsilon, received {}", where, o.epsilon));
    }
    for (const Initializer* init : {&o.beta_initializer, &o.gamma_initializer, &o.moving_mean_initializer,
                                    &o.moving_variance_initializer}) {
      detail::check_initializer(*init, where);
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 2) {
      throw ShapeError(fmt::format("{} Expected an input of rank 2 or more, received shape {}", prefix(), in.to_string()));
    }
    if (args_.options.axis != -1 && args_.options.axis != in.rank() - 1) {
      throw ValueError(
          fmt::format("{} Only the last axis can be normalized (axis -1 or {}), received axis {} for an "
                      "input of shape {}",
                      prefix(), in.rank() - 1, args_.options.axis, in.to_string()));
    }
    detail::expect_channels(*this, in, channels_);
    return {in};
  }

  void build(const std::vector<Shape>& inputs) override {
    channels_ = *inputs[0][-1];
    auto init = [&](const Initializer& name) { return detail::initialize(name, {channels_}, 1, 1); };
    // Keras's order: gamma, beta, moving_mean, moving_variance; the moving statistics are non-trainable.
    if (args_.options.scale) add_variable("gamma", init(args_.options.gamma_initializer));
    if (args_.options.center) add_variable("beta", init(args_.options.beta_initializer));
    add_variable("moving_mean", init(args_.options.moving_mean_initializer), false);
    add_variable("moving_variance", init(args_.options.moving_variance_initializer), false);
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<detail::Variable>& v = variables();
    size_t at = 0;
    ir::BatchNormOp bn;
    if (args_.options.scale) bn.gamma = v[at++].tensor();
    if (args_.options.center) bn.beta = v[at++].tensor();
    bn.mean = v[at++].tensor();
    bn.variance = v[at++].tensor();
    bn.epsilon = args_.options.epsilon;
    const ir::ValueId out = graph.add_value(graph.values[inputs[0]].dims, name());
    graph.ops.push_back(ir::Op{bn, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  int64_t channels_ = 0;
};

}  // namespace

BatchNormalization::BatchNormalization(BatchNormalizationOptions options) {
  impl_ = std::make_shared<BatchNormalizationImpl>(BatchNormalizationArgs{std::move(options)});
}

SymbolicTensor BatchNormalization::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_batch_normalization_layers() {
  register_layer(layers::batch_normalization_schema(), [](layers::BatchNormalizationArgs a) {
    return std::make_shared<layers::BatchNormalizationImpl>(std::move(a));
  });
}
}  // namespace strata::detail
