// Keras's TimeDistributed: the wrapped layer called once on a placeholder of one step's shape (batch and
// steps merged), so that it checks and builds itself, and has a node (with its padding rule) to lower; each
// call lowers as a reshape to (batch * steps, ...), the wrapped layer's ops, and a reshape back.

#include "strata/layers/time_distributed.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <optional>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/input_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct TimeDistributedArgs {
  Layer layer;
  LayerOptions options;
};

const detail::LayerSchema<TimeDistributedArgs>& time_distributed_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<TimeDistributedArgs>("TimeDistributed")
                    .required<detail::SerializedLayerCodec>("layer", STRATA_ARG(layer)));
  return schema;
}

class TimeDistributedImpl : public detail::ConfiguredLayer<TimeDistributedArgs> {
 public:
  explicit TimeDistributedImpl(TimeDistributedArgs args)
      : ConfiguredLayer(time_distributed_schema(), std::move(args)) {
    if (!args_.layer) throw ValueError(fmt::format("{} Expected a layer to wrap, received none", prefix()));
    inner_ = args_.layer.impl();
  }

  void prepare_call(const std::vector<Shape>& shapes, const std::vector<DType>& dtypes) override {
    if (shapes.size() != 1 || shapes[0].rank() < 3) return;  // compute_output_shapes says why
    call_for(shapes[0], dtypes[0]);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    const Shape& in = inputs[0];
    if (in.rank() < 3) {
      throw ShapeError(
          fmt::format("{} `TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                      "dimensions, received shape {}",
                      prefix(), in.to_string()));
    }
    std::vector<Dim> dims{in[0], in[1]};
    const Shape step = call_for(in, std::nullopt).shape();
    for (int d = 1; d < step.rank(); ++d) dims.push_back(step[d]);
    return {Shape(dims)};
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override {
    return inner_->compute_output_dtypes(inputs, outputs);
  }

  // Keras passes the mask, reshaped to one row per step, to a wrapped layer whose call takes one (the output
  // carries none). strata's wrapped layers that take a mask would read it per step of their own input:
  // refused rather than ignored.
  void check_mask(const SymbolicTensor& mask) const override {
    if (!inner_->takes_mask()) return;
    throw ValueError(
        fmt::format("{} The input carries a mask (from {}), which Keras passes on to {}; strata "
                    "does not",
                    prefix(), mask.name(), inner_->prefix()));
  }

  // The output carries no mask.
  std::vector<SymbolicTensor> compute_masks(const detail::Node&) const override { return {}; }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    std::vector<int64_t> rows{dims[0] * dims[1]};
    rows.insert(rows.end(), dims.begin() + 2, dims.end());
    const ir::ValueId merged = detail::emit_reshape(graph, inputs[0], rows, name());
    const SymbolicTensor step = call_for(node.inputs[0].shape(), node.inputs[0].dtype());
    const ir::ValueId out = inner_->lower(graph, *step.node(), {merged}).front();
    std::vector<int64_t> back{dims[0], dims[1]};
    const std::vector<int64_t>& out_dims = graph.values[out].dims;
    back.insert(back.end(), out_dims.begin() + 1, out_dims.end());
    return {detail::emit_reshape(graph, out, back, name())};
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& in = node.inputs[0].shape();
    return in[1] ? inner_->macs(*call_for(in, node.inputs[0].dtype()).node()) * *in[1] : 0;
  }

  std::vector<detail::SublayerGroup> sublayers() const override { return {{"layer", false, {inner_.get()}}}; }
  std::vector<detail::Variable> weights() const override { return detail::held_weights({inner_}); }
  void set_weights(const std::vector<Tensor>& values) override {
    detail::set_held_weights(prefix(), {inner_}, values);
  }
  uint64_t weights_version() const override { return detail::held_weights_version({inner_}); }
  size_t release_weights(const ReleaseFn& release) override {
    return detail::release_held_weights({inner_}, release);
  }

 private:
  static Shape child_shape(const Shape& in) {
    std::vector<Dim> dims{None};
    for (int d = 2; d < in.rank(); ++d) dims.push_back(in[d]);
    return Shape(dims);
  }

  // The wrapped layer's output on one step of `in`, called on a placeholder the first time a shape (and
  // type) is seen: by the call (prepare_call), or by a nested model's shape rule on new shapes. `dtype`
  // none: any call of this shape, else float32. Locked: plans for new shapes are built at predict time,
  // perhaps on several threads.
  SymbolicTensor call_for(const Shape& in, std::optional<DType> dtype) const {
    const Shape child = child_shape(in);
    std::lock_guard lock(calls_mutex_);
    for (const auto& [key, out] : calls_) {
      if (key.first == child.to_string() && (!dtype || key.second == *dtype)) return out;
    }
    const DType type = dtype.value_or(DType::kFloat32);
    // The placeholder's explicit name takes no default name from the session.
    auto input = std::make_shared<detail::InputLayer>(child, name() + "_step_input", type);
    const std::vector<SymbolicTensor> out = detail::call_layer(inner_, {detail::input_tensor(input)});
    if (out.size() != 1) {
      throw ValueError(fmt::format("{} Expected a wrapped layer with one output, received {} outputs from {}",
                                   prefix(), out.size(), inner_->prefix()));
    }
    calls_.emplace(std::pair{child.to_string(), type}, out.front());
    return out.front();
  }

  std::shared_ptr<detail::LayerImpl> inner_;
  mutable std::mutex calls_mutex_;
  mutable std::map<std::pair<std::string, DType>, SymbolicTensor> calls_;
};

}  // namespace

TimeDistributed::TimeDistributed(const Layer& layer, LayerOptions options) {
  impl_ = std::make_shared<TimeDistributedImpl>(TimeDistributedArgs{layer, std::move(options)});
}

SymbolicTensor TimeDistributed::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_time_distributed_layers() {
  register_layer(layers::time_distributed_schema(), [](layers::TimeDistributedArgs a) {
    return std::make_shared<layers::TimeDistributedImpl>(std::move(a));
  });
}
}  // namespace strata::detail
