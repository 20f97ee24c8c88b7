// keras.ops.sum, mean, max and min over axes other than the batch, as one oneDNN reduction; without
// keepdims a reshape after it drops the reduced axes.

#include <fmt/format.h>

#include <limits>

#include <algorithm>

#include "layers/dtype_rules.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

// oneDNN 2.6's jit reduction reduces trailing axes only (others run its reference loops); axes with kept
// ones after them are a pooling window instead: the input viewed as (outer, reduced, inner), pooled over
// the middle. Mean and max are that pooling's kinds; sum is the mean times the count, min is -max(-x).
ir::ValueId as_pooling(ir::Graph& graph, ir::ValueId input, ir::ReduceOp::Kind kind, int first, int last,
                       const std::string& layer) {
  const std::vector<int64_t> dims = graph.values[input].dims;
  int64_t outer = 1, reduced = 1, inner = 1;
  for (int d = 0; d < static_cast<int>(dims.size()); ++d)
    (d < first ? outer : d <= last ? reduced : inner) *= dims[d];
  ir::ValueId v = emit_reshape(graph, input, {outer, reduced, inner}, layer);
  const bool min = kind == ir::ReduceOp::Kind::kMin;
  if (min) v = emit_activation(graph, v, Activation::affine(-1.0f, 0.0f), layer);
  const bool extremum = min || kind == ir::ReduceOp::Kind::kMax;
  ir::PoolOp pool{extremum ? ir::PoolOp::Kind::kMax : ir::PoolOp::Kind::kAverage,
                  ir::Window::dense({static_cast<int>(reduced)})};
  const ir::ValueId pooled = graph.add_value({outer, 1, inner}, layer + ".pooled");
  graph.ops.push_back(ir::Op{pool, {v}, {pooled}, {}, {layer}});
  v = pooled;
  if (min) v = emit_activation(graph, v, Activation::affine(-1.0f, 0.0f), layer);
  if (kind == ir::ReduceOp::Kind::kSum) {
    v = emit_activation(graph, v, Activation::affine(static_cast<float>(reduced), 0.0f), layer);
  }
  return v;
}

ir::ValueId as_reduction(ir::Graph& graph, ir::ValueId input, ir::ReduceOp::Kind kind,
                         const std::vector<int>& axes, const std::vector<int64_t>& kept,
                         const std::string& layer) {
  const ir::ValueId out = graph.add_value(kept, layer + ".reduced");
  graph.ops.push_back(ir::Op{ir::ReduceOp{kind, axes}, {input}, {out}, {}, {layer}});
  return out;
}

}  // namespace

ir::ValueId emit_reduce(ir::Graph& graph, ir::ValueId input, ir::ReduceOp::Kind kind,
                        const std::vector<int>& all_axes, const std::string& layer) {
  std::vector<int64_t> kept = graph.values[input].dims;
  // An axis of one element reduces to that element (sum, mean, max and min alike), and oneDNN refuses a
  // reduction that leaves every dimension as it was: only the others are reduced.
  std::vector<int> axes;
  for (int d : all_axes)
    if (kept[static_cast<size_t>(d)] != 1) axes.push_back(d);
  if (axes.empty()) return input;
  for (int d : axes) kept[static_cast<size_t>(d)] = 1;
  const bool contiguous = axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
  const bool trailing = axes.back() == static_cast<int>(kept.size()) - 1;
  const ir::ValueId out = contiguous && !trailing
                              ? as_pooling(graph, input, kind, axes.front(), axes.back(), layer)
                              : as_reduction(graph, input, kind, axes, kept, layer);
  // The pooling form ends as (outer, 1, inner): the same elements as the input's shape with the axes kept.
  return emit_reshape(graph, out, kept, layer);
}

ir::ValueId emit_l2_normalize(ir::Graph& graph, ir::ValueId x, const std::vector<int>& axes,
                              float squared_epsilon, const std::string& layer) {
  const ir::ValueId square = emit_activation(graph, x, {ActivationKind::kSquare}, layer);
  ir::ValueId inv = emit_reduce(graph, square, ir::ReduceOp::Kind::kSum, axes, layer);
  inv = emit_activation(
      graph, inv, {ActivationKind::kClip, squared_epsilon, std::numeric_limits<float>::infinity()}, layer);
  inv = emit_activation(graph, inv, {ActivationKind::kPower, 1.0f, -0.5f}, layer);
  const ir::ValueId out = graph.add_value(graph.values[x].dims, layer);
  graph.ops.push_back(ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kMultiply}, {x, inv}, {out}, {}, {layer}});
  return out;
}

