#include "strata/layers/reshaping.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using detail::plus;

struct ZeroPadding2DArgs {
  Margins2D padding = 1;
  LayerOptions options;
};
struct Cropping2DArgs {
  Margins2D cropping = 0;
  LayerOptions options;
};
struct UpSampling2DArgs {
  Size2 size = 2;
  UpSampling2DOptions options;
};
using FlattenArgs = detail::OptionsArgs<LayerOptions>;
struct ReshapeArgs {
  std::vector<int64_t> target_shape;
  LayerOptions options;
};
struct PermuteArgs {
  std::vector<int64_t> dims;  // 1-based axes
  LayerOptions options;
};
struct RepeatVectorArgs {
  int n = 1;
  LayerOptions options;
};
struct DropoutArgs {
  float rate = 0.0f;
  DropoutOptions options;
};

const detail::LayerSchema<ZeroPadding2DArgs>& zero_padding2d_schema() {
  static const auto schema = std::move(detail::LayerSchema<ZeroPadding2DArgs>("ZeroPadding2D")
                                           .positional("padding", STRATA_ARG(padding))
                                           .fixed("data_format", "channels_last"));
  return schema;
}

const detail::LayerSchema<Cropping2DArgs>& cropping2d_schema() {
  static const auto schema = std::move(detail::LayerSchema<Cropping2DArgs>("Cropping2D")
                                           .positional("cropping", STRATA_ARG(cropping))
                                           .fixed("data_format", "channels_last"));
  return schema;
}

const detail::LayerSchema<UpSampling2DArgs>& up_sampling2d_schema() {
  static const auto schema = std::move(detail::LayerSchema<UpSampling2DArgs>("UpSampling2D")
                                           .positional("size", STRATA_ARG(size))
                                           .option("interpolation", STRATA_ARG(options.interpolation))
                                           .fixed("data_format", "channels_last"));
  return schema;
}

const detail::LayerSchema<FlattenArgs>& flatten_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<FlattenArgs>("Flatten").fixed("data_format", "channels_last"));
  return schema;
}

const detail::LayerSchema<ReshapeArgs>& reshape_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<ReshapeArgs>("Reshape").required("target_shape", STRATA_ARG(target_shape)));
  return schema;
}

const detail::LayerSchema<PermuteArgs>& permute_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<PermuteArgs>("Permute").required("dims", STRATA_ARG(dims)));
  return schema;
}

const detail::LayerSchema<RepeatVectorArgs>& repeat_vector_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<RepeatVectorArgs>("RepeatVector").required("n", STRATA_ARG(n)));
  return schema;
}

const detail::LayerSchema<DropoutArgs>& dropout_schema() {
  static const auto schema = std::move(detail::LayerSchema<DropoutArgs>("Dropout")
                                           .required("rate", STRATA_ARG(rate))
                                           .option("noise_shape", STRATA_ARG(options.noise_shape))
                                           .option("seed", STRATA_ARG(options.seed)));
  return schema;
}

// Keras 3's SpatialDropout2D writes no `trainable` and its dtype as a plain string.
const detail::LayerSchema<DropoutArgs>& spatial_dropout2d_schema() {
  static const auto schema = std::move(detail::LayerSchema<DropoutArgs>("SpatialDropout2D")
                                           .required("rate", STRATA_ARG(rate))
                                           .option("seed", STRATA_ARG(options.seed))
                                           .fixed("data_format", "channels_last")
                                           .kept("dtype", "float32")
                                           .accepted("trainable")    // Keras 2, from Dropout's config
                                           .accepted("noise_shape")  // Keras 2, from Dropout's config
                                           .without_base_keys());
  return schema;
}

ir::SpatialPadding to_padding(const Margins2D& m) {
  return ir::SpatialPadding{{m.top(), m.left()}, {m.bottom(), m.right()}};
}

