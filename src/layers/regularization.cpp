// The layers that are the identity at inference (Identity and the noise family): arguments checked as Keras
// checks them, configs as Keras writes them, and no op at all in the compiled program.

#include "strata/layers/regularization.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using IdentityArgs = detail::OptionsArgs<LayerOptions>;
struct NoiseArgs {
  float amount = 0.0f;  // GaussianNoise's stddev, or a rate
  NoiseOptions options;
};
struct AlphaDropoutArgs {
  float rate = 0.0f;
  DropoutOptions options;
};
using ActivityRegularizationArgs = detail::OptionsArgs<ActivityRegularizationOptions>;

const detail::LayerSchema<IdentityArgs>& identity_schema() {
  static const detail::LayerSchema<IdentityArgs> schema("Identity");
  return schema;
}

const detail::LayerSchema<NoiseArgs>& gaussian_noise_schema() {
  static const auto schema = std::move(detail::LayerSchema<NoiseArgs>("GaussianNoise")
                                           .required("stddev", STRATA_ARG(amount))
                                           .option("seed", STRATA_ARG(options.seed)));
  return schema;
}

const detail::LayerSchema<NoiseArgs>& gaussian_dropout_schema() {
  static const auto schema = std::move(detail::LayerSchema<NoiseArgs>("GaussianDropout")
                                           .required("rate", STRATA_ARG(amount))
                                           .option("seed", STRATA_ARG(options.seed)));
  return schema;
}

// Keras 3's SpatialDropout1D, like SpatialDropout2D, writes no `trainable` and its dtype as a plain string.
const detail::LayerSchema<NoiseArgs>& spatial_dropout1d_schema() {
  static const auto schema = std::move(detail::LayerSchema<NoiseArgs>("SpatialDropout1D")
                                           .required("rate", STRATA_ARG(amount))
                                           .option("seed", STRATA_ARG(options.seed))
                                           .kept("dtype", "float32")
                                           .accepted("trainable")    // Keras 2, from Dropout's config
                                           .accepted("noise_shape")  // Keras 2, from Dropout's config
                                           .without_base_keys());
  return schema;
}

const detail::LayerSchema<AlphaDropoutArgs>& alpha_dropout_schema() {
  static const auto schema = std::move(detail::LayerSchema<AlphaDropoutArgs>("AlphaDropout")
                                           .required("rate", STRATA_ARG(rate))
                                           .option("noise_shape", STRATA_ARG(options.noise_shape))
                                           .option("seed", STRATA_ARG(options.seed)));
  return schema;
}

const detail::LayerSchema<ActivityRegularizationArgs>& activity_regularization_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<ActivityRegularizationArgs>("ActivityRegularization")
                    .option("l1", STRATA_ARG(options.l1))
                    .option("l2", STRATA_ARG(options.l2)));
  return schema;
}

// Every layer here: one input of any shape (SpatialDropout1D: rank 3), the output is the input.
template <class Args>
class IdentityAtInference : public detail::ConfiguredLayer<Args> {
 public:
  IdentityAtInference(const detail::LayerSchema<Args>& schema, Args args, int rank = 0)
      : detail::ConfiguredLayer<Args>(schema, std::move(args)), rank_(rank) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (rank_ > 0) detail::expect_rank(*this, inputs[0], rank_);
    return {inputs[0]};
  }
  std::vector<ir::ValueId> lower(ir::Graph&, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    return {inputs[0]};
  }

  // Throws ValueError, naming the layer, unless low <= value <= high (or < high when `open`).
  void expect_between(const char* what, float value, float low, float high, bool open) const {
    if (!(value >= low && (open ? value < high : value <= high))) {
      throw ValueError(fmt::format("{} Expected {} in [{}, {}{}, received {}", this->prefix(), what, low,
                                   high, open ? ")" : "]", value));
    }
  }

 private:
  int rank_;
};

std::shared_ptr<detail::LayerImpl> make_noise(const detail::LayerSchema<NoiseArgs>& schema, NoiseArgs a) {
  const bool spatial = &schema == &spatial_dropout1d_schema();
  auto layer = std::make_shared<IdentityAtInference<NoiseArgs>>(schema, a, spatial ? 3 : 0);
  layer->expect_between(&schema == &gaussian_noise_schema() ? "stddev" : "rate", a.amount, 0.0f, 1.0f,
                        spatial);
  return layer;
}

std::shared_ptr<detail::LayerImpl> make_alpha_dropout(AlphaDropoutArgs a) {
  auto layer = std::make_shared<IdentityAtInference<AlphaDropoutArgs>>(alpha_dropout_schema(), a);
  layer->expect_between("rate", a.rate, 0.0f, 1.0f, false);
  return layer;
}

std::shared_ptr<detail::LayerImpl> make_activity_regularization(ActivityRegularizationArgs a) {
  auto layer =
      std::make_shared<IdentityAtInference<ActivityRegularizationArgs>>(activity_regularization_schema(), a);
  for (const auto& [what, value] : {std::pair{"l1", a.options.l1}, std::pair{"l2", a.options.l2}}) {
    if (!(value >= 0.0f)) {
      throw ValueError(
          fmt::format("{} Expected a non-negative {}, received {}", layer->prefix(), what, value));
    }
  }
  return layer;
}

}  // namespace

Identity::Identity(LayerOptions options) {
  impl_ = std::make_shared<IdentityAtInference<IdentityArgs>>(identity_schema(),
                                                              IdentityArgs{std::move(options)});
}
SymbolicTensor Identity::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

GaussianNoise::GaussianNoise(float stddev, NoiseOptions options) {
  impl_ = make_noise(gaussian_noise_schema(), NoiseArgs{stddev, std::move(options)});
}
SymbolicTensor GaussianNoise::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

GaussianDropout::GaussianDropout(float rate, NoiseOptions options) {
  impl_ = make_noise(gaussian_dropout_schema(), NoiseArgs{rate, std::move(options)});
}
SymbolicTensor GaussianDropout::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

AlphaDropout::AlphaDropout(float rate, DropoutOptions options) {
  impl_ = make_alpha_dropout(AlphaDropoutArgs{rate, std::move(options)});
}
SymbolicTensor AlphaDropout::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

SpatialDropout1D::SpatialDropout1D(float rate, NoiseOptions options) {
  impl_ = make_noise(spatial_dropout1d_schema(), NoiseArgs{rate, std::move(options)});
}
SymbolicTensor SpatialDropout1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

ActivityRegularization::ActivityRegularization(ActivityRegularizationOptions options) {
  impl_ = make_activity_regularization(ActivityRegularizationArgs{std::move(options)});
}
SymbolicTensor ActivityRegularization::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_regularization_layers() {
  using namespace layers;
  register_layer(identity_schema(), [](IdentityArgs a) {
    return std::make_shared<IdentityAtInference<IdentityArgs>>(identity_schema(), std::move(a));
  });
  for (const LayerSchema<NoiseArgs>* schema :
       {&gaussian_noise_schema(), &gaussian_dropout_schema(), &spatial_dropout1d_schema()}) {
    register_layer(*schema, [schema](NoiseArgs a) { return make_noise(*schema, std::move(a)); });
  }
  register_layer(alpha_dropout_schema(), [](AlphaDropoutArgs a) { return make_alpha_dropout(std::move(a)); });
  register_layer(activity_regularization_schema(),
                 [](ActivityRegularizationArgs a) { return make_activity_regularization(std::move(a)); });
}
}  // namespace strata::detail
