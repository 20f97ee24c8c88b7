#include "strata/layers/merge.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "graph/node.hpp"
#include "layers/broadcast.hpp"
#include "layers/config_json.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

// Add, Subtract, Multiply, Average, Maximum and Minimum: Keras's Merge base with size-1 broadcasting.
class ElementwiseMergeImpl : public detail::LayerImpl {
 public:
  enum class Kind { kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };

  ElementwiseMergeImpl(const char* class_name, Kind kind, const LayerOptions& o) : LayerImpl(class_name, o.name), kind_(kind) {}

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

  nlohmann::json config() const override { return nlohmann::json::object(); }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& given) const override {
    // Keras expands a lower-rank input at axis 1 until the ranks agree, so the batch axes line up and the
    // other axes align from the right, as the shape rule assumes; BinaryOp aligns whole shapes from the right.
    size_t rank = 0;
    for (ir::ValueId v : given) rank = std::max(rank, graph.values[v].dims.size());
    std::vector<ir::ValueId> inputs;
    for (ir::ValueId v : given) {
      std::vector<int64_t> dims = graph.values[v].dims;
      dims.insert(dims.begin() + 1, rank - dims.size(), 1);
      inputs.push_back(detail::emit_reshape(graph, v, std::move(dims), name()));
    }
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
      graph.ops.push_back(ir::Op{ir::BinaryOp{binary_kind()}, {acc, inputs[i]}, out, {}, {name()}});
      acc = out;
    }
    if (kind_ == Kind::kAverage) {
      detail::Activation scale{detail::ActivationKind::kScale, 1.0f / static_cast<float>(inputs.size())};
      acc = detail::emit_activation(graph, acc, scale, name());
    }
    return {acc};
  }

 private:
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

class ConcatenateImpl : public detail::LayerImpl {
 public:
  explicit ConcatenateImpl(const ConcatenateOptions& o) : LayerImpl("Concatenate", o.name), axis_(o.axis) {}

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

  nlohmann::json config() const override { return {{"axis", axis_}}; }

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
    graph.ops.push_back(ir::Op{ir::ConcatOp{axis}, inputs, out, {}, {name()}});
    return {out};
  }

 private:
  int axis_;
};

using Kind = ElementwiseMergeImpl::Kind;

}  // namespace

Add::Add(LayerOptions options) { impl_ = std::make_shared<ElementwiseMergeImpl>("Add", Kind::kAdd, options); }
SymbolicTensor Add::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Subtract::Subtract(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>("Subtract", Kind::kSubtract, options);
}
SymbolicTensor Subtract::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Multiply::Multiply(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>("Multiply", Kind::kMultiply, options);
}
SymbolicTensor Multiply::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Average::Average(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>("Average", Kind::kAverage, options);
}
SymbolicTensor Average::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Maximum::Maximum(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>("Maximum", Kind::kMaximum, options);
}
SymbolicTensor Maximum::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Minimum::Minimum(LayerOptions options) {
  impl_ = std::make_shared<ElementwiseMergeImpl>("Minimum", Kind::kMinimum, options);
}
SymbolicTensor Minimum::operator()(const std::vector<SymbolicTensor>& inputs) const { return call(inputs).front(); }

Concatenate::Concatenate(ConcatenateOptions options) { impl_ = std::make_shared<ConcatenateImpl>(options); }
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
