#include "strata/layers/merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "graph/node.hpp"
#include "layers/broadcast.hpp"
#include "layers/configured_layer.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::layers {
namespace {

using MergeArgs = detail::OptionsArgs<LayerOptions>;
using ConcatenateArgs = detail::OptionsArgs<ConcatenateOptions>;

const detail::LayerSchema<ConcatenateArgs>& concatenate_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<ConcatenateArgs>("Concatenate").option("axis", STRATA_ARG(options.axis)));
  return schema;
}

// Add, Subtract, Multiply, Average, Maximum and Minimum: Keras's Merge base with size-1 broadcasting.
enum class Kind { kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };

// Merge layers have no arguments of their own; one schema per class, in Kind's order.
const detail::LayerSchema<MergeArgs>& merge_schema(Kind kind) {
  static const detail::LayerSchema<MergeArgs> schemas[] = {
      detail::LayerSchema<MergeArgs>("Add"),      detail::LayerSchema<MergeArgs>("Subtract"),
      detail::LayerSchema<MergeArgs>("Multiply"), detail::LayerSchema<MergeArgs>("Average"),
      detail::LayerSchema<MergeArgs>("Maximum"),  detail::LayerSchema<MergeArgs>("Minimum")};
  return schemas[static_cast<int>(kind)];
}

class ElementwiseMergeImpl : public detail::ConfiguredLayer<MergeArgs> {
 public:
  // Keras's size-1 broadcasting, the batch axis included.
  bool broadcasts_batch() const override { return true; }

  ElementwiseMergeImpl(Kind kind, MergeArgs args)
      : ConfiguredLayer(merge_schema(kind), std::move(args)), kind_(kind) {}

  // Keras's Multiply reads its inputs' masks inside call.
  bool reads_input_masks() const override { return kind_ == Kind::kMultiply; }

