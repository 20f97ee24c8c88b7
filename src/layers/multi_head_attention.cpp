// Keras's MultiHeadAttention over rank-3 sequences, as keras/src/layers/attention/multi_head_attention.py
// computes it: per-head projections (EinsumDense "abc,cde->abde"), the query scaled by 1/sqrt(key_dim),
// scores = q k^T per head, masked positions set to -1e9 (Keras's Softmax mask; its fused path excludes them
// the same way), softmax over the keys, the weighted values, and the output projection. The projections'
// weights live in four sublayers where Keras keeps them (query_dense, key_dense, value_dense, output_dense).

#include "strata/layers/attention.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <mutex>

#include "core/derived_cache.hpp"
#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_call.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/weights_sublayer.hpp"
#include "strata/error.hpp"

namespace strata::layers {
namespace {

struct MultiHeadAttentionArgs {
  int num_heads = 0;
  int key_dim = 0;
  MultiHeadAttentionOptions options;
};

const detail::LayerSchema<MultiHeadAttentionArgs>& multi_head_attention_schema() {
  using Init = detail::InitializerCodec;
  static const auto schema =
      std::move(detail::LayerSchema<MultiHeadAttentionArgs>("MultiHeadAttention")
                    .required("num_heads", STRATA_ARG(num_heads))
                    .required("key_dim", STRATA_ARG(key_dim))
                    .option("value_dim", STRATA_ARG(options.value_dim))
                    .option("dropout", STRATA_ARG(options.dropout))
                    .option("use_bias", STRATA_ARG(options.use_bias))
                    // Keras 3.10+: a gated attention output and a sliding-window mask, neither supported.
                    .fixed("use_gate", false)
                    .option("output_shape", STRATA_ARG(options.output_shape))
                    // The last axis but the batch and features: rank-3 sequences only.
                    .fixed("attention_axes", nullptr)
                    .fixed("sliding_window", nullptr)
                    .option<Init>("kernel_initializer", STRATA_ARG(options.kernel_initializer))
                    .option<Init>("bias_initializer", STRATA_ARG(options.bias_initializer))
                    .kept("kernel_regularizer")
                    .kept("bias_regularizer")
                    .kept("activity_regularizer")
                    .kept("kernel_constraint")
                    .kept("bias_constraint")
                    .kept("seed")
                    // A backend choice; tf.keras wrote the shapes the layer was built with.
                    .accepted("flash_attention")
                    .accepted("query_shape")
                    .accepted("key_shape")
                    .accepted("value_shape"));
  return schema;
}

// Keras's EinsumDense kernels (in, heads, dim) and (heads, dim, out) are the same row-major floats as the
// (in, heads * dim) and (heads * dim, out) matrices an inner product takes: one shared 2D copy per weight
// (rows 0: a bias (heads, dim) as the vector of its floats).
std::shared_ptr<const Tensor> as_matrix(const std::shared_ptr<const Tensor>& t, int64_t rows) {
  static detail::DerivedCache<const Tensor, int64_t> cache;
  if (!t) return t;
  return cache.get({t}, rows, [&] {
    const std::vector<int64_t> dims =
        rows == 0 ? std::vector<int64_t>{t->size()} : std::vector<int64_t>{rows, t->size() / rows};
    return std::make_shared<const Tensor>(dims, t->values());
  });
}

struct CallFlags {
  bool key = false, mask = false, causal = false, scores = false;
  friend bool operator==(const CallFlags&, const CallFlags&) = default;
};

class MultiHeadAttentionImpl : public detail::ConfiguredLayer<MultiHeadAttentionArgs> {
 public:
  explicit MultiHeadAttentionImpl(MultiHeadAttentionArgs args)
      : ConfiguredLayer(multi_head_attention_schema(), std::move(args)) {
    const std::string where = prefix();
    MultiHeadAttentionOptions& o = args_.options;
    if (args_.num_heads < 1 || args_.key_dim < 1) {
      throw ValueError(
          fmt::format("{} Expected positive num_heads and key_dim, received num_heads={}, key_dim={}", where,
                      args_.num_heads, args_.key_dim));
    }
    if (o.value_dim < 0)
      throw ValueError(fmt::format("{} Expected a positive value_dim, received {}", where, o.value_dim));
    // Keras keeps (and writes) key_dim for a value_dim of None.
    if (o.value_dim == 0) o.value_dim = args_.key_dim;
    if (o.output_shape && *o.output_shape < 1) {
      throw ValueError(
          fmt::format("{} Expected a positive output_shape, received {}", where, *o.output_shape));
    }
    if (!(o.dropout >= 0.0f && o.dropout < 1.0f))
      throw ValueError(fmt::format("{} Expected dropout in [0, 1), received {}", where, o.dropout));
    detail::check_initializer(o.kernel_initializer, where);
    detail::check_initializer(o.bias_initializer, where);
    for (const char* n : {"query", "key", "value", "attention_output"})
      dense_.push_back(std::make_shared<detail::WeightsSublayer>("EinsumDense", n));
  }

