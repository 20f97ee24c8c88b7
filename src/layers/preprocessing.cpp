// Preprocessing layers that live inside models. Rescaling is an affine map: a number becomes one
// element-wise step (fused into the op before it), per-channel values a batch normalization with unit
// variance and zero mean, which the compiler folds into a convolution before it.

#include "strata/layers/preprocessing.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// Keras's float-or-list arguments: one value writes as a number.
struct FloatsCodec {
  static constexpr const char* type = "float or list of float";
  static nlohmann::json write(const std::vector<float>& v) {
    if (v.size() == 1) return detail::float_json(v.front());
    nlohmann::json out = nlohmann::json::array();
    for (float f : v) out.push_back(detail::float_json(f));
    return out;
  }
  static std::vector<float> read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (!j.is_array()) return {detail::Codec<float>::read(j, at)};
    std::vector<float> out;
    for (const nlohmann::json& e : j) out.push_back(detail::Codec<float>::read(e, at));
    return out;
  }
  static std::string cpp(const std::vector<float>& v) {
    if (v.size() == 1) return detail::float_cpp(v.front());
    std::vector<std::string> parts;
    for (float f : v) parts.push_back(detail::float_cpp(f));
    return fmt::format("{{{}}}", fmt::join(parts, ", "));
  }
};

struct RescalingArgs {
  std::vector<float> scale = {1.0f};
  RescalingOptions options;
};

const detail::LayerSchema<RescalingArgs>& rescaling_schema() {
  static const auto schema = std::move(detail::LayerSchema<RescalingArgs>("Rescaling")
                                           .required<FloatsCodec>("scale", STRATA_ARG(scale))
                                           .option<FloatsCodec>("offset", STRATA_ARG(options.offset)));
  return schema;
}

class RescalingImpl : public detail::ConfiguredLayer<RescalingArgs> {
 public:
  explicit RescalingImpl(RescalingArgs args) : ConfiguredLayer(rescaling_schema(), std::move(args)) {
    for (const auto* values : {&args_.scale, &args_.options.offset}) {
      const char* what = values == &args_.scale ? "scale" : "offset";
      if (values->empty()) throw ValueError(fmt::format("{} Expected at least one {} value", prefix(), what));
      for (float v : *values) {
        if (std::isnan(v))
          throw ValueError(fmt::format("{} Expected numbers for {}, received nan", prefix(), what));
      }
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    for (const auto* values : {&args_.scale, &args_.options.offset}) {
      if (values->size() == 1) continue;
      const Dim& channels = inputs[0][-1];
      if (inputs[0].rank() < 2 || !channels || *channels != static_cast<int64_t>(values->size())) {
        throw ShapeError(
            fmt::format("{} Expected {} values per channel to match the last axis of the input, "
                        "received shape {}",
                        prefix(), values->size(), inputs[0].to_string()));
      }
    }
    return {inputs[0]};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<float>& scale = args_.scale;
    const std::vector<float>& offset = args_.options.offset;
    const std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    const ir::ValueId out = graph.add_value(dims, name());
    if (scale.size() == 1 && offset.size() == 1) {
      if (scale[0] == 1.0f && offset[0] == 0.0f) return {inputs[0]};
      graph.ops.push_back(ir::Op{ir::ActivationOp{detail::Activation::affine(scale[0], offset[0])},
                                 {inputs[0]},
                                 {out},
                                 {},
                                 {name()}});
      return {out};
    }
    // (x - 0) / sqrt(1 + 0) * scale + offset is exactly x * scale + offset.
    const int64_t channels = dims.back();
    auto per_channel = [channels](const std::vector<float>& v) {
      std::vector<float> full(static_cast<size_t>(channels), v.front());
      if (v.size() > 1) full = v;
      return std::make_shared<const Tensor>(std::vector<int64_t>{channels}, std::move(full));
    };
    ir::BatchNormOp bn;
    bn.gamma = per_channel(scale);
    bn.beta = per_channel(offset);
    bn.mean = per_channel({0.0f});
    bn.variance = per_channel({1.0f});
    bn.epsilon = 0.0f;
    graph.ops.push_back(ir::Op{bn, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

}  // namespace

Rescaling::Rescaling(double scale, RescalingOptions options) {
  impl_ = std::make_shared<RescalingImpl>(RescalingArgs{{static_cast<float>(scale)}, std::move(options)});
}
Rescaling::Rescaling(std::vector<float> scale, RescalingOptions options) {
  impl_ = std::make_shared<RescalingImpl>(RescalingArgs{std::move(scale), std::move(options)});
}
SymbolicTensor Rescaling::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_preprocessing_layers() {
  register_layer(layers::rescaling_schema(), [](layers::RescalingArgs a) {
    return std::make_shared<layers::RescalingImpl>(std::move(a));
  });
}
}  // namespace strata::detail
