#include "strata/layers/prelu.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// Keras writes shared_axes as a list, or null for None (read as none shared); a number reads as one axis.
struct SharedAxesCodec {
  static constexpr const char* type = "None, an int or a list of int";
  static nlohmann::json write(const std::vector<int>& v) {
    return v.empty() ? nlohmann::json() : nlohmann::json(v);
  }
  static std::vector<int> read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_null()) return {};
    if (!j.is_array()) return {detail::Codec<int>::read(j, at)};
    std::vector<int> out;
    for (const nlohmann::json& e : j) out.push_back(detail::Codec<int>::read(e, at));
    return out;
  }
  static std::string cpp(const std::vector<int>& v) {
    return fmt::format("std::vector<int>{{{}}}", fmt::join(v, ", "));
  }
};

using PReLUArgs = detail::OptionsArgs<PReLUOptions>;

const detail::LayerSchema<PReLUArgs>& prelu_schema() {
  static const auto schema = std::move(
      detail::LayerSchema<PReLUArgs>("PReLU")
          .option<detail::InitializerCodec>("alpha_initializer", STRATA_ARG(options.alpha_initializer))
          .kept("alpha_regularizer")
          .kept("alpha_constraint")
          .option<SharedAxesCodec>("shared_axes", STRATA_ARG(options.shared_axes)));
  return schema;
}

class PReLUImpl : public detail::ConfiguredLayer<PReLUArgs> {
 public:
  explicit PReLUImpl(PReLUArgs args) : ConfiguredLayer(prelu_schema(), std::move(args)) {
    detail::check_initializer(args_.options.alpha_initializer, prefix());
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const std::vector<int64_t> dims = alpha_dims(inputs[0]);
    if (built() && dims != variables()[0].dims()) {
      throw ShapeError(
          fmt::format("{} Expected an input whose unshared axes match alpha's shape ({}) from the "
                      "first call, received shape {}",
                      prefix(), fmt::join(variables()[0].dims(), ", "), inputs[0].to_string()));
    }
    return {inputs[0]};
  }

  void build(const std::vector<Shape>& inputs) override {
    const std::vector<int64_t> dims = alpha_dims(inputs[0]);
    add_variable("alpha", detail::initialize(args_.options.alpha_initializer, dims, 1, 1));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const ir::ValueId out = graph.add_value(graph.values[inputs[0]].dims, name());
    graph.ops.push_back(ir::Op{ir::PReluOp{variables()[0].tensor()}, {inputs[0]}, {out}, {}, {name()}});
    return {out};
  }

 private:
  // Keras's param_shape: the input's dims after the batch, 1 on each shared axis.
  std::vector<int64_t> alpha_dims(const Shape& in) const {
    if (in.rank() < 2) {
      throw ValueError(fmt::format("{} Expected an input with axes after the batch, received shape {}",
                                   prefix(), in.to_string()));
    }
    std::vector<bool> shared(static_cast<size_t>(in.rank()), false);
    for (int a : args_.options.shared_axes) {
      if (a < 1 || a >= in.rank()) {
        throw ValueError(
            fmt::format("{} Expected shared axes between 1 and {} (the axes after the batch), "
                        "received shared_axes=[{}] for an input of shape {}",
                        prefix(), in.rank() - 1, fmt::join(args_.options.shared_axes, ", "), in.to_string()));
      }
      shared[static_cast<size_t>(a)] = true;
    }
    std::vector<int64_t> dims;
    for (int d = 1; d < in.rank(); ++d) {
      if (shared[static_cast<size_t>(d)]) {
        dims.push_back(1);
      } else if (!in[d]) {
        throw ShapeError(
            fmt::format("{} Axis {} of the input shape {} is unknown; alpha needs its size (share it "
                        "with shared_axes)",
                        prefix(), d, in.to_string()));
      } else {
        dims.push_back(*in[d]);
      }
    }
    return dims;
  }
};

}  // namespace

PReLU::PReLU(PReLUOptions options) {
  impl_ = std::make_shared<PReLUImpl>(PReLUArgs{std::move(options)});
}

SymbolicTensor PReLU::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_prelu_layers() {
  register_layer(layers::prelu_schema(),
                 [](layers::PReLUArgs a) { return std::make_shared<layers::PReLUImpl>(std::move(a)); });
}
}  // namespace strata::detail