void expect_non_negative(const std::string& where, const char* what, const Margins2D& m) {
  if (m.top() < 0 || m.bottom() < 0 || m.left() < 0 || m.right() < 0) {
    throw ValueError(fmt::format("{} Expected a non-negative {}, received {}", where, what, m.to_string()));
  }
}

class ZeroPadding2DImpl : public detail::ConfiguredLayer<ZeroPadding2DArgs> {
 public:
  explicit ZeroPadding2DImpl(ZeroPadding2DArgs args)
      : ConfiguredLayer(zero_padding2d_schema(), std::move(args)), padding_(args_.padding) {
    expect_non_negative(prefix(), "padding", padding_);
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    // In int64: two paddings near INT_MAX would overflow an int (the sum is then refused as too large).
    return {Shape{in[0], plus(in[1], int64_t{padding_.top()} + padding_.bottom()),
                  plus(in[2], int64_t{padding_.left()} + padding_.right()), in[3]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] += padding_.top() + padding_.bottom();
    dims[2] += padding_.left() + padding_.right();
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::PadOp{to_padding(padding_)}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  Margins2D padding_;
};

class Cropping2DImpl : public detail::ConfiguredLayer<Cropping2DArgs> {
 public:
  explicit Cropping2DImpl(Cropping2DArgs args)
      : ConfiguredLayer(cropping2d_schema(), std::move(args)), cropping_(args_.cropping) {
    const Margins2D& cropping = cropping_;
    expect_non_negative(prefix(), "cropping", cropping);
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const Dim h = plus(in[1], -(int64_t{cropping_.top()} + cropping_.bottom()));
    const Dim w = plus(in[2], -(int64_t{cropping_.left()} + cropping_.right()));
    check(h, w, in.to_string());
    return {Shape{in[0], h, w, in[3]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] -= cropping_.top() + cropping_.bottom();
    dims[2] -= cropping_.left() + cropping_.right();
    check(dims[1], dims[2], to_shape(graph.values[inputs[0]].dims).to_string());
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::CropOp{to_padding(cropping_)}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  void check(const Dim& h, const Dim& w, const std::string& input) const {
    if ((h && *h <= 0) || (w && *w <= 0)) {
      throw ShapeError(fmt::format("{} Cropping {} leaves nothing of an input of shape {}", prefix(),
                                   cropping_.to_string(), input));
    }
  }
  Margins2D cropping_;
};

class UpSampling2DImpl : public detail::ConfiguredLayer<UpSampling2DArgs> {
 public:
  explicit UpSampling2DImpl(UpSampling2DArgs args)
      : ConfiguredLayer(up_sampling2d_schema(), std::move(args)), size_(args_.size) {
    const UpSampling2DOptions& o = args_.options;
    detail::expect_positive(prefix(), "size", size_);
    if (o.interpolation != "nearest" && o.interpolation != "bilinear") {
      throw ValueError(
          fmt::format("{} Unsupported interpolation '{}'. Expected one of: nearest, bilinear (Keras's "
                      "bicubic, lanczos3 and lanczos5 are not implemented)",
                      prefix(), o.interpolation));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    return {Shape{in[0], detail::checked_times(prefix(), in[1], size_.h()),
                  detail::checked_times(prefix(), in[2], size_.w()), in[3]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] *= size_.h();
    dims[2] *= size_.w();
    const ir::ValueId out = graph.add_value(dims, name());
    if (args_.options.interpolation == "bilinear") {
      // Keras 3 resizes to (h * size_h, w * size_w) with ops.image.resize: TensorFlow's half-pixel rule.
      graph.ops.push_back(
          ir::Op{ir::ResizeOp{ir::ResizeOp::Kind::kLinear}, {inputs[0]}, {out}, {}, {name()}});
      return {out};
    }
    graph.ops.push_back(ir::Op{ir::UpsampleOp{{size_.h(), size_.w()}}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  Size2 size_;
};

class FlattenImpl : public detail::ConfiguredLayer<FlattenArgs> {
 public:
  explicit FlattenImpl(FlattenArgs args) : ConfiguredLayer(flatten_schema(), std::move(args)) {}
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 1) throw ShapeError(fmt::format("{} Expected an input with a batch dimension, received ()", prefix()));
    int64_t n = 1;
    for (int d = 1; d < in.rank(); ++d) {
      if (!in[d]) {
        throw ShapeError(fmt::format("{} All dimensions but the batch must be known to flatten, received shape {}",
                                     prefix(), in.to_string()));
      }
      n *= *in[d];
    }
    return {Shape{in[0], n}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& in = graph.values[inputs[0]].dims;
    return {detail::emit_reshape(graph, inputs[0], {in[0], element_count(in) / in[0]}, name())};
  }
};

class ReshapeImpl : public detail::ConfiguredLayer<ReshapeArgs> {
 public:
  explicit ReshapeImpl(ReshapeArgs args)
      : ConfiguredLayer(reshape_schema(), std::move(args)), target_(args_.target_shape) {
    int unknown = 0;
    int64_t known = 1;
    for (int64_t d : target_) {
      if (d == -1) {
        ++unknown;
      } else if (d <= 0) {
        throw ValueError(fmt::format("{} Expected positive target dimensions (or one -1), received ({})", prefix(),
                                     fmt::join(target_, ", ")));
      } else if (d > detail::kMaxSampleElements / known) {
        // Checked here so that the shape rule's products cannot overflow (a config may say anything).
        throw ValueError(fmt::format("{} Expected a target of at most 2^40 values per sample, received ({})",
                                     prefix(), fmt::join(target_, ", ")));
      } else {
        known *= d;
      }
    }
    if (unknown > 1 || target_.empty()) {
      throw ValueError(fmt::format("{} Expected at least one target dimension and at most one -1, received ({})",
                                   prefix(), fmt::join(target_, ", ")));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    std::optional<int64_t> count = 1;
    for (int d = 1; d < in.rank(); ++d) count = (count && in[d]) ? std::optional<int64_t>(*count * *in[d]) : std::nullopt;
    std::vector<Dim> out{in[0]};
    const std::vector<int64_t> resolved = resolve(count, in.to_string());
    for (int64_t d : resolved) out.push_back(d == -1 ? None : Dim(d));
    return {Shape(out)};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& in = graph.values[inputs[0]].dims;
    std::vector<int64_t> dims{in[0]};
    const std::vector<int64_t> resolved = resolve(element_count(in) / in[0], to_shape(in).to_string());
    dims.insert(dims.end(), resolved.begin(), resolved.end());
    return {detail::emit_reshape(graph, inputs[0], dims, name())};
  }

 private:
  // The target with -1 replaced when the input's element count is known; throws when it cannot fit.
  std::vector<int64_t> resolve(std::optional<int64_t> count, const std::string& input) const {
    std::vector<int64_t> out = target_;
    int64_t known = 1;
    int unknown_at = -1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == -1) {
        unknown_at = static_cast<int>(i);
      } else {
        known *= out[i];
      }
    }
    if (!count) return out;
    const bool fits = unknown_at >= 0 ? (*count % known == 0 && *count / known > 0) : *count == known;
    if (!fits) {
      throw ShapeError(fmt::format("{} Cannot reshape an input of shape {} ({} values per sample) to ({})", prefix(),
                                   input, *count, fmt::join(target_, ", ")));
    }
    if (unknown_at >= 0) out[unknown_at] = *count / known;
    return out;
  }
  std::vector<int64_t> target_;
};

class PermuteImpl : public detail::ConfiguredLayer<PermuteArgs> {
 public:
  explicit PermuteImpl(PermuteArgs args) : ConfiguredLayer(permute_schema(), std::move(args)) {
    std::vector<int64_t> sorted = args_.dims;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i] != static_cast<int64_t>(i) + 1) {
        throw ValueError(
            fmt::format("{} Invalid permutation argument `dims` for Permute Layer. The set of indices "
                        "in `dims` must be consecutive and start from 1. Received dims=({})",
                        prefix(), fmt::join(args_.dims, ", ")));
      }
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (inputs[0].rank() != static_cast<int>(args_.dims.size()) + 1) {
      throw ValueError(fmt::format("{} Expected an input of rank {} for dims=({}), received shape {}",
                                   prefix(), args_.dims.size() + 1, fmt::join(args_.dims, ", "),
                                   inputs[0].to_string()));
    }
    std::vector<Dim> out{inputs[0][0]};
    for (int64_t d : args_.dims) out.push_back(inputs[0][static_cast<int>(d)]);
    return {Shape(out)};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int> perm{0};
    for (int64_t d : args_.dims) perm.push_back(static_cast<int>(d));
    std::vector<int64_t> dims;
    for (int d : perm) dims.push_back(graph.values[inputs[0]].dims[d]);
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::TransposeOp{perm}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

class RepeatVectorImpl : public detail::ConfiguredLayer<RepeatVectorArgs> {
 public:
  explicit RepeatVectorImpl(RepeatVectorArgs args)
      : ConfiguredLayer(repeat_vector_schema(), std::move(args)) {
    if (args_.n < 1) throw ValueError(fmt::format("{} Expected n >= 1, received n={}", prefix(), args_.n));
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    detail::expect_rank(*this, inputs[0], 2);
    const Shape out({inputs[0][0], Dim(args_.n), inputs[0][1]});
    detail::check_shape_size(prefix(), "output", out);
    return {out};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& in = graph.values[inputs[0]].dims;
    const ir::ValueId row = detail::emit_reshape(graph, inputs[0], {in[0], 1, in[1]}, name());
    if (args_.n == 1) return {row};
    // n copies of one row, joined: a oneDNN concat reading the same buffer n times.
    const ir::ValueId out = graph.add_value({in[0], args_.n, in[1]}, name());
    graph.ops.push_back(ir::Op{
        ir::ConcatOp{1}, std::vector<ir::ValueId>(static_cast<size_t>(args_.n), row), {out}, {}, {name()}});
    return {out};
  }
};

// Dropout and SpatialDropout2D: the identity at inference, so lowering emits nothing.
class DropoutImpl : public detail::ConfiguredLayer<DropoutArgs> {
 public:
  DropoutImpl(const detail::LayerSchema<DropoutArgs>& schema, DropoutArgs args, int rank)
      : ConfiguredLayer(schema, std::move(args)), rank_(rank) {
    const float rate = args_.rate;
    if (!(rate >= 0.0f && rate < 1.0f)) {
      throw ValueError(fmt::format("{} Expected a rate in [0, 1), received {}", prefix(), rate));
    }
    if (rank_ > 0 && !args_.options.noise_shape.empty()) {
      throw ValueError(fmt::format("{} takes no noise_shape (its mask covers whole channels)", prefix()));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (rank_ > 0) detail::expect_rank(*this, inputs[0], rank_);
    // Keras draws a mask of noise_shape (None entries from the input) and broadcasts it over the input.
    const std::vector<Dim>& noise = args_.options.noise_shape;
    if (!noise.empty()) {
      bool fits = static_cast<int>(noise.size()) == inputs[0].rank();
      for (size_t d = 0; fits && d < noise.size(); ++d) {
        fits = !noise[d] || *noise[d] == 1 || !inputs[0][static_cast<int>(d)] ||
               *noise[d] == *inputs[0][static_cast<int>(d)];
      }
      if (!fits) {
        throw ShapeError(fmt::format("{} noise_shape {} does not broadcast to the input shape {}", prefix(),
                                     Shape(noise).to_string(), inputs[0].to_string()));
      }
    }
    return {inputs[0]};
  }
  std::vector<ir::ValueId> lower(ir::Graph&, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    return {inputs[0]};
  }

 private:
  int rank_;
};

}  // namespace

ZeroPadding2D::ZeroPadding2D(Margins2D padding, LayerOptions options) {
  impl_ = std::make_shared<ZeroPadding2DImpl>(ZeroPadding2DArgs{padding, std::move(options)});
}
SymbolicTensor ZeroPadding2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Cropping2D::Cropping2D(Margins2D cropping, LayerOptions options) {
  impl_ = std::make_shared<Cropping2DImpl>(Cropping2DArgs{cropping, std::move(options)});
}
SymbolicTensor Cropping2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

UpSampling2D::UpSampling2D(Size2 size, UpSampling2DOptions options) {
  impl_ = std::make_shared<UpSampling2DImpl>(UpSampling2DArgs{size, std::move(options)});
}
SymbolicTensor UpSampling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Flatten::Flatten(LayerOptions options) {
  impl_ = std::make_shared<FlattenImpl>(FlattenArgs{std::move(options)});
}
SymbolicTensor Flatten::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Reshape::Reshape(std::vector<int64_t> target_shape, LayerOptions options) {
  impl_ = std::make_shared<ReshapeImpl>(ReshapeArgs{std::move(target_shape), std::move(options)});
}
SymbolicTensor Reshape::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Permute::Permute(std::vector<int> dims, LayerOptions options) {
  impl_ = std::make_shared<PermuteImpl>(PermuteArgs{{dims.begin(), dims.end()}, std::move(options)});
}
SymbolicTensor Permute::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

RepeatVector::RepeatVector(int n, LayerOptions options) {
  impl_ = std::make_shared<RepeatVectorImpl>(RepeatVectorArgs{n, std::move(options)});
}
SymbolicTensor RepeatVector::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

Dropout::Dropout(float rate, DropoutOptions options) {
  impl_ = std::make_shared<DropoutImpl>(dropout_schema(), DropoutArgs{rate, std::move(options)}, 0);
}
SymbolicTensor Dropout::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

SpatialDropout2D::SpatialDropout2D(float rate, DropoutOptions options) {
  impl_ = std::make_shared<DropoutImpl>(spatial_dropout2d_schema(), DropoutArgs{rate, std::move(options)}, 4);
}
SymbolicTensor SpatialDropout2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_reshaping_layers() {
  using namespace layers;
  register_layer(zero_padding2d_schema(),
                 [](ZeroPadding2DArgs a) { return std::make_shared<ZeroPadding2DImpl>(std::move(a)); });
  register_layer(cropping2d_schema(),
                 [](Cropping2DArgs a) { return std::make_shared<Cropping2DImpl>(std::move(a)); });
  register_layer(up_sampling2d_schema(),
                 [](UpSampling2DArgs a) { return std::make_shared<UpSampling2DImpl>(std::move(a)); });
  register_layer(flatten_schema(), [](FlattenArgs a) { return std::make_shared<FlattenImpl>(std::move(a)); });
  register_layer(reshape_schema(), [](ReshapeArgs a) { return std::make_shared<ReshapeImpl>(std::move(a)); });
  register_layer(permute_schema(), [](PermuteArgs a) { return std::make_shared<PermuteImpl>(std::move(a)); });
  register_layer(repeat_vector_schema(),
                 [](RepeatVectorArgs a) { return std::make_shared<RepeatVectorImpl>(std::move(a)); });
  register_layer(dropout_schema(), [](DropoutArgs a) {
    return std::make_shared<DropoutImpl>(dropout_schema(), std::move(a), 0);
  });
  register_layer(spatial_dropout2d_schema(), [](DropoutArgs a) {
    return std::make_shared<DropoutImpl>(spatial_dropout2d_schema(), std::move(a), 4);
  });
}
}  // namespace strata::detail
