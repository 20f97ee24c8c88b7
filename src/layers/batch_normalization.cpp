#include "strata/layers/batch_normalization.hpp"

#include <fmt/format.h>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class BatchNormalizationImpl : public detail::LayerImpl {
 public:
  explicit BatchNormalizationImpl(const BatchNormalizationOptions& o) : LayerImpl("BatchNormalization", o.name), options_(o) {
    const std::string where = prefix();
    if (!(o.epsilon >= 0.0f)) {
      throw ValueError(fmt::format("{} Expected a non-negative epsilon, received {}", where, o.epsilon));
    }
    for (const std::string* init : {&o.beta_initializer, &o.gamma_initializer, &o.moving_mean_initializer,
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
    if (options_.axis != -1 && options_.axis != in.rank() - 1) {
      throw ValueError(fmt::format("{} Only the last axis can be normalized (axis -1 or {}), received axis {} for an "
                                   "input of shape {}",
                                   prefix(), in.rank() - 1, options_.axis, in.to_string()));
    }
    detail::expect_channels(*this, in, channels_);
    return {in};
  }

  void build(const std::vector<Shape>& inputs) override {
    channels_ = *inputs[0][-1];
    auto init = [&](const std::string& name) { return detail::initialize(name, {channels_}, 1, 1); };
    // Keras's order: gamma, beta, moving_mean, moving_variance; the moving statistics are non-trainable.
    if (options_.scale) add_variable("gamma", init(options_.gamma_initializer));
    if (options_.center) add_variable("beta", init(options_.beta_initializer));
    add_variable("moving_mean", init(options_.moving_mean_initializer), false);
    add_variable("moving_variance", init(options_.moving_variance_initializer), false);
  }

  nlohmann::json config() const override {
    return {{"axis", options_.axis},
            {"momentum", options_.momentum},
            {"epsilon", options_.epsilon},
            {"center", options_.center},
            {"scale", options_.scale}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<detail::Variable>& v = variables();
    size_t at = 0;
    ir::BatchNormOp bn;
    if (options_.scale) bn.gamma = v[at++].tensor();
    if (options_.center) bn.beta = v[at++].tensor();
    bn.mean = v[at++].tensor();
    bn.variance = v[at++].tensor();
    bn.epsilon = options_.epsilon;
    const ir::ValueId out = graph.add_value(graph.values[inputs[0]].dims, name());
    graph.ops.push_back(ir::Op{bn, {inputs[0]}, out, {}, {name()}});
    return {out};
  }

 private:
  BatchNormalizationOptions options_;
  int64_t channels_ = 0;
};

}  // namespace

BatchNormalization::BatchNormalization(BatchNormalizationOptions options) {
  impl_ = std::make_shared<BatchNormalizationImpl>(options);
}

SymbolicTensor BatchNormalization::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
