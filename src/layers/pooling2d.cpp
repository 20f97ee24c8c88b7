#include "strata/layers/pooling2d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct Pooling2DArgs {
  Size2 pool_size = 2;
  Pooling2DOptions options;
};

// Keras writes the strides in use (the pool size when none were given); null reads as none given.
struct StridesCodec {
  static constexpr const char* type = "(int, int) or None";
  static nlohmann::json write(const Size2& v) {
    return v.given() ? detail::Codec<Size2>::write(v) : nlohmann::json();
  }
  static Size2 read(const nlohmann::json& j, const detail::ConfigKey& at) {
    return j.is_null() ? Size2{} : detail::Codec<Size2>::read(j, at);
  }
  static std::string cpp(const Size2& v) { return v.given() ? detail::Codec<Size2>::cpp(v) : "{}"; }
};

detail::LayerSchema<Pooling2DArgs> pooling2d_schema(const char* class_name) {
  return std::move(detail::LayerSchema<Pooling2DArgs>(class_name)
                       .positional("pool_size", STRATA_ARG(pool_size))
                       .option<StridesCodec>("strides", STRATA_ARG(options.strides))
                       .option("padding", STRATA_ARG(options.padding))
                       .fixed("data_format", "channels_last"));
}

const detail::LayerSchema<Pooling2DArgs>& max_pooling2d_schema() {
  static const auto schema = pooling2d_schema("MaxPooling2D");
  return schema;
}

const detail::LayerSchema<Pooling2DArgs>& average_pooling2d_schema() {
  static const auto schema = pooling2d_schema("AveragePooling2D");
  return schema;
}

class Pooling2DImpl : public detail::ConfiguredLayer<Pooling2DArgs> {
 public:
  Pooling2DImpl(const detail::LayerSchema<Pooling2DArgs>& schema, ir::PoolOp::Kind kind, Pooling2DArgs args)
      : ConfiguredLayer(schema, std::move(args)),
        kind_(kind),
        pool_(args_.pool_size),
        strides_(args_.options.strides.given() ? args_.options.strides : args_.pool_size) {
    const Pooling2DOptions& o = args_.options;
    const Size2 pool_size = args_.pool_size;
    const std::string where = prefix();
    detail::expect_positive(where, "pool_size", pool_size);
    if (o.strides.given()) detail::expect_positive(where, "strides", o.strides);
    padding_ = detail::parse_padding(o.padding, where);
    args_.options.strides = strides_;
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const detail::Window2D w = detail::window_2d(prefix(), in[1], in[2], pool_, strides_, 1, padding_);
    return {Shape{in[0], w.out_h, w.out_w, in[3]}};
  }

  std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::window_2d(prefix(), in[1], in[2], pool_, strides_, 1, padding_).padding;
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;  // a copy: add_value may reallocate
    const detail::WindowAxis h = detail::window_axis(in[1], pool_.h(), strides_.h(), 1, padding_);
    const detail::WindowAxis w = detail::window_axis(in[2], pool_.w(), strides_.w(), 1, padding_);
    if (h.out <= 0 || w.out <= 0) {
      throw ShapeError(fmt::format("{} Output size would be {}x{} for an input of {}x{}", prefix(), h.out, w.out,
                                   in[1], in[2]));
    }
    ir::PoolOp pool;
    pool.kind = kind_;
    pool.window = ir::Window::dense({pool_.h(), pool_.w()});
    pool.window.strides = {strides_.h(), strides_.w()};
    pool.window.padding = ir::SpatialPadding{{h.before, w.before}, {h.after, w.after}};
    if (node.padding && *node.padding != pool.window.padding) {
      throw InternalError(fmt::format("{} padding computed at build time differs from the compiler's", prefix()));
    }
    ir::ValueId out = graph.add_value({in[0], h.out, w.out, in[3]}, name());
    graph.ops.push_back(ir::Op{pool, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  ir::PoolOp::Kind kind_;
  Size2 pool_;
  Size2 strides_;
  detail::Padding padding_;
};

}  // namespace

MaxPooling2D::MaxPooling2D(Size2 pool_size, Pooling2DOptions options) {
  impl_ = std::make_shared<Pooling2DImpl>(max_pooling2d_schema(), ir::PoolOp::Kind::kMax,
                                          Pooling2DArgs{pool_size, std::move(options)});
}

SymbolicTensor MaxPooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

AveragePooling2D::AveragePooling2D(Size2 pool_size, Pooling2DOptions options) {
  impl_ = std::make_shared<Pooling2DImpl>(average_pooling2d_schema(), ir::PoolOp::Kind::kAverage,
                                          Pooling2DArgs{pool_size, std::move(options)});
}

SymbolicTensor AveragePooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_pooling2d_layers() {
  using layers::Pooling2DArgs, layers::Pooling2DImpl;
  register_layer(layers::max_pooling2d_schema(), [](Pooling2DArgs a) {
    return std::make_shared<Pooling2DImpl>(layers::max_pooling2d_schema(), ir::PoolOp::Kind::kMax,
                                           std::move(a));
  });
  register_layer(layers::average_pooling2d_schema(), [](Pooling2DArgs a) {
    return std::make_shared<Pooling2DImpl>(layers::average_pooling2d_schema(), ir::PoolOp::Kind::kAverage,
                                           std::move(a));
  });
}
}  // namespace strata::detail
