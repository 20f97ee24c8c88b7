#include "strata/layers/pooling2d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class Pooling2DImpl : public detail::LayerImpl {
 public:
  Pooling2DImpl(const char* class_name, ir::Pool2DOp::Kind kind, Size2 pool_size, const Pooling2DOptions& o)
      : LayerImpl(class_name, o.name), kind_(kind), pool_(pool_size), strides_(o.strides.given() ? o.strides : pool_size) {
    const std::string where = prefix();
    detail::expect_positive(where, "pool_size", pool_size);
    if (o.strides.given()) detail::expect_positive(where, "strides", o.strides);
    padding_ = detail::parse_padding(o.padding, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    const detail::Window2D w = detail::window_2d(prefix(), in[1], in[2], pool_, strides_, 1, padding_);
    return {Shape{in[0], w.out_h, w.out_w, in[3]}};
  }

  std::optional<ir::Padding2D> static_padding(const std::vector<Shape>& inputs) const override {
    const Shape& in = inputs[0];
    return detail::window_2d(prefix(), in[1], in[2], pool_, strides_, 1, padding_).padding;
  }

  nlohmann::json config() const override {
    return {{"pool_size", detail::size2_json(pool_)},
            {"strides", detail::size2_json(strides_)},
            {"padding", detail::padding_json(padding_)},
            {"data_format", "channels_last"}};
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
    ir::Pool2DOp pool;
    pool.kind = kind_;
    pool.pool_h = pool_.h();
    pool.pool_w = pool_.w();
    pool.stride_h = strides_.h();
    pool.stride_w = strides_.w();
    pool.padding = ir::Padding2D{h.before, h.after, w.before, w.after};
    if (node.padding && *node.padding != pool.padding) {
      throw InternalError(fmt::format("{} padding computed at build time differs from the compiler's", prefix()));
    }
    ir::ValueId out = graph.add_value({in[0], h.out, w.out, in[3]}, name());
    graph.ops.push_back(ir::Op{pool, {inputs[0]}, out, {}, {name()}});
    return {out};
  }

 private:
  ir::Pool2DOp::Kind kind_;
  Size2 pool_;
  Size2 strides_;
  detail::Padding padding_;
};

}  // namespace

MaxPooling2D::MaxPooling2D(Size2 pool_size, Pooling2DOptions options) {
  impl_ = std::make_shared<Pooling2DImpl>("MaxPooling2D", ir::Pool2DOp::Kind::kMax, pool_size, options);
}

SymbolicTensor MaxPooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

AveragePooling2D::AveragePooling2D(Size2 pool_size, Pooling2DOptions options) {
  impl_ = std::make_shared<Pooling2DImpl>("AveragePooling2D", ir::Pool2DOp::Kind::kAverage, pool_size, options);
}

SymbolicTensor AveragePooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
