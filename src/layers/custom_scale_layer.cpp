// CustomScaleLayer: InceptionResNetV2's `x + branch * scale`. The scale lowers to a unit-variance batch
// normalization of the branch, which fold_batch_norm folds into the convolution computing it (its kernel
// scale and bias), and the sum to a binary add, which fuse_residual_adds makes that convolution's sum
// post-op: a block's residual costs no step of its own.

#include "strata/layers/custom_scale_layer.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "core/finite.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/scale_as_batch_norm.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct CustomScaleArgs {
  float scale = 1.0f;
  LayerOptions options;
};

const detail::LayerSchema<CustomScaleArgs>& custom_scale_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<CustomScaleArgs>("CustomScaleLayer").required("scale", STRATA_ARG(scale)));
  return schema;
}

class CustomScaleImpl : public detail::ConfiguredLayer<CustomScaleArgs> {
 public:
  // `requested` is the scale as the caller gave it, before narrow_to_float made it a float32 (1e39 does not
  // fit).
  CustomScaleImpl(CustomScaleArgs args, double requested)
      : ConfiguredLayer(custom_scale_schema(), std::move(args)) {
    if (!std::isfinite(requested) || std::fabs(requested) > std::numeric_limits<float>::max()) {
      throw ValueError(fmt::format("{} Expected a finite float32 scale, received {}", prefix(), requested));
    }
  }

  // Keras defines the class in the module of its application, not in keras.layers; Keras imports it from
  // there when it loads a file.
  const char* keras3_module() const override { return "keras.src.applications.inception_resnet_v2"; }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() != 2) {
      throw ValueError(
          fmt::format("{} Expected a list of 2 inputs (the block's input and its branch), received {}",
                      prefix(), inputs.size()));
    }
    // Unknown dimensions take the other input's, as the sum's shape would.
    const Shape& a = inputs[0];
    const Shape& b = inputs[1];
    std::vector<Dim> out = a.dims();
    bool same = a.rank() == b.rank();
    for (int d = 0; same && d < a.rank(); ++d) {
      if (a[d] && b[d] && *a[d] != *b[d]) same = false;
      if (!out[d]) out[d] = b[d];
    }
    if (!same) {
      throw ShapeError(fmt::format("{} Expected inputs of one shape, received {} and {}", prefix(),
                                   a.to_string(), b.to_string()));
    }
    return {Shape(out)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    // A copy: add_value grows graph.values.
    const std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    if (graph.values[inputs[1]].dims != dims) {
      throw ShapeError(fmt::format("{} Expected inputs of one shape, received {} and {}", prefix(),
                                   to_shape(dims).to_string(),
                                   to_shape(graph.values[inputs[1]].dims).to_string()));
    }
    ir::ValueId branch = inputs[1];
    if (args_.scale != 1.0f) {
      const ir::BatchNormOp bn = detail::scale_as_batch_norm(scales(dims.back()));
      const ir::ValueId scaled = graph.add_value(dims, name() + ".scaled");
      graph.ops.push_back(ir::Op{bn, {branch}, {scaled}, {}, {name()}});
      branch = scaled;
    }
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(
        ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kAdd}, {inputs[0], branch}, {out}, {}, {name()}});
    return {out};
  }

 private:
  // The scale as one tensor per channel count, the same for every plan (one per input shape): see
  // scale_as_batch_norm.
  std::shared_ptr<const Tensor> scales(int64_t channels) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::shared_ptr<const Tensor>& slot = scales_[channels];
    if (!slot) {
      slot = std::make_shared<const Tensor>(std::vector<int64_t>{channels},
                                            std::vector<float>(static_cast<size_t>(channels), args_.scale));
    }
    return slot;
  }

  mutable std::mutex mutex_;
  mutable std::map<int64_t, std::shared_ptr<const Tensor>> scales_;
};

}  // namespace

CustomScaleLayer::CustomScaleLayer(double scale, LayerOptions options) {
  impl_ = std::make_shared<CustomScaleImpl>(
      CustomScaleArgs{detail::narrow_to_float(scale), std::move(options)}, scale);
}

SymbolicTensor CustomScaleLayer::operator()(const std::vector<SymbolicTensor>& inputs) const {
  return call(inputs).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_custom_scale_layer_layers() {
  register_layer(layers::custom_scale_schema(), [](layers::CustomScaleArgs a) {
    const double scale = a.scale;
    return std::make_shared<layers::CustomScaleImpl>(std::move(a), scale);
  });
}
}  // namespace strata::detail
