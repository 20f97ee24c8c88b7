#include "strata/layers/reshaping.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

ir::Padding2D to_padding(const Margins2D& m) { return ir::Padding2D{m.top(), m.bottom(), m.left(), m.right()}; }

void expect_non_negative(const std::string& where, const char* what, const Margins2D& m) {
  if (m.top() < 0 || m.bottom() < 0 || m.left() < 0 || m.right() < 0) {
    throw ValueError(fmt::format("{} Expected a non-negative {}, received {}", where, what, m.to_string()));
  }
}

Dim plus(const Dim& d, int64_t delta) { return d ? Dim(*d + delta) : None; }

class ZeroPadding2DImpl : public detail::LayerImpl {
 public:
  ZeroPadding2DImpl(const Margins2D& padding, const std::string& name) : LayerImpl("ZeroPadding2D", name), padding_(padding) {
    expect_non_negative(prefix(), "padding", padding);
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    // In int64: two paddings near INT_MAX would overflow an int (the sum is then refused as too large).
    return {Shape{in[0], plus(in[1], int64_t{padding_.top()} + padding_.bottom()),
                  plus(in[2], int64_t{padding_.left()} + padding_.right()), in[3]}};
  }
  nlohmann::json config() const override {
    return {{"padding", detail::margins_json(padding_)}, {"data_format", "channels_last"}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] += padding_.top() + padding_.bottom();
    dims[2] += padding_.left() + padding_.right();
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::PadOp{to_padding(padding_)}, {inputs[0]}, out, {}, {name()}});
    return {out};
  }

 private:
  Margins2D padding_;
};

class Cropping2DImpl : public detail::LayerImpl {
 public:
  Cropping2DImpl(const Margins2D& cropping, const std::string& name) : LayerImpl("Cropping2D", name), cropping_(cropping) {
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
  nlohmann::json config() const override {
    return {{"cropping", detail::margins_json(cropping_)}, {"data_format", "channels_last"}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] -= cropping_.top() + cropping_.bottom();
    dims[2] -= cropping_.left() + cropping_.right();
    check(dims[1], dims[2], to_shape(graph.values[inputs[0]].dims).to_string());
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::CropOp{to_padding(cropping_)}, {inputs[0]}, out, {}, {name()}});
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

class UpSampling2DImpl : public detail::LayerImpl {
 public:
  UpSampling2DImpl(Size2 size, const UpSampling2DOptions& o) : LayerImpl("UpSampling2D", o.name), size_(size) {
    detail::expect_positive(prefix(), "size", size);
    if (o.interpolation != "nearest") {
      throw ValueError(fmt::format("{} Unsupported interpolation '{}'. Expected one of: nearest", prefix(), o.interpolation));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    return {Shape{in[0], detail::checked_times(prefix(), in[1], size_.h()),
                  detail::checked_times(prefix(), in[2], size_.w()), in[3]}};
  }
  nlohmann::json config() const override {
    return {
        {"size", detail::size2_json(size_)}, {"data_format", "channels_last"}, {"interpolation", "nearest"}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims[1] *= size_.h();
    dims[2] *= size_.w();
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::UpsampleOp{size_.h(), size_.w()}, {inputs[0]}, out, {}, {name()}});
    return {out};
  }

 private:
  Size2 size_;
};

class FlattenImpl : public detail::LayerImpl {
 public:
  explicit FlattenImpl(const std::string& name) : LayerImpl("Flatten", name) {}
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
  nlohmann::json config() const override { return {{"data_format", "channels_last"}}; }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t>& in = graph.values[inputs[0]].dims;
    return {detail::emit_reshape(graph, inputs[0], {in[0], element_count(in) / in[0]}, name())};
  }
};

class ReshapeImpl : public detail::LayerImpl {
 public:
  ReshapeImpl(std::vector<int64_t> target, const std::string& name) : LayerImpl("Reshape", name), target_(std::move(target)) {
    int unknown = 0;
    for (int64_t d : target_) {
      if (d == -1) {
        ++unknown;
      } else if (d <= 0) {
        throw ValueError(fmt::format("{} Expected positive target dimensions (or one -1), received ({})", prefix(),
                                     fmt::join(target_, ", ")));
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
  nlohmann::json config() const override { return {{"target_shape", target_}}; }
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

// Dropout and SpatialDropout2D: the identity at inference, so lowering emits nothing.
class DropoutImpl : public detail::LayerImpl {
 public:
  DropoutImpl(const char* class_name, float rate, const DropoutOptions& o, int rank)
      : LayerImpl(class_name, o.name), rate_(rate), seed_(o.seed), rank_(rank) {
    if (!(rate >= 0.0f && rate < 1.0f)) {
      throw ValueError(fmt::format("{} Expected a rate in [0, 1), received {}", prefix(), rate));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    if (rank_ > 0) detail::expect_rank(*this, inputs[0], rank_);
    return {inputs[0]};
  }
  nlohmann::json config() const override {
    nlohmann::json c = {{"rate", rate_}, {"seed", nullptr}};
    if (seed_) c["seed"] = *seed_;
    if (rank_ == 4) {
      c["data_format"] = "channels_last";
    } else {
      c["noise_shape"] = nullptr;
    }
    return c;
  }
  std::vector<ir::ValueId> lower(ir::Graph&, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    return {inputs[0]};
  }

 private:
  float rate_;
  std::optional<int64_t> seed_;
  int rank_;
};

}  // namespace

ZeroPadding2D::ZeroPadding2D(Margins2D padding, LayerOptions options) {
  impl_ = std::make_shared<ZeroPadding2DImpl>(padding, options.name);
}
SymbolicTensor ZeroPadding2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Cropping2D::Cropping2D(Margins2D cropping, LayerOptions options) {
  impl_ = std::make_shared<Cropping2DImpl>(cropping, options.name);
}
SymbolicTensor Cropping2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

UpSampling2D::UpSampling2D(Size2 size, UpSampling2DOptions options) {
  impl_ = std::make_shared<UpSampling2DImpl>(size, options);
}
SymbolicTensor UpSampling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Flatten::Flatten(LayerOptions options) { impl_ = std::make_shared<FlattenImpl>(options.name); }
SymbolicTensor Flatten::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Reshape::Reshape(std::vector<int64_t> target_shape, LayerOptions options) {
  impl_ = std::make_shared<ReshapeImpl>(std::move(target_shape), options.name);
}
SymbolicTensor Reshape::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

Dropout::Dropout(float rate, DropoutOptions options) {
  impl_ = std::make_shared<DropoutImpl>("Dropout", rate, options, 0);
}
SymbolicTensor Dropout::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

SpatialDropout2D::SpatialDropout2D(float rate, DropoutOptions options) {
  impl_ = std::make_shared<DropoutImpl>("SpatialDropout2D", rate, options, 4);
}
SymbolicTensor SpatialDropout2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
