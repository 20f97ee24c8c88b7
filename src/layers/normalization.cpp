// Keras's Normalization preprocessing layer at inference: a scale and shift per feature. The statistics
// become a batch normalization with epsilon 0 over the kept axes viewed as one last axis, whose variance is
// Keras's clamped standard deviation squared, so oneDNN (or the fold into a convolution before it) computes
// (x - mean) / max(sqrt(variance), 1e-7).

#include "strata/layers/normalization.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// Keras writes the axes as a tuple (a list, empty for None) whatever form they were given in.
struct AxisTupleCodec {
  static constexpr const char* type = "int, tuple of int or None";
  static nlohmann::json write(const Axes& v) { return v.values(); }
  static Axes read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_null()) return Axes{};
    return detail::Codec<Axes>::read(j, at);
  }
  static std::string cpp(const Axes& v) {
    return v.values().empty() ? "strata::Axes{}" : detail::Codec<Axes>::cpp(v);
  }
};

// Keras writes `np.array(mean).tolist()`: null, a number, or nested lists, read here row-major.
struct StatisticsCodec {
  static constexpr const char* type = "None, a float or nested lists of float";
  static nlohmann::json write(const std::optional<std::vector<float>>& v) {
    if (!v) return nullptr;
    if (v->size() == 1) return detail::float_json(v->front());
    nlohmann::json out = nlohmann::json::array();
    for (float f : *v) out.push_back(detail::float_json(f));
    return out;
  }
  static std::optional<std::vector<float>> read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_null()) return std::nullopt;
    std::vector<float> out;
    flatten(j, at, 0, out);
    return out;
  }
  static std::string cpp(const std::optional<std::vector<float>>& v) {
    if (!v) return "std::nullopt";
    std::vector<std::string> parts;
    for (float f : *v) parts.push_back(detail::float_cpp(f));
    return fmt::format("std::vector<float>{{{}}}", fmt::join(parts, ", "));
  }

 private:
  static void flatten(const nlohmann::json& j, const detail::ConfigKey& at, int depth,
                      std::vector<float>& out) {
    if (depth > 8) detail::bad_config_value(at, type, j);
    if (!j.is_array()) {
      out.push_back(detail::Codec<float>::read(j, at));
      return;
    }
    for (const nlohmann::json& e : j) flatten(e, at, depth + 1, out);
  }
};

using NormalizationArgs = detail::OptionsArgs<NormalizationOptions>;

const detail::LayerSchema<NormalizationArgs>& normalization_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<NormalizationArgs>("Normalization")
                    .option<AxisTupleCodec>("axis", STRATA_ARG(options.axis))
                    .option<detail::Codec<bool>>("invert", STRATA_ARG(options.invert))
                    .option<StatisticsCodec>("mean", STRATA_ARG(options.mean))
                    .option<StatisticsCodec>("variance", STRATA_ARG(options.variance)));
  return schema;
}

// Keras divides by max(sqrt(variance), backend.epsilon()).
constexpr float kEpsilon = 1e-7f;

