// keras.ops that move elements without arithmetic: reshape, expand_dims and squeeze (views of the same
// buffer, free at run time), concatenate (oneDNN concat) and transpose (a oneDNN reorder). The batch axis
// stays first and whole in every one of them.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/limits.hpp"
#include "graph/node.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::detail {
namespace {

// Transposes and concatenations run as oneDNN reorders and concats, which move float32, int32 and bool
// (u8) elements; oneDNN 2.6 has no 64-bit integers.
DType movable(const OpLayer& op, DType type) {
  if (type == DType::kInt64) {
    throw ValueError(
        fmt::format("{} strata moves int64 elements only through views (reshape, expand_dims, "
                    "squeeze); cast to int32 with ops::cast first",
                    op.prefix()));
  }
  return type;
}

// Reshape, ExpandDims and Squeeze: a new shape for the same elements, from a rule on the input's shape.
class ViewOpLayer : public OpLayer {
 public:
  using Rule = std::function<Shape(const OpLayer&, const Shape&)>;
  ViewOpLayer(const char* class_name, nlohmann::json config, Rule rule)
      : OpLayer(class_name, kNumpy), config_(std::move(config)), rule_(std::move(rule)) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 1);
    return {rule_(*this, inputs[0])};
  }

  // A view moves nothing: any type.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    return inputs;
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    // The rule on the concrete shape gives every dimension, the batch included.
    const std::vector<int64_t>& in = graph.values[inputs[0]].dims;
    const Shape out = rule_(*this, to_shape(in));
    std::vector<int64_t> dims;
    for (const Dim& d : out.dims()) dims.push_back(*d);
    return {emit_reshape(graph, inputs[0], std::move(dims), name())};
  }

  nlohmann::json config() const override { return config_; }

 private:
  nlohmann::json config_;
  Rule rule_;
};

Shape reshape_rule(const OpLayer& op, const Shape& in, const std::vector<int64_t>& newshape) {
  const std::string shape_text = fmt::format("({})", fmt::join(newshape, ", "));
  if (newshape.empty() || newshape[0] != -1) {
    throw ValueError(
        fmt::format("{} Expected newshape to start with -1, the batch axis, which strata keeps; "
                    "received newshape={}",
                    op.prefix(), shape_text));
  }
  std::vector<Dim> dims{in[0]};
  int64_t count = 1;
  for (size_t i = 1; i < newshape.size(); ++i) {
    if (newshape[i] <= 0) {
      throw ValueError(fmt::format("{} Expected positive sizes after the batch axis, received newshape={}",
                                   op.prefix(), shape_text));
    }
    count *= newshape[i];
    if (count > kMaxSampleElements) {
      throw ValueError(fmt::format("{} newshape={} is too large", op.prefix(), shape_text));
    }
    dims.push_back(Dim(newshape[i]));
  }
  int64_t have = 1;
  for (int d = 1; d < in.rank(); ++d) {
    if (!in[d]) {
      throw ValueError(fmt::format("{} Cannot reshape a tensor of shape {} with unknown sizes to fixed ones",
                                   op.prefix(), in.to_string()));
    }
    have *= *in[d];
  }
  if (have != count) {
    throw ValueError(
        fmt::format("{} Cannot reshape a tensor of shape {} ({} elements per sample) to newshape={} "
                    "({} elements per sample)",
                    op.prefix(), in.to_string(), have, shape_text, count));
  }
  return Shape(dims);
}

class TransposeOpLayer : public OpLayer {
 public:
  explicit TransposeOpLayer(std::vector<int> axes) : OpLayer("Transpose", kNumpy), axes_(std::move(axes)) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    expect_input_count(*this, inputs, 1);
    const std::vector<int> perm = permutation(inputs[0].rank());
    std::vector<Dim> dims;
    for (int axis : perm) dims.push_back(inputs[0][axis]);
    return {Shape(dims)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    movable(*this, ir::tensor_dtype_of(graph.values[inputs[0]].dtype));
    const std::vector<int> perm = permutation(static_cast<int>(graph.values[inputs[0]].dims.size()));
    return {emit_transpose(graph, inputs[0], perm, name())};
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    return {movable(*this, inputs.at(0))};
  }

  nlohmann::json config() const override {
    return {{"axes", axes_.empty() ? nlohmann::json(nullptr) : nlohmann::json(axes_)}};
  }

 private:
  std::vector<int> permutation(int rank) const {
    const std::string given = axes_.empty() ? "None" : fmt::format("({})", fmt::join(axes_, ", "));
    if (static_cast<int>(axes_.size()) != rank) {
      throw ValueError(
          fmt::format("{} Expected axes naming each of the {} axes once, batch first; received "
                      "axes={}",
                      prefix(), rank, given));
    }
    std::vector<int> perm;
    for (int a : axes_) {
      const int d = normalize_axis(prefix(), a, rank, true);
      if (std::find(perm.begin(), perm.end(), d) != perm.end()) {
        throw ValueError(fmt::format("{} Axis {} appears twice in axes={}", prefix(), a, given));
      }
      perm.push_back(d);
    }
    if (perm[0] != 0) {
      throw ValueError(fmt::format("{} The batch axis must stay first, received axes={}", prefix(), given));
    }
    return perm;
  }

  std::vector<int> axes_;
};

class ConcatenateOpLayer : public OpLayer {
 public:
  explicit ConcatenateOpLayer(int axis) : OpLayer("Concatenate", kNumpy), axis_(axis) {}

