#include "strata/layers/pooling1d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// 1D pooling runs as 2D pooling over a (batch, 1, steps, features) view of its input: the reshapes are
// free views and oneDNN pools a 1 x k window as fast as it would a dedicated 1D one.

struct Pooling1DArgs {
  int pool_size = 2;
  Pooling1DOptions options;
};
using GlobalPooling1DArgs = detail::OptionsArgs<GlobalPooling1DOptions>;

detail::LayerSchema<Pooling1DArgs> pooling1d_schema(const char* class_name) {
  return std::move(detail::LayerSchema<Pooling1DArgs>(class_name)
                       .positional<detail::Tuple1Codec>("pool_size", STRATA_ARG(pool_size))
                       .option<detail::OptionalTuple1Codec>("strides", STRATA_ARG(options.strides))
                       .option("padding", STRATA_ARG(options.padding))
                       .fixed("data_format", "channels_last"));
}

const detail::LayerSchema<Pooling1DArgs>& max_pooling1d_schema() {
  static const auto schema = pooling1d_schema("MaxPooling1D");
  return schema;
}

const detail::LayerSchema<Pooling1DArgs>& average_pooling1d_schema() {
  static const auto schema = pooling1d_schema("AveragePooling1D");
  return schema;
}

detail::LayerSchema<GlobalPooling1DArgs> global_pooling1d_schema(const char* class_name) {
  return std::move(detail::LayerSchema<GlobalPooling1DArgs>(class_name)
                       .option("keepdims", STRATA_ARG(options.keepdims))
                       .fixed("data_format", "channels_last"));
}

const detail::LayerSchema<GlobalPooling1DArgs>& global_max_pooling1d_schema() {
  static const auto schema = global_pooling1d_schema("GlobalMaxPooling1D");
  return schema;
}

const detail::LayerSchema<GlobalPooling1DArgs>& global_average_pooling1d_schema() {
  static const auto schema = global_pooling1d_schema("GlobalAveragePooling1D");
  return schema;
}

// Appends (batch, steps, features) -> (batch, 1, steps, features), `pool`, and the reshape to `out_dims`.
ir::ValueId emit_pool_over_steps(ir::Graph& graph, ir::ValueId input, ir::PoolOp pool, int64_t out_steps,
                                 std::vector<int64_t> out_dims, const std::string& layer) {
  const std::vector<int64_t> in = graph.values[input].dims;  // a copy: add_value may reallocate
  const ir::ValueId image = detail::emit_reshape(graph, input, {in[0], 1, in[1], in[2]}, layer);
  const ir::ValueId pooled = graph.add_value({in[0], 1, out_steps, in[2]}, layer);
  graph.ops.push_back(ir::Op{pool, {image}, {pooled}, {}, {layer}});
  return detail::emit_reshape(graph, pooled, std::move(out_dims), layer);
}

class Pooling1DImpl : public detail::ConfiguredLayer<Pooling1DArgs> {
 public:
  Pooling1DImpl(const detail::LayerSchema<Pooling1DArgs>& schema, ir::PoolOp::Kind kind, Pooling1DArgs args)
      : ConfiguredLayer(schema, std::move(args)),
        kind_(kind),
        pool_(args_.pool_size),
        stride_(args_.options.strides.value_or(args_.pool_size)) {
    const std::string where = prefix();
    if (pool_ <= 0)
      throw ValueError(fmt::format("{} Expected a positive pool_size, received {}", where, pool_));
    if (stride_ <= 0)
      throw ValueError(fmt::format("{} Expected positive strides, received {}", where, stride_));
    padding_ = detail::parse_padding(args_.options.padding, where);
    args_.options.strides = stride_;  // Keras writes the strides in use
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    const auto steps = detail::window_1d(prefix(), "steps", in[1], pool_, stride_, 1, padding_);
    return {Shape{in[0], steps ? Dim(steps->out) : None, in[2]}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;
    const detail::WindowAxis steps =
        *detail::window_1d(prefix(), "steps", in[1], pool_, stride_, 1, padding_);
    ir::PoolOp pool;
    pool.kind = kind_;
    pool.window = ir::Window::dense({1, pool_});
    pool.window.strides = {1, stride_};
    pool.window.padding = ir::SpatialPadding{{0, steps.before}, {0, steps.after}};
    return {emit_pool_over_steps(graph, inputs[0], pool, steps.out, {in[0], steps.out, in[2]}, name())};
  }

 private:
  ir::PoolOp::Kind kind_;
  int pool_;
  int stride_;
  detail::Padding padding_ = detail::Padding::kValid;
};

class GlobalPooling1DImpl : public detail::ConfiguredLayer<GlobalPooling1DArgs> {
 public:
  GlobalPooling1DImpl(const detail::LayerSchema<GlobalPooling1DArgs>& schema, ir::PoolOp::Kind kind,
                      GlobalPooling1DArgs args)
      : ConfiguredLayer(schema, std::move(args)), kind_(kind) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    if (args_.options.keepdims) return {Shape{in[0], 1, in[2]}};
    return {Shape{in[0], in[2]}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> in = graph.values[inputs[0]].dims;
    if (node.mask_input) return {masked_average(graph, inputs[0], inputs.back())};
    ir::PoolOp pool;
    pool.kind = kind_;
    const int steps = detail::window_extent(prefix(), in[1]);
    pool.window = ir::Window::dense({1, steps});
    pool.window.strides = {1, steps};
    std::vector<int64_t> out =
        args_.options.keepdims ? std::vector<int64_t>{in[0], 1, in[2]} : std::vector<int64_t>{in[0], in[2]};
    return {emit_pool_over_steps(graph, inputs[0], pool, 1, std::move(out), name())};
  }

