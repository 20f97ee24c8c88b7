#include "strata/layers/global_pooling2d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class GlobalPooling2DImpl : public detail::LayerImpl {
 public:
  GlobalPooling2DImpl(const char* class_name, ir::Pool2DOp::Kind kind, const GlobalPooling2DOptions& o)
      : LayerImpl(class_name, o.name), kind_(kind), keepdims_(o.keepdims) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    if (keepdims_) return {Shape{in[0], 1, 1, in[3]}};
    return {Shape{in[0], in[3]}};
  }

  // Pooling with a window of the whole image: oneDNN's reduction primitive is a slow reference path here.
  nlohmann::json config() const override {
    return {{"data_format", "channels_last"}, {"keepdims", keepdims_}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;
    ir::Pool2DOp pool;
    pool.kind = kind_;
    pool.pool_h = static_cast<int>(in[1]);
    pool.pool_w = static_cast<int>(in[2]);
    pool.stride_h = pool.pool_h;
    pool.stride_w = pool.pool_w;
    const ir::ValueId pooled = graph.add_value({in[0], 1, 1, in[3]}, name());
    graph.ops.push_back(ir::Op{pool, {inputs[0]}, pooled, {}, {name()}});
    if (keepdims_) return {pooled};
    return {detail::emit_reshape(graph, pooled, {in[0], in[3]}, name())};
  }

 private:
  ir::Pool2DOp::Kind kind_;
  bool keepdims_;
};

}  // namespace

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPooling2DOptions options) {
  impl_ = std::make_shared<GlobalPooling2DImpl>("GlobalAveragePooling2D", ir::Pool2DOp::Kind::kAverage, options);
}
SymbolicTensor GlobalAveragePooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPooling2DOptions options) {
  impl_ = std::make_shared<GlobalPooling2DImpl>("GlobalMaxPooling2D", ir::Pool2DOp::Kind::kMax, options);
}
SymbolicTensor GlobalMaxPooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
