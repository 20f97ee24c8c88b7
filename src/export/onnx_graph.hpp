#pragma once
// The ONNX graph as the exporter writes it: unique tensor and node names, nodes and their attributes,
// initializers (weights converted once and shared, scalars shared by value), and the graph's inputs and
// outputs. What each IR op becomes is onnx_builder.hpp's.

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "compiler/ir.hpp"
#include "core/saturating.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

class OnnxGraph {
 public:
  OnnxGraph(onnx::GraphProto& graph, bool dynamic_batch) : graph_(graph), dynamic_batch_(dynamic_batch) {}

  // Names that must stay as they are (the model's inputs and outputs); other tensors avoid them.
  void reserve(const std::string& name) { used_.insert(name); }

  void add_input(const std::string& name, const std::vector<int64_t>& d,
                 int elem_type = onnx::TensorProto_DataType_FLOAT) {
    add_value_info(graph_.add_input(), name, d, elem_type);
  }
  void add_output(const std::string& name, const std::vector<int64_t>& d,
                  int elem_type = onnx::TensorProto_DataType_FLOAT) {
    add_value_info(graph_.add_output(), name, d, elem_type);
  }

  // Renames the output `tensor` of the node that made it (and its readers' inputs) to `name`; false when no
  // node made it (a graph input) or it was renamed already.
  bool rename_node_output(const std::string& tensor, const std::string& name) {
    if (renamable_.count(tensor) == 0 || find_producer(tensor) == nullptr) return false;
    for (onnx::NodeProto& node : *graph_.mutable_node()) {
      for (std::string& in : *node.mutable_input()) {
        if (in == tensor) in = name;
      }
      for (std::string& out : *node.mutable_output()) {
        if (out == tensor) out = name;
      }
    }
    renamable_.erase(tensor);
    return true;
  }

  // A ":N" suffix, as TensorFlow's tensor names have, cannot be mistaken for a Keras layer name (`conv2d_1`).
  std::string unique(const std::string& base) {
    std::string name = base;
    for (int i = 1; used_.count(name) != 0; ++i) name = fmt::format("{}:{}", base, i);
    used_.insert(name);
    return name;
  }

  void add_value_info(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& d,
                      int elem_type) {
    info->set_name(name);
    onnx::TypeProto_Tensor* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(elem_type);
    onnx::TensorShapeProto* shape = type->mutable_shape();
    for (size_t i = 0; i < d.size(); ++i) {
      onnx::TensorShapeProto_Dimension* dim = shape->add_dim();
      if (i == 0 && dynamic_batch_) {
        dim->set_dim_param("N");
      } else {
        dim->set_dim_value(d[i]);
      }
    }
  }

  onnx::NodeProto* find_producer(const std::string& tensor) {
    for (onnx::NodeProto& node : *graph_.mutable_node()) {
      for (const std::string& out : node.output()) {
        if (out == tensor) return &node;
      }
    }
    return nullptr;
  }

  onnx::NodeProto& node(const std::string& type, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name) {
    onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(type);
    n->set_name(unique_node_name(name));
    for (const std::string& in : inputs) n->add_input(in);
    for (const std::string& out : outputs) {
      n->add_output(out);
      renamable_.insert(out);
    }
    return *n;
  }

  std::string unique_node_name(const std::string& base) {
    std::string name = base;
    for (int i = 1; node_names_.count(name) != 0; ++i) name = fmt::format("{}:{}", base, i);
    node_names_.insert(name);
    return name;
  }