namespace {

class ReduceOpLayer : public OpLayer {
 public:
  /// `logical`: keras.ops.any and all (kMax and kMin), which read any type as bool and give bool.
  ReduceOpLayer(const char* class_name, ir::ReduceOp::Kind kind, ops::Axes axis, bool keepdims,
                bool logical = false)
      : OpLayer(class_name, "keras.src.ops.numpy"),
        kind_(kind),
        axis_(std::move(axis)),
        keepdims_(keepdims),
        logical_(logical) {}

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override {
    if (logical_) return std::vector<DType>(outputs, DType::kBool);
    return OpLayer::compute_output_dtypes(inputs, outputs);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 1);
    const std::vector<int> axes = reduced(inputs[0].rank());
    std::vector<Dim> dims;
    for (int d = 0; d < inputs[0].rank(); ++d) {
      const bool gone = std::find(axes.begin(), axes.end(), d) != axes.end();
      if (!gone) {
        dims.push_back(inputs[0][d]);
      } else if (keepdims_) {
        dims.push_back(Dim(1));
      }
    }
    return {Shape(dims)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    const std::vector<int> axes = reduced(static_cast<int>(dims.size()));
    // any and all: the values as bool (nonzero), as 0 and 1 in float32 for the max or min, then bool again.
    ir::ValueId in = inputs[0];
    if (logical_) in = emit_cast(graph, emit_cast(graph, in, DType::kBool, name()), DType::kFloat32, name());
    ir::ValueId out = emit_reduce(graph, in, kind_, axes, name());
    if (!keepdims_) {
      std::vector<int64_t> dropped;
      for (size_t d = 0; d < dims.size(); ++d) {
        if (std::find(axes.begin(), axes.end(), static_cast<int>(d)) == axes.end())
          dropped.push_back(dims[d]);
      }
      out = emit_reshape(graph, out, dropped, name());
    }
    return {logical_ ? emit_cast(graph, out, DType::kBool, name()) : out};
  }

  nlohmann::json config() const override {
    nlohmann::json out = {{"axis", axes_json(axis_)}, {"keepdims", keepdims_}};
    if (!logical_ && (kind_ == ir::ReduceOp::Kind::kMax || kind_ == ir::ReduceOp::Kind::kMin))
      out["initial"] = nullptr;
    return out;
  }

 private:
  // The reduced axes, normalized and sorted; the batch axis is refused.
  std::vector<int> reduced(int rank) const {
    if (!axis_.given()) {
      throw ValueError(
          fmt::format("{} Expected the axes to reduce; none given reduces every axis, the batch "
                      "included, which strata keeps",
                      prefix()));
    }
    if (axis_.values().empty()) {
      throw ValueError(
          fmt::format("{} Expected at least one axis to reduce, received an empty list", prefix()));
    }
    std::vector<int> axes;
    for (int a : axis_.values()) {
      const int d = normalize_axis(prefix(), a, rank);
      if (std::find(axes.begin(), axes.end(), d) != axes.end()) {
        throw ValueError(
            fmt::format("{} Axis {} appears twice in axis={}", prefix(), a, axes_json(axis_).dump()));
      }
      axes.push_back(d);
    }
    std::sort(axes.begin(), axes.end());
    return axes;
  }

  ir::ReduceOp::Kind kind_;
  ops::Axes axis_;
  bool keepdims_;
  bool logical_;
};

SymbolicTensor reduce(const char* class_name, ir::ReduceOp::Kind kind, const SymbolicTensor& x,
                      const ops::Axes& axis, bool keepdims) {
  return call_op(std::make_shared<ReduceOpLayer>(class_name, kind, axis, keepdims), {x});
}

}  // namespace
}  // namespace strata::detail

namespace strata::ops {

SymbolicTensor sum(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::reduce("Sum", ir::ReduceOp::Kind::kSum, x, axis, keepdims);
}
SymbolicTensor mean(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::reduce("Mean", ir::ReduceOp::Kind::kMean, x, axis, keepdims);
}
SymbolicTensor max(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::reduce("Max", ir::ReduceOp::Kind::kMax, x, axis, keepdims);
}
SymbolicTensor min(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::reduce("Min", ir::ReduceOp::Kind::kMin, x, axis, keepdims);
}
SymbolicTensor any(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::call_op(
      std::make_shared<detail::ReduceOpLayer>("Any", ir::ReduceOp::Kind::kMax, axis, keepdims, true), {x});
}
SymbolicTensor all(const SymbolicTensor& x, const Axes& axis, bool keepdims) {
  return detail::call_op(
      std::make_shared<detail::ReduceOpLayer>("All", ir::ReduceOp::Kind::kMin, axis, keepdims, true), {x});
}

}  // namespace strata::ops
