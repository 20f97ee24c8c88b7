#include "strata/layers/dense.hpp"

#include <fmt/format.h>

#include "core/activation.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

class DenseImpl : public detail::LayerImpl {
 public:
  DenseImpl(int units, const DenseOptions& o) : LayerImpl("Dense", o.name), units_(units), options_(o) {
    const std::string where = prefix();
    if (units <= 0) throw ValueError(fmt::format("{} Expected a positive units, received {}", where, units));
    activation_ = detail::parse_activation(o.activation, where);
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 2) {
      throw ShapeError(fmt::format("{} Expected an input of rank 2 or more (batch included), received shape {}",
                                   prefix(), in.to_string()));
    }
    detail::expect_channels(*this, in, in_features_);
    std::vector<Dim> dims(in.dims().begin(), in.dims().end() - 1);
    dims.push_back(units_);
    return {Shape(dims)};
  }

  void build(const std::vector<Shape>& inputs) override {
    in_features_ = *inputs[0][-1];
    add_variable("kernel", detail::initialize(options_.kernel_initializer, {in_features_, units_},
                                              static_cast<double>(in_features_), static_cast<double>(units_)));
    if (options_.use_bias) add_variable("bias", detail::initialize(options_.bias_initializer, {units_}, 1, 1));
  }

  nlohmann::json config() const override {
    return {{"units", units_},
            {"activation", detail::activation_json(activation_)},
            {"use_bias", options_.use_bias}};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    dims.back() = units_;
    const ir::ValueId out = graph.add_value(dims, name());
    ir::DenseOp dense{variables()[0].tensor(), options_.use_bias ? variables()[1].tensor() : nullptr,
                      nullptr};
    graph.ops.push_back(ir::Op{dense, {inputs[0]}, out, {}, {name()}});
    return {detail::emit_activation(graph, out, activation_, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    int64_t rows = 1;
    const Shape& out = node.output_shapes[0];
    for (int d = 1; d + 1 < out.rank(); ++d) rows *= out[d].value_or(0);
    return rows * in_features_ * units_;
  }

 private:
  int64_t units_;
  DenseOptions options_;
  detail::Activation activation_;
  int64_t in_features_ = 0;
};

}  // namespace

Dense::Dense(int units, DenseOptions options) { impl_ = std::make_shared<DenseImpl>(units, options); }

SymbolicTensor Dense::operator()(const SymbolicTensor& input) const { return call({input}).front(); }

}  // namespace strata::layers