 private:
  // Keras's GlobalAveragePooling1D with a mask: sum(where(mask, x, 0)) / sum(mask) over the steps, so a row
  // with every step masked is 0 / 0 (NaN), as in Keras.
  ir::ValueId masked_average(ir::Graph& graph, ir::ValueId x, ir::ValueId mask) const {
    const std::vector<int64_t> in = graph.values[x].dims;
    const std::string& n = name();
    detail::expect_mask_dims(graph, mask, {in[0], in[1]}, prefix(), "mask");
    const ir::ValueId keep =
        detail::emit_reshape(graph, detail::emit_cast(graph, mask, DType::kBool, n), {in[0], in[1], 1}, n);
    const ir::ValueId kept = detail::emit_elementwise(
        graph, ir::ElementwiseOp::Kind::kWhere, detail::ElementwiseOperands{{keep, x}, {{2, 0.0, false, 0}}},
        DType::kFloat32, n, prefix());
    const ir::ValueId total = detail::emit_reduce(graph, kept, ir::ReduceOp::Kind::kSum, {1}, n);
    const ir::ValueId count = detail::emit_reduce(graph, detail::emit_cast(graph, keep, DType::kFloat32, n),
                                                  ir::ReduceOp::Kind::kSum, {1}, n);
    const ir::ValueId mean = graph.add_value({in[0], 1, in[2]}, n);
    graph.ops.push_back(ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kDivide}, {total, count}, {mean}, {}, {n}});
    return args_.options.keepdims ? mean : detail::emit_reshape(graph, mean, {in[0], in[2]}, n);
  }

  ir::PoolOp::Kind kind_;
};

}  // namespace

MaxPooling1D::MaxPooling1D(int pool_size, Pooling1DOptions options) {
  impl_ = std::make_shared<Pooling1DImpl>(max_pooling1d_schema(), ir::PoolOp::Kind::kMax,
                                          Pooling1DArgs{pool_size, std::move(options)});
}

SymbolicTensor MaxPooling1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

AveragePooling1D::AveragePooling1D(int pool_size, Pooling1DOptions options) {
  impl_ = std::make_shared<Pooling1DImpl>(average_pooling1d_schema(), ir::PoolOp::Kind::kAverage,
                                          Pooling1DArgs{pool_size, std::move(options)});
}

SymbolicTensor AveragePooling1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

GlobalMaxPooling1D::GlobalMaxPooling1D(GlobalPooling1DOptions options) {
  impl_ = std::make_shared<GlobalPooling1DImpl>(global_max_pooling1d_schema(), ir::PoolOp::Kind::kMax,
                                                GlobalPooling1DArgs{std::move(options)});
}

SymbolicTensor GlobalMaxPooling1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

GlobalAveragePooling1D::GlobalAveragePooling1D(GlobalPooling1DOptions options) {
  impl_ = std::make_shared<GlobalPooling1DImpl>(global_average_pooling1d_schema(), ir::PoolOp::Kind::kAverage,
                                                GlobalPooling1DArgs{std::move(options)});
}

SymbolicTensor GlobalAveragePooling1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_pooling1d_layers() {
  using layers::Pooling1DArgs, layers::Pooling1DImpl, layers::GlobalPooling1DArgs,
      layers::GlobalPooling1DImpl;
  using Kind = ir::PoolOp::Kind;
  register_layer(layers::max_pooling1d_schema(), [](Pooling1DArgs a) {
    return std::make_shared<Pooling1DImpl>(layers::max_pooling1d_schema(), Kind::kMax, std::move(a));
  });
  register_layer(layers::average_pooling1d_schema(), [](Pooling1DArgs a) {
    return std::make_shared<Pooling1DImpl>(layers::average_pooling1d_schema(), Kind::kAverage, std::move(a));
  });
  register_layer(layers::global_max_pooling1d_schema(), [](GlobalPooling1DArgs a) {
    return std::make_shared<GlobalPooling1DImpl>(layers::global_max_pooling1d_schema(), Kind::kMax,
                                                 std::move(a));
  });
  register_layer(layers::global_average_pooling1d_schema(), [](GlobalPooling1DArgs a) {
    return std::make_shared<GlobalPooling1DImpl>(layers::global_average_pooling1d_schema(), Kind::kAverage,
                                                 std::move(a));
  });
}
}  // namespace strata::detail