  // Keras's Merge.compute_mask: the masks' logical_or when every input has one, else none.
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    const std::vector<SymbolicTensor> arguments = node.arguments();
    if (kind_ == Kind::kMultiply) check_masks(arguments);
    std::vector<SymbolicTensor> masks;
    for (const SymbolicTensor& t : arguments) masks.push_back(t.mask());
    if (!std::all_of(masks.begin(), masks.end(), [](const auto& m) { return bool(m); })) return {};
    SymbolicTensor out = masks.front();
    for (size_t i = 1; i < masks.size(); ++i) out = ops::logical_or(out, masks[i]);
    return {out};
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() < 2) {
      throw ValueError(fmt::format("{} A merge layer should be called on a list of at least 2 inputs, received {}",
                                   prefix(), inputs.size()));
    }
    if (kind_ == Kind::kSubtract && inputs.size() != 2) {
      throw ValueError(fmt::format("{} A Subtract layer should be called on exactly 2 inputs, received {}", prefix(),
                                   inputs.size()));
    }
    for (const Shape& s : inputs) {
      if (s.rank() < 1) throw ShapeError(fmt::format("{} Expected inputs with a batch dimension, received ()", prefix()));
    }
    Shape out = inputs[0].without_batch();
    for (size_t i = 1; i < inputs.size(); ++i) {
      const Shape next = inputs[i].without_batch();
      std::optional<Shape> merged = detail::broadcast_shapes(out, next);
      if (!merged) {
        // Keras swaps the two so that the longer shape comes first, and names them in that order.
        const bool swap = out.rank() < next.rank();
        throw ShapeError(fmt::format("{} Inputs have incompatible shapes. Received shapes {} and {}", prefix(),
                                     (swap ? next : out).to_string(), (swap ? out : next).to_string()));
      }
      out = *merged;
    }
    // The batch is unknown unless every input fixes it to the same value.
    Dim out_batch = inputs[0][0];
    for (const Shape& s : inputs) {
      if (s[0] != out_batch) out_batch = None;
    }
    std::vector<Dim> dims{out_batch};
    dims.insert(dims.end(), out.dims().begin(), out.dims().end());
    return {Shape(dims)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& given) const override {
    const size_t arguments = given.size() - static_cast<size_t>(node.hidden_masks);
    // Keras expands a lower-rank input at axis 1 until the ranks agree, so the batch axes line up and the
    // other axes align from the right, as the shape rule assumes; BinaryOp aligns whole shapes from the right.
    size_t rank = 0;
    for (size_t i = 0; i < arguments; ++i) rank = std::max(rank, graph.values[given[i]].dims.size());
    std::vector<ir::ValueId> inputs;
    for (size_t i = 0; i < arguments; ++i) {
      std::vector<int64_t> dims = graph.values[given[i]].dims;
      dims.insert(dims.begin() + 1, rank - dims.size(), 1);
      inputs.push_back(detail::emit_reshape(graph, given[i], std::move(dims), name()));
    }
    std::vector<ir::ValueId> keeps;
    if (node.hidden_masks > 0) keeps = mask_inputs(graph, node, given, inputs);
    ir::ValueId acc = inputs[0];
    for (size_t i = 1; i < inputs.size(); ++i) {
      auto dims = detail::broadcast_dims(graph.values[acc].dims, graph.values[inputs[i]].dims);
      if (!dims) {
        throw ShapeError(fmt::format("{} Inputs have incompatible shapes. Received shapes {} and {}", prefix(),
                                     to_shape(graph.values[acc].dims).to_string(),
                                     to_shape(graph.values[inputs[i]].dims).to_string()));
      }
      const ir::ValueId out =
          graph.add_value(*dims, i + 1 == inputs.size() ? name() : fmt::format("{}.partial{}", name(), i));
      graph.ops.push_back(ir::Op{ir::BinaryOp{binary_kind()}, {acc, inputs[i]}, {out}, {}, {name()}});
      acc = out;
    }
    if (kind_ == Kind::kAverage) {
      const detail::Activation scale =
          detail::Activation::affine(1.0f / static_cast<float>(inputs.size()), 0.0f);
      acc = detail::emit_activation(graph, acc, scale, name());
    }
    if (!keeps.empty() && keeps.size() == inputs.size()) {
      // Every input masked: the product is 0 where all of them are masked, as Keras's Multiply sets it.
      ir::ValueId any = keeps.front();
      for (size_t i = 1; i < keeps.size(); ++i) {
        any = detail::emit_elementwise(graph, ir::ElementwiseOp::Kind::kLogicalOr, {{any, keeps[i]}, {}},
                                       DType::kBool, name(), prefix());
      }
      acc = detail::emit_elementwise(graph, ir::ElementwiseOp::Kind::kWhere,
                                     detail::ElementwiseOperands{{any, acc}, {{2, 0.0, true, 0}}},
                                     tensor_dtype_of(graph.values[acc].dtype), name(), prefix());
    }
    return {acc};
  }

 private:
  // Keras's Multiply broadcasts each mask over its input's last axis (after the rank expansion), so a mask
  // must have the input's shape without that axis.
  void check_masks(const std::vector<SymbolicTensor>& arguments) const {
    int rank = 0;
    for (const SymbolicTensor& t : arguments) rank = std::max(rank, t.shape().rank());
    for (const SymbolicTensor& t : arguments) {
      const SymbolicTensor mask = t.mask();
      if (!mask) continue;
      const Shape& x = t.shape();
      const Shape& m = mask.shape();
      bool ok = x.rank() == rank && m.rank() == rank - 1;
      for (int d = 0; ok && d < m.rank(); ++d) ok = !m[d] || !x[d] || *m[d] == *x[d];
      if (!ok) {
        throw ShapeError(fmt::format(
            "{} Input {} carries a mask of shape {}; Keras's Multiply broadcasts a mask over its input's "
            "last "
            "axis, so it expects the mask of an input of the highest rank ({}) to have that input's shape "
            "without its last axis (input shape {})",
            prefix(), t.name(), m.to_string(), rank, x.to_string()));
      }
    }
  }

  // Keras's Multiply: where(mask, x, 1) for each masked input. Returns the masks (bool, with a last axis of
  // 1) in input order.
  std::vector<ir::ValueId> mask_inputs(ir::Graph& graph, const detail::Node& node,
                                       const std::vector<ir::ValueId>& given,
                                       std::vector<ir::ValueId>& inputs) const {
    std::vector<ir::ValueId> keeps;
    size_t next = inputs.size();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!node.inputs[i].mask()) continue;
      std::vector<int64_t> dims = graph.values[inputs[i]].dims;
      dims.back() = 1;
      const ir::ValueId mask = given.at(next++);
      detail::expect_mask_dims(graph, mask, {dims.begin(), dims.end() - 1}, prefix(), "mask");
      const ir::ValueId keep = detail::emit_reshape(
          graph, detail::emit_cast(graph, mask, DType::kBool, name()), std::move(dims), name());
      const DType type = tensor_dtype_of(graph.values[inputs[i]].dtype);
      inputs[i] = detail::emit_elementwise(
          graph, ir::ElementwiseOp::Kind::kWhere,
          detail::ElementwiseOperands{{keep, inputs[i]}, {{2, 1.0, true, 1}}}, type, name(), prefix());
      keeps.push_back(keep);
    }
    return keeps;
  }

  ir::BinaryOp::Kind binary_kind() const {
    switch (kind_) {
      case Kind::kSubtract:
        return ir::BinaryOp::Kind::kSubtract;
      case Kind::kMultiply:
        return ir::BinaryOp::Kind::kMultiply;
      case Kind::kMaximum:
        return ir::BinaryOp::Kind::kMaximum;
      case Kind::kMinimum:
        return ir::BinaryOp::Kind::kMinimum;
      case Kind::kAdd:
      case Kind::kAverage:
        break;
    }
    return ir::BinaryOp::Kind::kAdd;
  }

  Kind kind_;
};