class NormalizationImpl : public detail::ConfiguredLayer<NormalizationArgs> {
 public:
  explicit NormalizationImpl(NormalizationArgs args)
      : ConfiguredLayer(normalization_schema(), std::move(args)) {
    const NormalizationOptions& o = args_.options;
    if (o.mean.has_value() != o.variance.has_value()) {
      throw ValueError(
          fmt::format("{} When setting values directly, both mean and variance must be set. "
                      "Received: mean {} and variance {}",
                      prefix(), o.mean ? "set" : "unset", o.variance ? "set" : "unset"));
    }
    if (!o.mean) return;
    if (o.mean->empty() || o.mean->size() != o.variance->size()) {
      throw ValueError(
          fmt::format("{} Expected mean and variance of one non-zero size, received {} and {} "
                      "values",
                      prefix(), o.mean->size(), o.variance->size()));
    }
    for (size_t i = 0; i < o.mean->size(); ++i) {
      if (std::isnan((*o.mean)[i]) || !((*o.variance)[i] >= 0.0f)) {
        throw ValueError(
            fmt::format("{} Expected numbers for the means and non-negative variances, received "
                        "mean {} and variance {} at index {}",
                        prefix(), (*o.mean)[i], (*o.variance)[i], i));
      }
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const std::vector<int64_t> dims = kept_dims(inputs[0]);
    if (built() && dims != built_dims_) {
      throw ShapeError(
          fmt::format("{} Expected kept axes of sizes ({}) as in the first call, received shape {}", prefix(),
                      fmt::join(built_dims_, ", "), inputs[0].to_string()));
    }
    if (args_.options.mean) expand(*args_.options.mean, dims);  // checks the statistics fit
    return {inputs[0]};
  }

  void build(const std::vector<Shape>& inputs) override {
    built_dims_ = kept_dims(inputs[0]);
    if (args_.options.mean) return;
    // Keras's state before adapt: zero means, unit variances, a zero count; none trainable.
    add_variable("mean", Tensor::zeros(built_dims_), false);
    Tensor ones = Tensor::zeros(built_dims_);
    std::fill(ones.data(), ones.data() + ones.size(), 1.0f);
    add_variable("variance", std::move(ones), false);
    add_counter("count");
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<float> mean, variance;
    if (args_.options.mean) {
      mean = expand(*args_.options.mean, built_dims_);
      variance = expand(*args_.options.variance, built_dims_);
    } else {
      mean = variables()[0].tensor()->values();
      variance = variables()[1].tensor()->values();
    }
    // Keras's divisor max(sqrt(v), eps), as the "variance" of an epsilon-free batch normalization.
    std::vector<float> divisor(variance.size());
    for (size_t i = 0; i < variance.size(); ++i) divisor[i] = std::max(std::sqrt(variance[i]), kEpsilon);

    if (mean.size() == 1 && built_dims_.empty()) {
      const float d = divisor[0], m = mean[0];
      const detail::Activation step = args_.options.invert ? detail::Activation::affine(d, m)
                                                           : detail::Activation::affine(1.0f / d, -m / d);
      return {detail::emit_activation(graph, inputs[0], step, name())};
    }
    // Kept axes that are not the trailing ones move there first (a oneDNN reorder), in their order; as one
    // last axis, they are a batch normalization's channels.
    const detail::AxesToEnd move = detail::axes_to_end(static_cast<int>(graph.values[inputs[0]].dims.size()),
                                                       args_.options.axis.values());
    const ir::ValueId moved = detail::emit_transpose(graph, inputs[0], move.perm, name());
    const std::vector<int64_t> dims = graph.values[moved].dims;
    const int64_t width = static_cast<int64_t>(mean.size());
    std::vector<int64_t> rows(dims.begin(), dims.end() - static_cast<long>(built_dims_.size()));
    rows.push_back(width);
    auto tensor = [width](std::vector<float> v) {
      return std::make_shared<const Tensor>(std::vector<int64_t>{width}, std::move(v));
    };
    ir::BatchNormOp bn;
    bn.epsilon = 0.0f;
    if (args_.options.invert) {
      // mean + x * d: a unit-variance normalization scaled by d and shifted by the mean.
      bn.mean = tensor(std::vector<float>(mean.size(), 0.0f));
      bn.variance = tensor(std::vector<float>(mean.size(), 1.0f));
      bn.gamma = tensor(divisor);
      bn.beta = tensor(mean);
    } else {
      for (float& d : divisor) d *= d;
      bn.mean = tensor(mean);
      bn.variance = tensor(divisor);
    }
    const ir::ValueId flat = detail::emit_reshape(graph, moved, rows, name());
    const ir::ValueId out = graph.add_value(rows, name());
    graph.ops.push_back(ir::Op{bn, {flat}, {out}, {}, {name()}});
    return {
        detail::emit_transpose(graph, detail::emit_reshape(graph, out, dims, name()), move.inverse, name())};
  }

 private:
  // The kept axes' sizes, each axis checked; empty for Keras's None.
  std::vector<int64_t> kept_dims(const Shape& in) const {
    const std::vector<int>& given = args_.options.axis.values();
    std::vector<int> axes;
    for (int a : given) {
      const int d = detail::normalize_axis(prefix(), a, in.rank());
      if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
        throw ValueError(
            fmt::format("{} Axis {} appears twice in axis=[{}]", prefix(), a, fmt::join(given, ", ")));
      }
      axes.push_back(d);
    }
    std::sort(axes.begin(), axes.end());
    std::vector<int64_t> dims;
    for (int d : axes) {
      if (!in[d]) {
        throw ShapeError(
            fmt::format("{} All axis values to be kept must have a known shape; axis {} of the input "
                        "shape {} is unknown",
                        prefix(), d, in.to_string()));
      }
      dims.push_back(*in[d]);
    }
    return dims;
  }

  // Keras's broadcast of given statistics onto the kept axes, aligned from the right; row-major.
  std::vector<float> expand(const std::vector<float>& values, const std::vector<int64_t>& kept) const {
    int64_t total = 1;
    for (int64_t d : kept) total *= d;
    const auto n = static_cast<int64_t>(values.size());
    if (n == 1) return std::vector<float>(static_cast<size_t>(total), values.front());
    // The trailing kept axes whose product the values cover; the leading ones repeat them.
    int64_t inner = 1;
    for (auto d = kept.rbegin(); d != kept.rend() && inner < n; ++d) inner *= *d;
    if (inner != n) {
      throw ShapeError(
          fmt::format("{} Expected 1 statistic, or one per element of the kept axes ({}) or of their "
                      "last few, received {}",
                      prefix(), fmt::join(kept, ", "), n));
    }
    std::vector<float> out;
    out.reserve(static_cast<size_t>(total));
    for (int64_t i = 0; i < total / n; ++i) out.insert(out.end(), values.begin(), values.end());
    return out;
  }

  std::vector<int64_t> built_dims_;
};

}  // namespace

Normalization::Normalization(NormalizationOptions options) {
  impl_ = std::make_shared<NormalizationImpl>(NormalizationArgs{std::move(options)});
}

SymbolicTensor Normalization::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_normalization_layers() {
  register_layer(layers::normalization_schema(), [](layers::NormalizationArgs a) {
    return std::make_shared<layers::NormalizationImpl>(std::move(a));
  });
}
}  // namespace strata::detail
