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
#include "layers/op_layer.hpp"
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

// Which of Keras's call arguments a call passes. The node's inputs: query, value, [key], [attention_mask],
// then Keras's masks of query, value and key where present (query_mask, value_mask, key_mask).
struct CallFlags {
  bool key = false, mask = false, causal = false, scores = false;
  bool query_mask = false, value_mask = false, key_mask = false;
  friend bool operator==(const CallFlags&, const CallFlags&) = default;
  size_t at_attention_mask() const { return 2u + key; }
  size_t at_query_mask() const { return at_attention_mask() + mask; }
  size_t at_value_mask() const { return at_query_mask() + query_mask; }
  size_t at_key_mask() const { return at_value_mask() + value_mask; }
  size_t inputs() const { return at_key_mask() + key_mask; }
  // The tensors that are not masks: query, value and key.
  size_t tensors() const { return 2u + key; }
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
    detail::expect_input_count(*this, inputs, f.inputs());
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
      const Shape& m = inputs[f.at_attention_mask()];
      if (m.rank() != 3 || m[0] != q[0] || (m[1] && q[1] && m[1] != q[1]) || (m[2] && v[1] && m[2] != v[1])) {
        throw ShapeError(fmt::format(
            "{} Expected an attention_mask of shape (batch, {}, {}), received shape {}", prefix(),
            q[1] ? std::to_string(*q[1]) : "None", v[1] ? std::to_string(*v[1]) : "None", m.to_string()));
      }
    }
    for (const auto& [given, at, what, steps] :
         {std::tuple{f.query_mask, f.at_query_mask(), "query_mask", q[1]},
          std::tuple{f.value_mask, f.at_value_mask(), "value_mask", v[1]},
          std::tuple{f.key_mask, f.at_key_mask(), "key_mask", k[1]}}) {
      if (!given) continue;
      const Shape& m = inputs[at];
      if (m.rank() != 2 || m[0] != q[0] || (m[1] && steps && m[1] != steps)) {
        throw ShapeError(fmt::format("{} Expected a {} of shape (batch, {}), received shape {}", prefix(),
                                     what, steps ? std::to_string(*steps) : "None", m.to_string()));
      }
    }
    const int64_t out = args_.options.output_shape.value_or(*q[2]);
    std::vector<Shape> shapes{Shape({q[0], q[1], Dim(out)})};
    if (f.scores) shapes.push_back(Shape({q[0], Dim(args_.num_heads), q[1], v[1]}));
    return shapes;
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override {
    // The masks may be of any type (Keras casts them to bool); the rest are float32.
    std::vector<DType> floats(inputs.begin(), inputs.begin() + static_cast<long>(pending_.tensors()));
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
    const ir::ValueId attention_mask = flags_.mask ? inputs[flags_.at_attention_mask()] : -1;
    if (flags_.mask && graph.values[attention_mask].dims != std::vector<int64_t>{batch, t, s}) {
      throw ShapeError(fmt::format("{} Expected an attention_mask of shape {}, received {}", prefix(),
                                   to_shape({batch, t, s}).to_string(),
                                   to_shape(graph.values[attention_mask].dims).to_string()));
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
    if (flags_.mask || flags_.causal || flags_.query_mask || flags_.value_mask || flags_.key_mask)
      scores = mask_scores(graph, inputs, scores, batch, t, s);
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
    add_masks(node, ref, kwargs);
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
    add_masks(node, ref, kwargs);
    kwargs["return_attention_scores"] = flags_.scores;
    kwargs["use_causal_mask"] = flags_.causal;
    return {{"args", nlohmann::json::array({ref(node.inputs[0]), ref(node.inputs[1])})}, {"kwargs", kwargs}};
  }

  // `layer(query, value, {.key = k, .attention_mask = m, .use_causal_mask = true})`, as the public call.
  // Masks the call takes from its tensors by itself are left out.
  std::string cpp_call(const detail::Node& node, const std::string& callee,
                       const std::vector<std::string>& inputs) const override {
    std::vector<std::string> options;
    if (flags_.key) options.push_back(".key = " + inputs[2]);
    if (flags_.mask) options.push_back(".attention_mask = " + inputs[flags_.at_attention_mask()]);
    if (flags_.causal) options.push_back(".use_causal_mask = true");
    for (const auto& [given, at, of, what] :
         {std::tuple{flags_.value_mask, flags_.at_value_mask(), size_t{1}, "value_mask"},
          std::tuple{flags_.key_mask, flags_.at_key_mask(), size_t{2}, "key_mask"}}) {
      if (given && !(node.inputs[of].mask() == node.inputs[at]))
        options.push_back(fmt::format(".{} = {}", what, inputs[at]));
    }
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
    detail::expect_config_kwargs(
        *this, call, {"query", "value", "key", "attention_mask", "query_mask", "value_mask", "key_mask"},
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
    const std::vector<SymbolicTensor> tensors = given;
    for (const char* key : {"attention_mask", "query_mask", "value_mask", "key_mask"}) {
      const std::string k = key;
      const auto it = call.tensor_kwargs.find(key);
      if (k == "query_mask") {
        // Keras's call reads the query's own mask whatever query_mask says; a recorded one that computes the
        // same still lends it its name.
        if (it != call.tensor_kwargs.end() && it->second.size() == 1)
          detail::canonical_mask(it->second.front(), tensors[0].mask());
        if (tensors[0].mask()) given.push_back(tensors[0].mask());
        continue;
      }
      const SymbolicTensor& owner = k == "value_mask"                        ? tensors[1]
                                    : k == "key_mask" && tensors.size() == 3 ? tensors[2]
                                                                             : SymbolicTensor();
      if (it == call.tensor_kwargs.end()) {
        // Keras 3.10 and later record no mask it filled in, and fill them in again when loading.
        if (owner && owner.mask()) given.push_back(owner.mask());
        continue;
      }
      if (it->second.size() != 1)
        throw ValueError(
            fmt::format("{} Expected one {} tensor, received {}", prefix(), key, it->second.size()));
      // Keras fills in the value's and key's own masks; loading made them again.
      given.push_back(owner ? detail::canonical_mask(it->second.front(), owner.mask()) : it->second.front());
    }
    flags.query_mask = static_cast<bool>(tensors[0].mask());
    flags.value_mask = call.tensor_kwargs.contains("value_mask") || static_cast<bool>(tensors[1].mask());
    flags.key_mask =
        flags.key && (call.tensor_kwargs.contains("key_mask") || static_cast<bool>(tensors[2].mask()));
    if (call.tensor_kwargs.contains("key_mask") && !flags.key) {
      throw ValueError(fmt::format("{} The call passes a key_mask but no key", prefix()));
    }
    const std::lock_guard lock(call_mutex);
    set_call(flags);
    return detail::call_layer(self, given);
  }

  // Keras sets the query's mask on the output (the scores get none).
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    return {node.inputs.front().mask()};
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

  // The call's masks as Keras records them: keywords attention_mask, query_mask, value_mask, key_mask.
  void add_masks(const detail::Node& node, const std::function<nlohmann::json(const SymbolicTensor&)>& ref,
                 nlohmann::json& kwargs) const {
    if (flags_.mask) kwargs["attention_mask"] = ref(node.inputs[flags_.at_attention_mask()]);
    if (flags_.query_mask) kwargs["query_mask"] = ref(node.inputs[flags_.at_query_mask()]);
    if (flags_.value_mask) kwargs["value_mask"] = ref(node.inputs[flags_.at_value_mask()]);
    if (flags_.key_mask) kwargs["key_mask"] = ref(node.inputs[flags_.at_key_mask()]);
  }

  // Keras's masks (query, value, key, attention_mask) and the causal rule, all; masked scores become -1e9.
  ir::ValueId mask_scores(ir::Graph& graph, const std::vector<ir::ValueId>& inputs, ir::ValueId scores,
                          int64_t batch, int64_t t, int64_t s) const {
    const std::string& n = name();
    ir::ValueId keep = -1;
    // Keras's _compute_attention_mask: every mask given, each cast to bool and shaped to broadcast over
    // (batch, T, S), and-ed (here with the heads axis too).
    auto and_with = [&](ir::ValueId mask, std::vector<int64_t> dims) {
      const ir::ValueId m =
          detail::emit_reshape(graph, detail::emit_cast(graph, mask, DType::kBool, n), dims, n);
      if (keep < 0) {
        keep = m;
        return;
      }
      keep = detail::emit_elementwise(graph, ir::ElementwiseOp::Kind::kLogicalAnd,
                                      detail::ElementwiseOperands{{keep, m}, {}}, DType::kBool, n, prefix());
    };
    for (const auto& [given, at, what, steps] :
         {std::tuple{flags_.query_mask, flags_.at_query_mask(), "query_mask", t},
          std::tuple{flags_.value_mask, flags_.at_value_mask(), "value_mask", s},
          std::tuple{flags_.key_mask, flags_.at_key_mask(), "key_mask", s}}) {
      if (given) detail::expect_mask_dims(graph, inputs[at], {batch, steps}, prefix(), what);
    }
    if (flags_.query_mask) and_with(inputs[flags_.at_query_mask()], {batch, 1, t, 1});
    if (flags_.value_mask) and_with(inputs[flags_.at_value_mask()], {batch, 1, 1, s});
    if (flags_.key_mask) and_with(inputs[flags_.at_key_mask()], {batch, 1, 1, s});
    if (flags_.mask) and_with(inputs[flags_.at_attention_mask()], {batch, 1, t, s});
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
        keep = detail::emit_elementwise(graph, ir::ElementwiseOp::Kind::kLogicalAnd,
                                        detail::ElementwiseOperands{{keep, causal}, {}}, DType::kBool, n,
                                        prefix());
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

// Keras's call: the masks not given are the tensors' own (Layer.__call__ fills in query_mask, value_mask and,
// with a key, key_mask).
std::vector<SymbolicTensor> call_mha(const std::shared_ptr<detail::LayerImpl>& impl,
                                     const SymbolicTensor& query, const SymbolicTensor& value,
                                     const AttentionCallOptions& options, bool scores) {
  const auto own = [](const SymbolicTensor& given, const SymbolicTensor& of) {
    return given ? given : (of ? of.mask() : SymbolicTensor());
  };
  // Keras's call reads the query's own mask, whatever query_mask says.
  const SymbolicTensor query_mask = query ? query.mask() : SymbolicTensor();
  if (options.query_mask && !(options.query_mask == query_mask)) {
    throw ValueError(
        fmt::format("{} query_mask: Keras's call uses the query's own mask ({}) whatever is "
                    "passed; pass none",
                    impl->prefix(), query_mask ? query_mask.name() : "none"));
  }
  const SymbolicTensor value_mask = own(options.value_mask, value);
  const SymbolicTensor key_mask = options.key ? own(options.key_mask, options.key) : SymbolicTensor();
  if (options.key_mask && !options.key) {
    throw ValueError(fmt::format("{} The call passes a key_mask but no key", impl->prefix()));
  }
  CallFlags flags{static_cast<bool>(options.key), static_cast<bool>(options.attention_mask),
                  options.use_causal_mask, scores};
  flags.query_mask = static_cast<bool>(query_mask);
  flags.value_mask = static_cast<bool>(value_mask);
  flags.key_mask = static_cast<bool>(key_mask);
  const std::lock_guard lock(impl_of(impl).call_mutex);
  impl_of(impl).set_call(flags);
  std::vector<SymbolicTensor> inputs{query, value};
  for (const SymbolicTensor& t : {options.key, options.attention_mask, query_mask, value_mask, key_mask})
    if (t) inputs.push_back(t);
  return detail::call_layer(impl, inputs);
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(int num_heads, int key_dim, MultiHeadAttentionOptions options) {
  impl_ = std::make_shared<MultiHeadAttentionImpl>(
      MultiHeadAttentionArgs{num_heads, key_dim, std::move(options)});
}

std::vector<SymbolicTensor> MultiHeadAttention::call_with_scores(const SymbolicTensor& query,
                                                                 const SymbolicTensor& value,
                                                                 const AttentionCallOptions& options) const {
  return call_mha(impl_, query, value, options, true);
}

SymbolicTensor MultiHeadAttention::operator()(const SymbolicTensor& query, const SymbolicTensor& value,
                                              const AttentionCallOptions& options) const {
  return call_mha(impl_, query, value, options, false).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_multi_head_attention_layers() {
  register_layer(layers::multi_head_attention_schema(), [](layers::MultiHeadAttentionArgs a) {
    return std::make_shared<layers::MultiHeadAttentionImpl>(std::move(a));
  });
}
}  // namespace strata::detail