class ConcatenateImpl : public detail::ConfiguredLayer<ConcatenateArgs> {
 public:
  explicit ConcatenateImpl(ConcatenateArgs args)
      : ConfiguredLayer(concatenate_schema(), std::move(args)), axis_(args_.options.axis) {}

  // Keras's Concatenate.compute_mask: each input's mask broadcast over its last axis (all true for an input
  // without one), joined along the axis, then any() over the last axis. Joined along the last axis, that is
  // the inputs' masks or'ed together.
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    const std::vector<SymbolicTensor> arguments = node.arguments();
    if (std::none_of(arguments.begin(), arguments.end(), [](const auto& t) { return bool(t.mask()); }))
      return {};
    const int rank = arguments.front().shape().rank();
    const int axis = axis_ < 0 ? axis_ + rank : axis_;
    std::vector<SymbolicTensor> parts;
    for (const SymbolicTensor& t : arguments) {
      const SymbolicTensor mask = t.mask();
      if (!mask) {
        // ones_like(t) reduced over its last axis: true, made from `t` so that it has its shape (and false
        // for an empty last axis, as Keras's any() of nothing).
        parts.push_back(ops::any(ops::logical_or(ops::equal(t, 0), ops::not_equal(t, 0)), -1));
        continue;
      }
      const Shape& x = t.shape();
      const Shape& m = mask.shape();
      bool ok = m.rank() == rank - 1 || m.rank() == rank;
      for (int d = 0; ok && d < rank - 1; ++d) ok = !m[d] || !x[d] || *m[d] == *x[d];
      if (!ok) {
        throw ShapeError(
            fmt::format("{} Input {} carries a mask of shape {}; Keras's Concatenate expects the "
                        "input's shape ({}) or that shape without its last axis",
                        prefix(), t.name(), m.to_string(), x.to_string()));
      }
      parts.push_back(m.rank() == rank ? ops::any(mask, -1) : mask);
    }
    if (axis == rank - 1) {
      SymbolicTensor out = parts.front();
      for (size_t i = 1; i < parts.size(); ++i) out = ops::logical_or(out, parts[i]);
      return {out};
    }
    return {ops::concatenate(parts, axis)};
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    if (inputs.size() < 2) {
      throw ValueError(fmt::format("{} A Concatenate layer should be called on a list of at least 2 inputs, received {}",
                                   prefix(), inputs.size()));
    }
    const int rank = inputs[0].rank();
    const int axis = axis_ < 0 ? axis_ + rank : axis_;
    std::vector<std::string> shapes;
    for (const Shape& s : inputs) shapes.push_back(s.to_string());
    if (axis <= 0 || axis >= rank) {
      throw ShapeError(fmt::format("{} Invalid axis {} for inputs of rank {} (the batch axis 0 cannot be joined). "
                                   "Received: input_shape=[{}]",
                                   prefix(), axis_, rank, fmt::join(shapes, ", ")));
    }
    std::vector<Dim> out = inputs[0].dims();
    for (size_t i = 1; i < inputs.size(); ++i) {
      const Shape& s = inputs[i];
      bool ok = s.rank() == rank;
      for (int d = 0; ok && d < rank; ++d) {
        if (d == axis) continue;
        if (out[d] && s[d] && *out[d] != *s[d]) ok = false;
        if (!out[d]) out[d] = s[d];
      }
      if (!ok) {
        throw ShapeError(fmt::format("{} A Concatenate layer requires inputs with matching shapes except for the "
                                     "concatenation axis. Received: input_shape=[{}]",
                                     prefix(), fmt::join(shapes, ", ")));
      }
      out[axis] = (out[axis] && s[axis]) ? Dim(*out[axis] + *s[axis]) : None;
    }
    return {Shape(out)};
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    std::vector<int64_t> dims = graph.values[inputs[0]].dims;
    const int rank = static_cast<int>(dims.size());
    const int axis = axis_ < 0 ? axis_ + rank : axis_;
    dims[axis] = 0;
    for (ir::ValueId v : inputs) {
      const std::vector<int64_t>& d = graph.values[v].dims;
      for (int k = 0; k < rank; ++k) {
        if (k != axis && d[k] != dims[k]) {
          throw ShapeError(fmt::format("{} A Concatenate layer requires inputs with matching shapes except for the "
                                       "concatenation axis; received {} and {}",
                                       prefix(), to_shape(graph.values[inputs[0]].dims).to_string(),
                                       to_shape(d).to_string()));
        }
      }
      dims[axis] += d[axis];
    }
    const ir::ValueId out = graph.add_value(dims, name());
    graph.ops.push_back(ir::Op{ir::ConcatOp{axis}, inputs, {out}, {}, {name()}});
    return {out};
  }

 private:
  int axis_;
};

}  // namespace

