// keras.ops.arange: a tensor made from numbers alone, the one op with no tensor input. Keras computes it
// when the model is built (it is never a node of Keras's graph); strata keeps it as an op whose plan step
// writes the values (a constant), so a CompositeLayer's call (keras-io's TokenAndPositionEmbedding) can use
// it. strata's tensors carry a batch axis: arange's is 1, which broadcasts against any batch.

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "graph/node.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

class ArangeOpLayer : public OpLayer {
 public:
  ArangeOpLayer(OpArgument start, OpArgument stop, OpArgument step)
      : OpLayer("Arange", "keras.src.ops.numpy"), start_(start), stop_(stop), step_(step) {
    for (const OpArgument* a : {&start_, &stop_, &step_}) {
      if (a->is_tensor() || a->boolean || !std::isfinite(*a->number)) {
        throw ValueError("[arange (Arange)] Expected finite numbers for start, stop and step");
      }
    }
    // Keras's result_type of Python numbers: int32 for ints, float32 once one is a float.
    integral_ = start_.integral && stop_.integral && step_.integral;
    if (*step_.number == 0.0) throw ValueError("[arange (Arange)] Expected a step other than 0, received 0");
    const double n = std::ceil((*stop_.number - *start_.number) / *step_.number);
    if (!(n >= 1.0)) {
      throw ValueError(
          fmt::format("[arange (Arange)] Expected at least one value, received start={}, stop={}, "
                      "step={} (strata has no empty tensors)",
                      start_.json().dump(), stop_.json().dump(), step_.json().dump()));
    }
    if (n > 1e9 || (integral_ && (std::abs(*start_.number) > std::numeric_limits<int32_t>::max() ||
                                  std::abs(*stop_.number) > std::numeric_limits<int32_t>::max()))) {
      throw ValueError(
          fmt::format("[arange (Arange)] Expected at most 1e9 values within int32 for integer "
                      "arguments, received start={}, stop={}, step={}",
                      start_.json().dump(), stop_.json().dump(), step_.json().dump()));
    }
    count_ = static_cast<int64_t>(n);
  }

  bool takes_no_inputs() const override { return true; }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 0);
    return {Shape({Dim(1), Dim(count_)})};
  }
  std::vector<DType> compute_output_dtypes(const std::vector<DType>&, size_t outputs) const override {
    return std::vector<DType>(outputs, integral_ ? DType::kInt32 : DType::kFloat32);
  }

  // TensorFlow's range kernel: the value starts at `start` and adds `step` each time, in the output's type.
  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>&) const override {
    std::shared_ptr<const Tensor> value;
    if (integral_) {
      std::vector<int32_t> values(static_cast<size_t>(count_));
      for (int64_t i = 0; i < count_; ++i)
        values[static_cast<size_t>(i)] = static_cast<int32_t>(start_.integer + i * step_.integer);
      value = std::make_shared<const Tensor>(Tensor::from_int32({1, count_}, std::move(values)));
    } else {
      std::vector<float> values(static_cast<size_t>(count_));
      float v = static_cast<float>(*start_.number);
      const float step = static_cast<float>(*step_.number);
      for (int64_t i = 0; i < count_; ++i, v += step) values[static_cast<size_t>(i)] = v;
      value = std::make_shared<const Tensor>(std::vector<int64_t>{1, count_}, std::move(values));
    }
    const ir::ValueId out = graph.add_value({1, count_}, name());
    graph.values[out].dtype = integral_ ? ir::DataType::kInt32 : ir::DataType::kFloat32;
    graph.ops.push_back(ir::Op{ir::ConstantOp{value}, {}, {out}, {}, {name()}});
    return {out};
  }

  std::vector<OpArgument> call_arguments(size_t) const override { return {start_, stop_, step_}; }

  // Keras never records arange in a model config (it runs when the model is built), and a node without
  // inputs has no Keras form: refused in both of Keras's forms.
  nlohmann::json keras3_call(const Node&,
                             const std::function<nlohmann::json(const SymbolicTensor&)>&) const override {
    throw unsaveable();
  }
  nlohmann::json call_entries(const Node&,
                              const std::function<nlohmann::json(const SymbolicTensor&)>&) const override {
    throw unsaveable();
  }

 private:
  ValueError unsaveable() const {
    return ValueError(
        fmt::format("{} A Keras model config cannot hold ops.arange (Keras computes it when the model is "
                    "built, so no node "
                    "of Keras's graph makes it): call it inside a CompositeLayer, as keras-io's "
                    "TokenAndPositionEmbedding "
                    "does, or pass the values as a model input",
                    prefix()));
  }

  OpArgument start_, stop_, step_;
  bool integral_ = true;
  int64_t count_ = 0;
};

}  // namespace
}  // namespace strata::detail

namespace strata::ops {

SymbolicTensor arange(const Operand& start, const Operand& stop, const Operand& step) {
  return detail::call_op(
      std::make_shared<detail::ArangeOpLayer>(detail::op_argument(start), detail::op_argument(stop),
                                              detail::op_argument(step)),
      {});
}

SymbolicTensor arange(const Operand& stop) {
  return arange(0, stop, 1);
}

}  // namespace strata::ops