  /// Held across set_call and the call, so that concurrent calls of one layer do not mix their options.
  std::mutex call_mutex;

  // The options of the call being made (MultiHeadAttention::call_with_scores sets them first).
  void set_call(const CallFlags& flags) {
    if (called_ && flags != flags_) {
      throw ValueError(
          fmt::format("{} Expected the same key, attention_mask, use_causal_mask and "
                      "return_attention_scores as in the first call: strata keeps one set per layer",
                      prefix()));
    }
    pending_ = flags;
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    const CallFlags& f = pending_;
    detail::expect_input_count(*this, inputs, 2 + (f.key ? 1 : 0) + (f.mask ? 1 : 0));
    const Shape& q = inputs[0];
    const Shape& v = inputs[1];
    const Shape& k = f.key ? inputs[2] : v;
    for (const auto& [what, s] : {std::pair{"query", q}, {"value", v}, {"key", k}}) {
      if (s.rank() != 3 || !s[2]) {
        throw ShapeError(
            fmt::format("{} Expected a {} of rank 3 (batch, steps, features) with known features, "
                        "received shape {}; other ranks need attention_axes, which strata lacks",
                        prefix(), what, s.to_string()));
      }
    }
    if (v[1] && k[1] && v[1] != k[1]) {
      throw ShapeError(
          fmt::format("{} Expected a key as long as the value, received key shape {} and value shape {}",
                      prefix(), k.to_string(), v.to_string()));
    }
    if (built() && (*q[2] != dims_.query || *v[2] != dims_.value || *k[2] != dims_.key)) {
      throw ShapeError(fmt::format(
          "{} Expected query, value and key features {}, {}, {} as in the first call, "
          "received shapes {}, {}, {}",
          prefix(), dims_.query, dims_.value, dims_.key, q.to_string(), v.to_string(), k.to_string()));
    }
    if (f.mask) {
      const Shape& m = inputs.back();
      if (m.rank() != 3 || (m[1] && q[1] && m[1] != q[1]) || (m[2] && v[1] && m[2] != v[1])) {
        throw ShapeError(fmt::format(
            "{} Expected an attention_mask of shape (batch, {}, {}), received shape {}", prefix(),
            q[1] ? std::to_string(*q[1]) : "None", v[1] ? std::to_string(*v[1]) : "None", m.to_string()));
      }
    }
    const int64_t out = args_.options.output_shape.value_or(*q[2]);
    std::vector<Shape> shapes{Shape({q[0], q[1], Dim(out)})};
    if (f.scores) shapes.push_back(Shape({q[0], Dim(args_.num_heads), q[1], v[1]}));
    return shapes;
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override {
    // The mask may be of any type (Keras casts it to bool); the rest are float32.
    std::vector<DType> floats(inputs.begin(), inputs.end() - (pending_.mask ? 1 : 0));
    detail::expect_float_inputs(prefix(), floats);
    return std::vector<DType>(outputs, DType::kFloat32);
  }

  void build(const std::vector<Shape>& inputs) override {
    const CallFlags& f = pending_;
    dims_ = {*inputs[0][2], *inputs[1][2], *(f.key ? inputs[2] : inputs[1])[2]};
    const MultiHeadAttentionOptions& o = args_.options;
    const int64_t h = args_.num_heads, kd = args_.key_dim, vd = o.value_dim;
    const int64_t out = o.output_shape.value_or(dims_.query);
    auto kernel = [&](std::vector<int64_t> shape) {
      // Keras's fans for a kernel of rank 3: the first axis is the receptive field.
      const double rf = static_cast<double>(shape[0]);
      return detail::initialize(o.kernel_initializer, shape, rf * static_cast<double>(shape[1]),
                                rf * static_cast<double>(shape[2]));
    };
    auto bias = [&](std::vector<int64_t> shape) {
      const double n = static_cast<double>(element_count(shape));
      return detail::initialize(o.bias_initializer, shape, n, n);
    };
    const std::vector<std::vector<int64_t>> kernels{
        {dims_.query, h, kd}, {dims_.key, h, kd}, {dims_.value, h, vd}, {h, vd, out}};
    const std::vector<std::vector<int64_t>> biases{{h, kd}, {h, kd}, {h, vd}, {out}};
    for (size_t i = 0; i < 4; ++i) {
      dense_[i]->discard_build();
      dense_[i]->make("kernel", kernel(kernels[i]));
      if (o.use_bias) dense_[i]->make("bias", bias(biases[i]));
      dense_[i]->mark_built();
    }
    flags_ = f;
    called_ = true;
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::string& n = name();
    const int64_t h = args_.num_heads, kd = args_.key_dim, vd = args_.options.value_dim;
    const std::vector<int64_t> qd = graph.values[inputs[0]].dims, vdims = graph.values[inputs[1]].dims;
    const int64_t batch = qd[0], t = qd[1], s = vdims[1];
    const ir::ValueId key_in = flags_.key ? inputs[2] : inputs[1];
    // With unknown steps the shape rule could not compare the lengths; the plan's inputs can.
    if (graph.values[key_in].dims[1] != s) {
      throw ShapeError(fmt::format("{} Expected a key as long as the value ({} steps), received {} steps",
                                   prefix(), s, graph.values[key_in].dims[1]));
    }
    if (flags_.mask && graph.values[inputs.back()].dims != std::vector<int64_t>{batch, t, s}) {
      throw ShapeError(fmt::format("{} Expected an attention_mask of shape {}, received {}", prefix(),
                                   to_shape({batch, t, s}).to_string(),
                                   to_shape(graph.values[inputs.back()].dims).to_string()));
    }
    auto project = [&](ir::ValueId x, size_t which, int64_t width) {
      const auto& vars = dense_[which]->variables();
      ir::DenseOp op;
      op.kernel = as_matrix(vars[0].tensor(), vars[0].dims()[0] * (which == 3 ? vars[0].dims()[1] : 1));
      if (vars.size() > 1) op.bias = as_matrix(vars[1].tensor(), 0);
      std::vector<int64_t> dims = graph.values[x].dims;
      dims.back() = width;
      const ir::ValueId out = graph.add_value(dims, n);
      graph.ops.push_back(ir::Op{op, {x}, {out}, {}, {n}});
      return out;
    };
    ir::ValueId q = project(inputs[0], 0, h * kd);
    q = detail::emit_activation(
        graph, q, detail::Activation::affine(static_cast<float>(1.0 / std::sqrt(double(kd))), 0.0f), n);
    const ir::ValueId k = project(key_in, 1, h * kd);
    const ir::ValueId v = project(inputs[1], 2, h * vd);
    // (batch, steps, heads, dim) -> (batch, heads, steps, dim); the keys as (batch, heads, dim, S).
    const ir::ValueId q4 =
        detail::emit_transpose(graph, detail::emit_reshape(graph, q, {batch, t, h, kd}, n), {0, 2, 1, 3}, n);
    const ir::ValueId k4 =
        detail::emit_transpose(graph, detail::emit_reshape(graph, k, {batch, s, h, kd}, n), {0, 2, 3, 1}, n);
    const ir::ValueId v4 =
        detail::emit_transpose(graph, detail::emit_reshape(graph, v, {batch, s, h, vd}, n), {0, 2, 1, 3}, n);
    ir::ValueId scores = graph.add_value({batch, h, t, s}, n);
    graph.ops.push_back(ir::Op{ir::MatMulOp{}, {q4, k4}, {scores}, {}, {n}});
    if (flags_.mask || flags_.causal) scores = mask_scores(graph, inputs, scores, batch, t, s);
    const ir::ValueId probs = graph.add_value({batch, h, t, s}, n);
    graph.ops.push_back(ir::Op{ir::SoftmaxOp{-1, false}, {scores}, {probs}, {}, {n}});
    const ir::ValueId context = graph.add_value({batch, h, t, vd}, n);
    graph.ops.push_back(ir::Op{ir::MatMulOp{}, {probs, v4}, {context}, {}, {n}});
    const ir::ValueId merged = detail::emit_reshape(
        graph, detail::emit_transpose(graph, context, {0, 2, 1, 3}, n), {batch, t, h * vd}, n);
    const int64_t out_width = dense_[3]->variables()[0].dims()[2];
    std::vector<ir::ValueId> outs{project(merged, 3, out_width)};
    if (flags_.scores) outs.push_back(probs);
    return outs;
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& q = node.inputs[0].shape();
    const Shape& v = node.inputs[1].shape();
    if (!q[1] || !v[1] || dense_[0]->variables().empty()) return 0;
    const int64_t t = *q[1], s = *v[1], h = args_.num_heads, kd = args_.key_dim, vd = args_.options.value_dim;
    int64_t total = t * dense_[0]->variables()[0].size() + s * dense_[1]->variables()[0].size() +
                    s * dense_[2]->variables()[0].size() + t * dense_[3]->variables()[0].size();
    return total + h * t * s * (kd + vd);
  }

  nlohmann::json call_entries(
      const detail::Node& node,
      const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    // Keras's call: mha(query, value=..., key=..., attention_mask=..., use_causal_mask=...).
    nlohmann::json kwargs = {{"value", ref(node.inputs[1])}};
    if (flags_.key) kwargs["key"] = ref(node.inputs[2]);
    if (flags_.mask) kwargs["attention_mask"] = ref(node.inputs.back());
    kwargs["use_causal_mask"] = flags_.causal;
    kwargs["return_attention_scores"] = flags_.scores;
    nlohmann::json entry = ref(node.inputs[0]);
    entry.push_back(kwargs);
    return nlohmann::json::array({entry});
  }

  nlohmann::json keras3_call(const detail::Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    nlohmann::json kwargs = nlohmann::json::object();
    if (flags_.key) kwargs["key"] = ref(node.inputs[2]);
    if (flags_.mask) kwargs["attention_mask"] = ref(node.inputs.back());
    kwargs["return_attention_scores"] = flags_.scores;
    kwargs["use_causal_mask"] = flags_.causal;
    return {{"args", nlohmann::json::array({ref(node.inputs[0]), ref(node.inputs[1])})}, {"kwargs", kwargs}};
  }

  // `layer(query, value, {.key = k, .attention_mask = m, .use_causal_mask = true})`, as the public call.
  std::string cpp_call(const detail::Node& /*node*/, const std::string& callee,
                       const std::vector<std::string>& inputs) const override {
    std::vector<std::string> options;
    if (flags_.key) options.push_back(".key = " + inputs[2]);
    if (flags_.mask) options.push_back(".attention_mask = " + inputs.back());
    if (flags_.causal) options.push_back(".use_causal_mask = true");
    const std::string call = flags_.scores ? callee + ".call_with_scores" : callee;
    if (options.empty()) return fmt::format("{}({}, {})", call, inputs[0], inputs[1]);
    return fmt::format("{}({}, {}, {{{}}})", call, inputs[0], inputs[1], fmt::join(options, ", "));
  }

  // MultiHeadAttention.build(query_shape, value_shape, key_shape=None): the shapes by name.
  nlohmann::json keras3_build_config(const detail::Node& node) const override {
    nlohmann::json shapes = {{"query_shape", detail::shape_json(node.inputs[0].shape())},
                             {"value_shape", detail::shape_json(node.inputs[1].shape())}};
    if (flags_.key) shapes["key_shape"] = detail::shape_json(node.inputs[2].shape());
    return {{"shapes_dict", shapes}};
  }

  // Keras's call(query, value, key=None, ..., attention_mask=None, return_attention_scores=False,
  // training=None, use_causal_mask=False): value and key may come positionally or by keyword.
  std::vector<SymbolicTensor> call_from_config(const std::shared_ptr<detail::LayerImpl>& self,
                                               const detail::ConfigCall& call) override {
    detail::expect_config_kwargs(*this, call, {"query", "value", "key", "attention_mask"},
                                 {"use_causal_mask", "return_attention_scores"});
    std::vector<SymbolicTensor> given = detail::leading_inputs(*this, call, "query");
    for (const char* key : {"value", "key"}) {
      const auto it = call.tensor_kwargs.find(key);
      if (it == call.tensor_kwargs.end()) continue;
      if (it->second.size() != 1 || given.size() != (std::string(key) == "value" ? 1u : 2u)) {
        throw ValueError(
            fmt::format("{} Expected the query, value and key as one tensor each, in Keras's order; "
                        "the call passes {} positional tensor(s) and {} for '{}'",
                        prefix(), given.size(), it->second.size(), key));
      }
      given.push_back(it->second.front());
    }
    if (given.size() < 2 || given.size() > 3) {
      throw ValueError(fmt::format("{} Expected a query, a value and an optional key, received {} tensor(s)",
                                   prefix(), given.size()));
    }
    CallFlags flags{given.size() == 3, call.tensor_kwargs.contains("attention_mask"),
                    detail::config_flag(*this, call, "use_causal_mask", false),
                    detail::config_flag(*this, call, "return_attention_scores", false)};
    if (flags.mask) {
      const auto& mask = call.tensor_kwargs.at("attention_mask");
      if (mask.size() != 1) {
        throw ValueError(
            fmt::format("{} Expected one attention_mask tensor, received {}", prefix(), mask.size()));
      }
      given.push_back(mask.front());
    }
    const std::lock_guard lock(call_mutex);
    set_call(flags);
    return detail::call_layer(self, given);
  }

  std::vector<detail::SublayerGroup> sublayers() const override {
    return {{"query_dense", false, {dense_[0].get()}},
            {"key_dense", false, {dense_[1].get()}},
            {"value_dense", false, {dense_[2].get()}},
            {"output_dense", false, {dense_[3].get()}}};
  }
  std::vector<detail::Variable> weights() const override { return detail::held_weights(held()); }
  void set_weights(const std::vector<Tensor>& values) override {
    detail::set_held_weights(prefix(), held(), values);
  }
  uint64_t weights_version() const override { return detail::held_weights_version(held()); }
  size_t release_weights(const ReleaseFn& release) override {
    return detail::release_held_weights(held(), release);
  }

 private:
  std::vector<std::shared_ptr<detail::LayerImpl>> held() const { return {dense_.begin(), dense_.end()}; }

  // Keras's mask: the attention_mask (cast to bool) and the causal rule, both; masked scores become -1e9.
  ir::ValueId mask_scores(ir::Graph& graph, const std::vector<ir::ValueId>& inputs, ir::ValueId scores,
                          int64_t batch, int64_t t, int64_t s) const {
    const std::string& n = name();
    ir::ValueId keep = -1;
    if (flags_.mask) {
      ir::ValueId m = inputs.back();
      if (graph.values[m].dtype != ir::DataType::kBool) m = detail::emit_cast(graph, m, DType::kBool, n);
      keep = detail::emit_reshape(graph, m, {batch, 1, t, s}, n);
    }
    if (flags_.causal) {
      // Keras's rule: row i may see column j when i >= j (both counted from the start).
      std::vector<uint8_t> lower(static_cast<size_t>(t * s));
      for (int64_t i = 0; i < t; ++i)
        for (int64_t j = 0; j < s; ++j) lower[static_cast<size_t>(i * s + j)] = i >= j ? 1 : 0;
      const ir::ValueId causal = graph.add_value({1, 1, t, s}, n);
      graph.values[causal].dtype = ir::DataType::kBool;
      graph.ops.push_back(
          ir::Op{ir::ConstantOp{std::make_shared<const Tensor>(Tensor::from_bool({1, 1, t, s}, lower))},
                 {},
                 {causal},
                 {},
                 {n}});
      if (keep < 0) {
        keep = causal;
      } else {
        const ir::ValueId both = graph.add_value({batch, 1, t, s}, n);
        graph.values[both].dtype = ir::DataType::kBool;
        graph.ops.push_back(ir::Op{
            ir::ElementwiseOp{ir::ElementwiseOp::Kind::kLogicalAnd, {}}, {keep, causal}, {both}, {}, {n}});
        keep = both;
      }
    }
    ir::ElementwiseOp where{ir::ElementwiseOp::Kind::kWhere, {}};
    where.numbers.push_back({2, -1e9, false, 0});
    const ir::ValueId out = graph.add_value({batch, args_.num_heads, t, s}, n);
    graph.ops.push_back(ir::Op{where, {keep, scores}, {out}, {}, {n}});
    return out;
  }

  struct Dims {
    int64_t query = 0, value = 0, key = 0;
  };
  std::vector<std::shared_ptr<detail::WeightsSublayer>> dense_;
  Dims dims_;
  CallFlags pending_, flags_;
  bool called_ = false;
};

MultiHeadAttentionImpl& impl_of(const std::shared_ptr<detail::LayerImpl>& impl) {
  return static_cast<MultiHeadAttentionImpl&>(*impl);
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(int num_heads, int key_dim, MultiHeadAttentionOptions options) {
  impl_ = std::make_shared<MultiHeadAttentionImpl>(
      MultiHeadAttentionArgs{num_heads, key_dim, std::move(options)});
}

std::vector<SymbolicTensor> MultiHeadAttention::call_with_scores(const SymbolicTensor& query,
                                                                 const SymbolicTensor& value,
                                                                 const AttentionCallOptions& options) const {
  CallFlags flags{static_cast<bool>(options.key), static_cast<bool>(options.attention_mask),
                  options.use_causal_mask, true};
  const std::lock_guard lock(impl_of(impl_).call_mutex);
  impl_of(impl_).set_call(flags);
  std::vector<SymbolicTensor> inputs{query, value};
  if (options.key) inputs.push_back(options.key);
  if (options.attention_mask) inputs.push_back(options.attention_mask);
  return call(inputs);
}

SymbolicTensor MultiHeadAttention::operator()(const SymbolicTensor& query, const SymbolicTensor& value,
                                              const AttentionCallOptions& options) const {
  CallFlags flags{static_cast<bool>(options.key), static_cast<bool>(options.attention_mask),
                  options.use_causal_mask, false};
  const std::lock_guard lock(impl_of(impl_).call_mutex);
  impl_of(impl_).set_call(flags);
  std::vector<SymbolicTensor> inputs{query, value};
  if (options.key) inputs.push_back(options.key);
  if (options.attention_mask) inputs.push_back(options.attention_mask);
  return call(inputs).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_multi_head_attention_layers() {
  register_layer(layers::multi_head_attention_schema(), [](layers::MultiHeadAttentionArgs a) {
    return std::make_shared<layers::MultiHeadAttentionImpl>(std::move(a));
  });
}
}  // namespace strata::detail