Add::Add(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kAdd, MergeArgs{std::move(options)});
}
SymbolicTensor Add::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Subtract::Subtract(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kSubtract, MergeArgs{std::move(options)});
}
SymbolicTensor Subtract::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Multiply::Multiply(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kMultiply, MergeArgs{std::move(options)});
}
SymbolicTensor Multiply::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Average::Average(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kAverage, MergeArgs{std::move(options)});
}
SymbolicTensor Average::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Maximum::Maximum(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kMaximum, MergeArgs{std::move(options)});
}
SymbolicTensor Maximum::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Minimum::Minimum(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>(Kind::kMinimum, MergeArgs{std::move(options)});
}
SymbolicTensor Minimum::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Concatenate::Concatenate(ConcatenateOptions options) {
  impl_ = std::make_shared<ConcatenateImpl>(ConcatenateArgs{std::move(options)});
}
SymbolicTensor Concatenate::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

SymbolicTensor add(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Add(std::move(options))(inputs);
}
SymbolicTensor subtract(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Subtract(std::move(options))(inputs);
}
SymbolicTensor multiply(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Multiply(std::move(options))(inputs);
}
SymbolicTensor average(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Average(std::move(options))(inputs);
}
SymbolicTensor maximum(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Maximum(std::move(options))(inputs);
}
SymbolicTensor minimum(const std::vector<SymbolicTensor>& inputs, LayerOptions options) {
  return Minimum(std::move(options))(inputs);
}
SymbolicTensor concatenate(const std::vector<SymbolicTensor>& inputs, ConcatenateOptions options) {
  return Concatenate(std::move(options))(inputs);
}

}  // namespace strata::layers

namespace strata::detail {
void register_merge_layers() {
  using layers::Kind, layers::MergeArgs;
  for (const Kind kind :
       {Kind::kAdd, Kind::kSubtract, Kind::kMultiply, Kind::kAverage, Kind::kMaximum, Kind::kMinimum}) {
    register_layer(layers::merge_schema(kind), [kind](MergeArgs a) {
      return std::make_shared<layers::ElementwiseMergeImpl>(kind, std::move(a));
    });
  }
  register_layer(layers::concatenate_schema(), [](layers::ConcatenateArgs a) {
    return std::make_shared<layers::ConcatenateImpl>(std::move(a));
  });
}
}  // namespace strata::detail
