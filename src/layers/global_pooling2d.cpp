#include "strata/layers/global_pooling2d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct GlobalPooling2DArgs {
  GlobalPooling2DOptions options;
};

detail::LayerSchema<GlobalPooling2DArgs> global_pooling2d_schema(const char* class_name) {
  return std::move(detail::LayerSchema<GlobalPooling2DArgs>(class_name)
                       .option("keepdims", STRATA_ARG(options.keepdims))
                       .fixed("data_format", "channels_last"));
}

const detail::LayerSchema<GlobalPooling2DArgs>& global_average_pooling2d_schema() {
  static const auto schema = global_pooling2d_schema("GlobalAveragePooling2D");
  return schema;
}

const detail::LayerSchema<GlobalPooling2DArgs>& global_max_pooling2d_schema() {
  static const auto schema = global_pooling2d_schema("GlobalMaxPooling2D");
  return schema;
}

class GlobalPooling2DImpl : public detail::ConfiguredLayer<GlobalPooling2DArgs> {
 public:
  GlobalPooling2DImpl(const detail::LayerSchema<GlobalPooling2DArgs>& schema, ir::PoolOp::Kind kind,
                      GlobalPooling2DArgs args)
      : ConfiguredLayer(schema, std::move(args)), kind_(kind), keepdims_(args_.options.keepdims) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 4);
    if (keepdims_) return {Shape{in[0], 1, 1, in[3]}};
    return {Shape{in[0], in[3]}};
  }

  // Pooling with a window of the whole image: oneDNN's reduction primitive is a slow reference path here.
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&, const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;
    ir::PoolOp pool;
    pool.kind = kind_;
    pool.window =
        ir::Window::dense({detail::window_extent(prefix(), in[1]), detail::window_extent(prefix(), in[2])});
    pool.window.strides = pool.window.size;
    const ir::ValueId pooled = graph.add_value({in[0], 1, 1, in[3]}, name());
    graph.ops.push_back(ir::Op{pool, {inputs[0]}, {pooled}, {}, {name()}});
    if (keepdims_) return {pooled};
    return {detail::emit_reshape(graph, pooled, {in[0], in[3]}, name())};
  }

 private:
  ir::PoolOp::Kind kind_;
  bool keepdims_;
};

}  // namespace

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPooling2DOptions options) {
  impl_ = std::make_shared<GlobalPooling2DImpl>(global_average_pooling2d_schema(), ir::PoolOp::Kind::kAverage,
                                                GlobalPooling2DArgs{std::move(options)});
}
SymbolicTensor GlobalAveragePooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPooling2DOptions options) {
  impl_ = std::make_shared<GlobalPooling2DImpl>(global_max_pooling2d_schema(), ir::PoolOp::Kind::kMax,
                                                GlobalPooling2DArgs{std::move(options)});
}
SymbolicTensor GlobalMaxPooling2D::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers

namespace strata::detail {
void register_global_pooling2d_layers() {
  using layers::GlobalPooling2DArgs, layers::GlobalPooling2DImpl;
  register_layer(layers::global_average_pooling2d_schema(), [](GlobalPooling2DArgs a) {
    return std::make_shared<GlobalPooling2DImpl>(layers::global_average_pooling2d_schema(),
                                                 ir::PoolOp::Kind::kAverage, std::move(a));
  });
  register_layer(layers::global_max_pooling2d_schema(), [](GlobalPooling2DArgs a) {
    return std::make_shared<GlobalPooling2DImpl>(layers::global_max_pooling2d_schema(),
                                                 ir::PoolOp::Kind::kMax, std::move(a));
  });
}
}  // namespace strata::detail
