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

// The number of values, checked before the op exists (so that a refused call takes no name). TensorFlow's
// range counts ceil((stop - start) / step) in the output's type: int64 for integers, float32 for floats
// (with the arguments first rounded to float32), which decides the last value near `stop`.
int64_t arange_count(const OpArgument& start, const OpArgument& stop, const OpArgument& step, bool integral) {
  const auto shown = [&] {
    return fmt::format("start={}, stop={}, step={}", start.json().dump(), stop.json().dump(),
                       step.json().dump());
  };
  for (const OpArgument* a : {&start, &stop, &step}) {
    if (a->is_tensor() || a->boolean) {
      throw ValueError(
          "[arange (Arange)] Expected numbers for start, stop and step (Python's int or float), "
          "received a tensor or a bool");
    }
    if (!std::isfinite(integral ? *a->number : static_cast<float>(*a->number))) {
      throw ValueError(
          fmt::format("[arange (Arange)] Expected finite float32 numbers, received {}", shown()));
    }
  }
  if (*step.number == 0.0) throw ValueError("[arange (Arange)] Expected a step other than 0, received 0");
  double n = 0.0;
  if (integral) {
    constexpr double lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    for (const OpArgument* a : {&start, &stop, &step}) {
      if (*a->number < lo || *a->number > hi) {
        throw ValueError(
            fmt::format("[arange (Arange)] Expected int32 numbers (Keras's type for Python ints), "
                        "received {}",
                        shown()));
      }
    }
    const int64_t span = stop.integer - start.integer, by = step.integer;
    n = static_cast<double>(span / by + (span % by != 0 && (span > 0) == (by > 0) ? 1 : 0));
  } else {
    const float span = static_cast<float>(*stop.number) - static_cast<float>(*start.number);
    n = std::ceil(static_cast<double>(span / static_cast<float>(*step.number)));
  }
  if (!(n >= 1.0)) {
    throw ValueError(
        fmt::format("[arange (Arange)] Expected at least one value, received {} (strata has no "
                    "empty tensors)",
                    shown()));
  }
  if (n > 1e9)
    throw ValueError(fmt::format("[arange (Arange)] Expected at most 1e9 values, received {}", shown()));
  return static_cast<int64_t>(n);
}

class ArangeOpLayer : public OpLayer {
 public:
  ArangeOpLayer(OpArgument start, OpArgument stop, OpArgument step, bool integral, int64_t count)
      : OpLayer("Arange", "keras.src.ops.numpy"),
        start_(start),
        stop_(stop),
        step_(step),
        integral_(integral),
        count_(count) {}

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
  const detail::OpArgument a = detail::op_argument(start), b = detail::op_argument(stop),
                           c = detail::op_argument(step);
  // Keras's result_type of Python numbers: int32 for ints, float32 once one is a float.
  const bool integral = a.integral && b.integral && c.integral;
  const int64_t count = detail::arange_count(a, b, c, integral);
  return detail::call_op(std::make_shared<detail::ArangeOpLayer>(a, b, c, integral, count), {});
}

SymbolicTensor arange(const Operand& stop) {
  return arange(0, stop, 1);
}

}  // namespace strata::ops