  // Keras's Concatenate(axis)(xs) takes one argument, the list.
  nlohmann::json keras3_call(const Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    nlohmann::json list = nlohmann::json::array();
    for (const SymbolicTensor& t : node.inputs) list.push_back(ref(t));
    return {{"args", nlohmann::json::array({list})}, {"kwargs", nlohmann::json::object()}};
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.empty())
      throw ValueError(fmt::format("{} Expected at least one tensor to concatenate", prefix()));
    const int rank = inputs[0].rank();
    const int axis = normalize_axis(prefix(), axis_, rank);
    std::vector<Dim> out = inputs[0].dims();
    for (size_t i = 1; i < inputs.size(); ++i) {
      bool ok = inputs[i].rank() == rank;
      for (int d = 0; ok && d < rank; ++d) {
        if (d == axis) continue;
        if (out[d] && inputs[i][d] && *out[d] != *inputs[i][d]) ok = false;
        if (!out[d]) out[d] = inputs[i][d];
      }
      if (!ok) {
        throw ShapeError(fmt::format("{} Expected shapes that match except on axis {}; received {} and {}",
                                     prefix(), axis_, inputs[0].to_string(), inputs[i].to_string()));
      }
      out[axis] = (out[axis] && inputs[i][axis]) ? Dim(*out[axis] + *inputs[i][axis]) : None;
    }
    return {Shape(out)};
  }

  // Keras's result type of the inputs, which lowering converts them to.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t) const override {
    std::vector<OperandType> types;
    for (DType d : inputs) types.push_back(OperandType::tensor(d));
    return {movable(*this, result_type(types))};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const Node&,
                                 const std::vector<ir::ValueId>& given) const override {
    const DType type = compute_output_dtypes(value_dtypes(graph, given), 1).front();
    std::vector<ir::ValueId> inputs;
    for (ir::ValueId v : given) inputs.push_back(emit_cast(graph, v, type, name()));
    if (inputs.size() == 1) return {inputs[0]};
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    const int axis = normalize_axis(prefix(), axis_, static_cast<int>(dims.size()));
    dims[axis] = 0;
    for (ir::ValueId v : inputs) {
      const std::vector<int64_t>& d = graph.values[v].dims;
      for (size_t k = 0; k < d.size(); ++k) {
        if (static_cast<int>(k) != axis && d[k] != dims[k]) {
          throw ShapeError(fmt::format("{} Expected shapes that match except on axis {}; received {} and {}",
                                       prefix(), axis_, to_shape(graph.values[inputs[0]].dims).to_string(),
                                       to_shape(d).to_string()));
        }
      }
      dims[axis] += d[axis];
    }
    const ir::ValueId out = graph.add_value(dims, name());
    graph.values[out].dtype = ir::data_type_of(type);
    graph.ops.push_back(ir::Op{ir::ConcatOp{axis}, inputs, {out}, {}, {name()}});
    return {out};
  }

  nlohmann::json config() const override { return {{"axis", axis_}}; }

 private:
  int axis_;
};

}  // namespace
}  // namespace strata::detail

namespace strata::ops {

using detail::OpLayer;

SymbolicTensor reshape(const SymbolicTensor& x, const std::vector<int64_t>& newshape) {
  auto rule = [newshape](const OpLayer& op, const Shape& in) {
    return detail::reshape_rule(op, in, newshape);
  };
  return detail::call_op(
      std::make_shared<detail::ViewOpLayer>("Reshape", nlohmann::json{{"newshape", newshape}}, rule), {x});
}

SymbolicTensor expand_dims(const SymbolicTensor& x, int axis) {
  auto rule = [axis](const OpLayer& op, const Shape& in) {
    std::vector<Dim> dims = in.dims();
    const int at = detail::normalize_axis(op.prefix(), axis, in.rank() + 1);
    dims.insert(dims.begin() + at, Dim(1));
    return Shape(dims);
  };
  return detail::call_op(
      std::make_shared<detail::ViewOpLayer>("ExpandDims", nlohmann::json{{"axis", axis}}, rule), {x});
}

SymbolicTensor squeeze(const SymbolicTensor& x, const Axes& axis) {
  auto rule = [axis](const OpLayer& op, const Shape& in) {
    std::vector<int> gone;
    for (int a : axis.values()) {
      const int d = detail::normalize_axis(op.prefix(), a, in.rank());
      if (!in[d] || *in[d] != 1) {
        throw ValueError(fmt::format("{} Cannot squeeze axis {} of shape {}: its size is not 1", op.prefix(),
                                     a, in.to_string()));
      }
      gone.push_back(d);
    }
    std::vector<Dim> dims{in[0]};
    for (int d = 1; d < in.rank(); ++d) {
      const bool one = in[d] && *in[d] == 1;
      const bool drop = axis.given() ? std::find(gone.begin(), gone.end(), d) != gone.end() : one;
      if (!drop) dims.push_back(in[d]);
    }
    return Shape(dims);
  };
  return detail::call_op(std::make_shared<detail::ViewOpLayer>(
                             "Squeeze", nlohmann::json{{"axis", detail::axes_json(axis)}}, rule),
                         {x});
}

SymbolicTensor concatenate(const std::vector<SymbolicTensor>& xs, int axis) {
  return detail::call_op(std::make_shared<detail::ConcatenateOpLayer>(axis), xs);
}

SymbolicTensor transpose(const SymbolicTensor& x, const std::vector<int>& axes) {
  return detail::call_op(std::make_shared<detail::TransposeOpLayer>(axes), {x});
}

}  // namespace strata::ops
