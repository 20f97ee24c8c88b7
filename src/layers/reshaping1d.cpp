#include "strata/layers/reshaping1d.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "layers/window_geometry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

using detail::plus;

struct ZeroPadding1DArgs {
  Margins1D padding = 1;
  LayerOptions options;
};
struct Cropping1DArgs {
  Margins1D cropping = 1;
  LayerOptions options;
};
struct UpSampling1DArgs {
  int size = 2;
  LayerOptions options;
};

const detail::LayerSchema<ZeroPadding1DArgs>& zero_padding1d_schema() {
  static const auto schema = std::move(detail::LayerSchema<ZeroPadding1DArgs>("ZeroPadding1D")
                                           .positional("padding", STRATA_ARG(padding))
                                           .fixed("data_format", "channels_last"));
  return schema;
}

const detail::LayerSchema<Cropping1DArgs>& cropping1d_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<Cropping1DArgs>("Cropping1D").positional("cropping", STRATA_ARG(cropping)));
  return schema;
}

const detail::LayerSchema<UpSampling1DArgs>& up_sampling1d_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<UpSampling1DArgs>("UpSampling1D").positional("size", STRATA_ARG(size)));
  return schema;
}

void expect_non_negative(const std::string& where, const char* what, const Margins1D& m) {
  if (m.before() < 0 || m.after() < 0) {
    throw ValueError(fmt::format("{} Expected a non-negative {}, received {}", where, what, m.to_string()));
  }
}

ir::SpatialPadding to_padding(const Margins1D& m) {
  return ir::SpatialPadding{{m.before()}, {m.after()}};
}

// The output of a 1D data-movement layer: the input's dims with `steps` steps.
ir::ValueId add_output(ir::Graph& graph, ir::ValueId input, int64_t steps, const std::string& name) {
  std::vector<int64_t> dims = graph.values[input].dims;
  dims[1] = steps;
  return graph.add_value(dims, name);
}

class ZeroPadding1DImpl : public detail::ConfiguredLayer<ZeroPadding1DArgs> {
 public:
  explicit ZeroPadding1DImpl(ZeroPadding1DArgs args)
      : ConfiguredLayer(zero_padding1d_schema(), std::move(args)) {
    expect_non_negative(prefix(), "padding", args_.padding);
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    return {Shape{in[0], plus(in[1], int64_t{args_.padding.before()} + args_.padding.after()), in[2]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const int64_t steps = graph.values[inputs[0]].dims[1] + args_.padding.before() + args_.padding.after();
    const ir::ValueId out = add_output(graph, inputs[0], steps, name());
    graph.ops.push_back(ir::Op{ir::PadOp{to_padding(args_.padding)}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

class Cropping1DImpl : public detail::ConfiguredLayer<Cropping1DArgs> {
 public:
  explicit Cropping1DImpl(Cropping1DArgs args) : ConfiguredLayer(cropping1d_schema(), std::move(args)) {
    expect_non_negative(prefix(), "cropping", args_.cropping);
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    const Dim steps = plus(in[1], -(int64_t{args_.cropping.before()} + args_.cropping.after()));
    if (steps && *steps <= 0) {
      throw ShapeError(fmt::format("{} Cropping {} leaves no step of an input of shape {}", prefix(),
                                   args_.cropping.to_string(), in.to_string()));
    }
    return {Shape{in[0], steps, in[2]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const int64_t steps = graph.values[inputs[0]].dims[1] - args_.cropping.before() - args_.cropping.after();
    if (steps <= 0) {
      throw ShapeError(fmt::format("{} Cropping {} leaves no step of an input of {} steps", prefix(),
                                   args_.cropping.to_string(), graph.values[inputs[0]].dims[1]));
    }
    const ir::ValueId out = add_output(graph, inputs[0], steps, name());
    graph.ops.push_back(ir::Op{ir::CropOp{to_padding(args_.cropping)}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

class UpSampling1DImpl : public detail::ConfiguredLayer<UpSampling1DArgs> {
 public:
  explicit UpSampling1DImpl(UpSampling1DArgs args)
      : ConfiguredLayer(up_sampling1d_schema(), std::move(args)) {
    if (args_.size <= 0) {
      throw ValueError(fmt::format("{} Expected a positive size, received {}", prefix(), args_.size));
    }
  }
  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    detail::expect_rank(*this, in, 3);
    return {Shape{in[0], detail::checked_times(prefix(), in[1], args_.size), in[2]}};
  }
  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out =
        add_output(graph, inputs[0], graph.values[inputs[0]].dims[1] * args_.size, name());
    graph.ops.push_back(ir::Op{ir::UpsampleOp{{args_.size}}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }
};

}  // namespace

ZeroPadding1D::ZeroPadding1D(Margins1D padding, LayerOptions options) {
  impl_ = std::make_shared<ZeroPadding1DImpl>(ZeroPadding1DArgs{padding, std::move(options)});
}
SymbolicTensor ZeroPadding1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

Cropping1D::Cropping1D(Margins1D cropping, LayerOptions options) {
  impl_ = std::make_shared<Cropping1DImpl>(Cropping1DArgs{cropping, std::move(options)});
}
SymbolicTensor Cropping1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

UpSampling1D::UpSampling1D(int size, LayerOptions options) {
  impl_ = std::make_shared<UpSampling1DImpl>(UpSampling1DArgs{size, std::move(options)});
}
SymbolicTensor UpSampling1D::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_reshaping1d_layers() {
  register_layer(layers::zero_padding1d_schema(), [](layers::ZeroPadding1DArgs a) {
    return std::make_shared<layers::ZeroPadding1DImpl>(std::move(a));
  });
  register_layer(layers::cropping1d_schema(), [](layers::Cropping1DArgs a) {
    return std::make_shared<layers::Cropping1DImpl>(std::move(a));
  });
  register_layer(layers::up_sampling1d_schema(), [](layers::UpSampling1DArgs a) {
    return std::make_shared<layers::UpSampling1DImpl>(std::move(a));
  });
}
}  // namespace strata::detail
