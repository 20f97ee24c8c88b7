// GroupNormalization from oneDNN steps. oneDNN 2.6 has no group normalization, but its layer normalization
// normalizes rows: with the groups moved in front of the spatial axes (a reorder), each (sample, group) is
// one contiguous row of spatial x channels-per-group values.

#include "strata/layers/group_normalization.hpp"

#include <fmt/format.h>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using GroupNormalizationArgs = detail::OptionsArgs<GroupNormalizationOptions>;

const detail::LayerSchema<GroupNormalizationArgs>& group_normalization_schema() {
  using Init = detail::InitializerCodec;
  static const auto schema =
      std::move(detail::LayerSchema<GroupNormalizationArgs>("GroupNormalization")
                    .option("groups", STRATA_ARG(options.groups))
                    .option("axis", STRATA_ARG(options.axis))
                    .option("epsilon", STRATA_ARG(options.epsilon))
                    .option("center", STRATA_ARG(options.center))
                    .option("scale", STRATA_ARG(options.scale))
                    .option<Init>("beta_initializer", STRATA_ARG(options.beta_initializer))
                    .option<Init>("gamma_initializer", STRATA_ARG(options.gamma_initializer))
                    .kept("beta_regularizer")
                    .kept("gamma_regularizer")
                    .kept("beta_constraint")
                    .kept("gamma_constraint"));
  return schema;
}

class GroupNormalizationImpl : public detail::ConfiguredLayer<GroupNormalizationArgs> {
 public:
  explicit GroupNormalizationImpl(GroupNormalizationArgs args)
      : ConfiguredLayer(group_normalization_schema(), std::move(args)) {
    const GroupNormalizationOptions& o = args_.options;
    if (o.groups <= 0 && o.groups != -1) {
      throw ValueError(
          fmt::format("{} Expected a positive number of groups (or -1 for instance normalization), "
                      "received groups={}",
                      prefix(), o.groups));
    }
    if (!(o.epsilon >= 0.0f)) {
      throw ValueError(fmt::format("{} Expected a non-negative epsilon, received {}", prefix(), o.epsilon));
    }
    detail::check_initializer(o.beta_initializer, prefix());
    detail::check_initializer(o.gamma_initializer, prefix());
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    groups_for(inputs[0]);
    return {inputs[0]};
  }

  void build(const std::vector<Shape>& inputs) override {
    const int64_t channels = *inputs[0][-1];
    auto init = [&](const Initializer& name) { return detail::initialize(name, {channels}, 1, 1); };
    // Keras's order: gamma, then beta.
    if (args_.options.scale) add_variable("gamma", init(args_.options.gamma_initializer));
    if (args_.options.center) add_variable("beta", init(args_.options.beta_initializer));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    const int64_t channels = dims.back(), groups = groups_of(channels);
    const int64_t per_group = channels / groups;
    int64_t spatial = 1;
    for (size_t d = 1; d + 1 < dims.size(); ++d) spatial *= dims[d];
    // (N, S, G, C/G) -> (N, G, S, C/G): each (sample, group) a row of S * C/G values.
    ir::ValueId x = detail::emit_reshape(graph, inputs[0], {dims[0], spatial, groups, per_group}, name());
    const bool move = spatial > 1 && groups > 1;
    if (move) x = detail::emit_transpose(graph, x, {0, 2, 1, 3}, name());
    const std::vector<int64_t> rows = {dims[0] * groups, spatial * per_group};
    x = detail::emit_reshape(graph, x, rows, name());
    ir::LayerNormOp norm;
    norm.epsilon = args_.options.epsilon;
    const ir::ValueId normalized = graph.add_value(rows, name() + ".groups");
    graph.ops.push_back(ir::Op{norm, {x}, {normalized}, {}, {name()}});
    x = detail::emit_reshape(graph, normalized, {dims[0], groups, spatial, per_group}, name());
    if (move) x = detail::emit_transpose(graph, x, {0, 2, 1, 3}, name());
    x = detail::emit_reshape(graph, x, dims, name());
    if (variables().empty()) return {x};
    // gamma and beta per channel: a batch normalization with mean 0, variance 1 and epsilon 0.
    ir::BatchNormOp affine;
    size_t at = 0;
    if (args_.options.scale) affine.gamma = variables()[at++].tensor();
    if (args_.options.center) affine.beta = variables()[at++].tensor();
    affine.mean = std::make_shared<const Tensor>(std::vector<int64_t>{channels},
                                                 std::vector<float>(static_cast<size_t>(channels), 0.0f));
    affine.variance = std::make_shared<const Tensor>(std::vector<int64_t>{channels},
                                                     std::vector<float>(static_cast<size_t>(channels), 1.0f));
    affine.epsilon = 0.0f;
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{affine, {x}, {out}, {}, {name()}});
    return {out};
  }

 private:
  int64_t groups_of(int64_t channels) const {
    return args_.options.groups == -1 ? channels : args_.options.groups;
  }

  void groups_for(const Shape& in) const {
    if (args_.options.axis != -1 && args_.options.axis != in.rank() - 1) {
      throw ValueError(
          fmt::format("{} strata normalizes groups of the last axis (channels last); received axis={} "
                      "for shape {}",
                      prefix(), args_.options.axis, in.to_string()));
    }
    if (in.rank() < 2 || !in[-1]) {
      throw ShapeError(
          fmt::format("{} Expected an input of rank 2 or more with known channels, received shape {}",
                      prefix(), in.to_string()));
    }
    const int64_t channels = *in[-1], groups = groups_of(channels);
    if (channels < groups) {
      throw ShapeError(fmt::format("{} Number of groups ({}) cannot be more than the number of channels ({})",
                                   prefix(), groups, channels));
    }
    if (channels % groups != 0) {
      throw ShapeError(fmt::format("{} Number of groups ({}) must divide the number of channels ({})",
                                   prefix(), groups, channels));
    }
    if (built() && variables().front().dims().front() != channels) {
      throw ShapeError(fmt::format("{} Expected {} channels as in the first call, received shape {}",
                                   prefix(), variables().front().dims().front(), in.to_string()));
    }
  }
};

}  // namespace

GroupNormalization::GroupNormalization(GroupNormalizationOptions options) {
  impl_ = std::make_shared<GroupNormalizationImpl>(GroupNormalizationArgs{std::move(options)});
}

SymbolicTensor GroupNormalization::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_group_normalization_layers() {
  register_layer(layers::group_normalization_schema(), [](layers::GroupNormalizationArgs a) {
    return std::make_shared<layers::GroupNormalizationImpl>(std::move(a));
  });
}
}  // namespace strata::detail