  static void attr(onnx::NodeProto& n, const std::string& name, int64_t value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(value);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, float value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(value);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::string& value) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s(value);
  }
  static void attr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t v : values) a->add_ints(v);
  }

  // A new, empty initializer (for a caller that fills in a type of its own).
  onnx::TensorProto* add_initializer() { return graph_.add_initializer(); }

  // Weights and constants are initializers; ONNX stores them little-endian, as this machine does.
  std::string initializer(const std::string& base, const std::vector<int64_t>& d,
                          const std::vector<float>& values) {
    const std::string name = unique(base);
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (int64_t x : d) t->add_dims(x);
    t->set_raw_data(values.data(), values.size() * sizeof(float));
    return name;
  }
  std::string int64_initializer(const std::string& base, const std::vector<int64_t>& values) {
    const std::string name = unique(base);
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->set_raw_data(values.data(), values.size() * sizeof(int64_t));
    return name;
  }
  // A number operand as a scalar of an ONNX element type (FLOAT, INT32, INT64 or BOOL): integers exactly,
  // floats rounded as IEEE does.
  std::string typed_scalar(const std::string& base, int elem_type, const ir::ElementwiseOp::Number& n) {
    const std::string name = unique(base);
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(elem_type);
    switch (elem_type) {
      case onnx::TensorProto_DataType_INT32: {
        const auto v = static_cast<int32_t>(n.integer);
        t->set_raw_data(&v, sizeof v);
        break;
      }
      case onnx::TensorProto_DataType_INT64: {
        const int64_t v = n.integer;
        t->set_raw_data(&v, sizeof v);
        break;
      }
      case onnx::TensorProto_DataType_BOOL: {
        const uint8_t v = (n.integral ? n.integer != 0 : n.value != 0.0) ? 1 : 0;
        t->set_raw_data(&v, sizeof v);
        break;
      }
      default: {
        const float v = n.integral ? static_cast<float>(n.integer) : detail::saturating_float(n.value);
        t->set_raw_data(&v, sizeof v);
        break;
      }
    }
    return name;
  }
  // Scalars are shared by value: MobileNetV2's 35 relu6 need one pair of bounds.
  std::string scalar(float value) {
    const auto it = scalars_.find(value);
    if (it != scalars_.end()) return it->second;
    return scalars_[value] = initializer(fmt::format("scalar/{}", value), {}, {value});
  }

  // A weight converted by `convert` once per (tensor, scale, conversion), so a layer called twice shares it.
  // `scale`, when set, is a folded batch norm's factor per output channel (ir::effective_kernel).
  template <typename Convert>
  std::string weight(const std::shared_ptr<const Tensor>& tensor, const std::string& kind,
                     const std::string& base, Convert convert,
                     const std::shared_ptr<const Tensor>& scale = nullptr) {
    const auto key = std::make_tuple(tensor.get(), scale.get(), kind);
    const auto it = weights_.find(key);
    if (it != weights_.end()) return it->second;
    auto [d, values] = convert(*ir::effective_kernel(tensor, scale));
    const std::string name = initializer(base, d, values);
    weights_.emplace(key, name);
    return name;
  }

  static std::pair<std::vector<int64_t>, std::vector<float>> as_is(const Tensor& t) {
    return {t.dims(), t.values()};
  }

  // HWIO (kh, kw, in, out) -> OIHW (out, in, kh, kw); a 1D kernel (k, in, out) -> (out, in, k).
  static std::pair<std::vector<int64_t>, std::vector<float>> hwio_to_oihw(const Tensor& t) {
    if (t.rank() == 3) {
      auto [dims, values] = hwio_to_oihw(Tensor({1, t.dims()[0], t.dims()[1], t.dims()[2]}, t.values()));
      return {{dims[0], dims[1], dims[3]}, std::move(values)};
    }
    const int64_t kh = t.dims()[0], kw = t.dims()[1], ci = t.dims()[2], co = t.dims()[3];
    std::vector<float> dst(static_cast<size_t>(t.size()));
    const float* src = t.data();
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t i = 0; i < ci; ++i)
          for (int64_t o = 0; o < co; ++o)
            dst[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o];
    return {{co, ci, kh, kw}, std::move(dst)};
  }

  // Dense (in, out) -> a 1x1 convolution's OIHW (out, in, 1, 1).
  static std::pair<std::vector<int64_t>, std::vector<float>> dense_to_oihw(const Tensor& t) {
    const int64_t ci = t.dims()[0], co = t.dims()[1];
    std::vector<float> dst(static_cast<size_t>(t.size()));
    for (int64_t i = 0; i < ci; ++i)
      for (int64_t o = 0; o < co; ++o) dst[o * ci + i] = t.data()[i * co + o];
    return {{co, ci, 1, 1}, std::move(dst)};
  }

  // A Reshape target: the batch copied from the input (0), so a symbolic batch survives.
  std::string shape_constant(const std::string& base, std::vector<int64_t> d) {
    d[0] = 0;
    return int64_initializer(base + "/shape", d);
  }

 private:
  onnx::GraphProto& graph_;
  bool dynamic_batch_;
  std::set<std::string> used_;
  std::set<std::string> node_names_;
  // Tensors made by a node, which rename_node_output may rename (graph inputs and initializers are not).
  std::set<std::string> renamable_;
  std::map<std::tuple<const Tensor*, const Tensor*, std::string>, std::string> weights_;
  std::map<float, std::string> scalars_;
};

}  // namespace strata::detail
