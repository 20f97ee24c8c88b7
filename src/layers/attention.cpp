// Keras's single-head attention layers, as keras/src/layers/attention/attention.py and
// additive_attention.py compute them: scores from the query and key (a dot product, or the sum over the
// features of tanh(query + key)), masked scores lowered by 1e9 (Keras's `where(padding, scores - 1e9,
// scores)`), a softmax over the value steps, the weighted values, and a query mask zeroing output rows.

#include <fmt/format.h>

#include <cmath>
#include <mutex>
#include <type_traits>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/config_call.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/layers/attention.hpp"

namespace strata::layers {
namespace {

using AttentionArgs = detail::OptionsArgs<AttentionOptions>;
using AdditiveAttentionArgs = detail::OptionsArgs<AdditiveAttentionOptions>;

const detail::LayerSchema<AttentionArgs>& attention_schema() {
  static const auto schema = std::move(detail::LayerSchema<AttentionArgs>("Attention")
                                           .option("use_scale", STRATA_ARG(options.use_scale))
                                           .option("score_mode", STRATA_ARG(options.score_mode))
                                           .option("dropout", STRATA_ARG(options.dropout))
                                           .kept("seed")
                                           // tf.keras 2's causal=True, replaced by use_causal_mask.
                                           .only_default("causal", false));
  return schema;
}

const detail::LayerSchema<AdditiveAttentionArgs>& additive_attention_schema() {
  static const auto schema = std::move(detail::LayerSchema<AdditiveAttentionArgs>("AdditiveAttention")
                                           .option("use_scale", STRATA_ARG(options.use_scale))
                                           .option("dropout", STRATA_ARG(options.dropout))
                                           .kept("seed")
                                           .only_default("causal", false));
  return schema;
}

// Which of Keras's call arguments a call passes; the node's inputs are query, value, [key], [query_mask],
// [value_mask] in that order.
struct AttentionCallFlags {
  bool key = false, query_mask = false, value_mask = false, causal = false, scores = false;
  friend bool operator==(const AttentionCallFlags&, const AttentionCallFlags&) = default;
  size_t inputs() const { return 2u + key + query_mask + value_mask; }
};

template <class Options>
class ScoreAttentionImpl : public detail::ConfiguredLayer<detail::OptionsArgs<Options>> {
  using Base = detail::ConfiguredLayer<detail::OptionsArgs<Options>>;
  static constexpr bool kAdditive = std::is_same_v<Options, AdditiveAttentionOptions>;

 public:
  ScoreAttentionImpl(const detail::LayerSchema<detail::OptionsArgs<Options>>& schema,
                     detail::OptionsArgs<Options> args)
      : Base(schema, std::move(args)) {
    const Options& o = this->args_.options;
    if constexpr (!kAdditive) {
      if (o.score_mode != "dot" && o.score_mode != "concat") {
        throw ValueError(fmt::format(
            "{} Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. Received: "
            "score_mode={}",
            this->prefix(), o.score_mode));
      }
    }
    if (!(o.dropout >= 0.0f && o.dropout < 1.0f))
      throw ValueError(fmt::format("{} Expected dropout in [0, 1), received {}", this->prefix(), o.dropout));
  }

  /// Held across set_call and the call, so that concurrent calls of one layer do not mix their options.
  std::mutex call_mutex;

  void set_call(const AttentionCallFlags& flags) {
    if (called_ && flags != flags_) {
      throw ValueError(fmt::format(
          "{} Expected the same key, masks, use_causal_mask and return_attention_scores as in the first "
          "call: strata keeps one set per layer",
          this->prefix()));
    }
    pending_ = flags;
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    const AttentionCallFlags& f = pending_;
    if (inputs.size() != f.inputs()) {
      throw ValueError(fmt::format(
          "{} Expected [query, value] or [query, value, key] and the masks given, {} tensor(s); received {}",
          this->prefix(), f.inputs(), inputs.size()));
    }
    const Shape& q = inputs[0];
    const Shape& v = inputs[1];
    const Shape& k = f.key ? inputs[2] : v;
    for (const auto& [what, s] : {std::pair{"query", q}, {"value", v}, {"key", k}}) {
      if (s.rank() != 3 || !s[2]) {
        throw ShapeError(fmt::format(
            "{} Expected a {} of rank 3 (batch, steps, features) with known features, received shape {}{}",
            this->prefix(), what, s.to_string(),
            s.rank() == 2 ? ": on (batch, features) inputs Keras's matmul makes each sample attend to the "
                            "other samples of its batch, which strata does not compute"
                          : ""));
      }
    }
    if (*q[2] != *k[2]) {
      throw ShapeError(
          fmt::format("{} Expected query and key of the same features, received shapes {} and {}",
                      this->prefix(), q.to_string(), k.to_string()));
    }
    if (v[1] && k[1] && *v[1] != *k[1]) {
      throw ShapeError(
          fmt::format("{} Expected a key as long as the value, received key shape {} and value shape {}",
                      this->prefix(), k.to_string(), v.to_string()));
    }
    size_t at = f.key ? 3 : 2;
    for (const auto& [given, what, steps] :
         {std::tuple{f.query_mask, "query_mask", q[1]}, std::tuple{f.value_mask, "value_mask", v[1]}}) {
      if (!given) continue;
      const Shape& m = inputs[at++];
      if (m.rank() != 2 || (m[1] && steps && *m[1] != *steps)) {
        throw ShapeError(fmt::format("{} Expected a {} of shape (batch, {}), received shape {}",
                                     this->prefix(), what, steps ? std::to_string(*steps) : "None",
                                     m.to_string()));
      }
    }
    std::vector<Shape> shapes{Shape({q[0], q[1], v[2]})};
    if (f.scores) shapes.push_back(Shape({q[0], q[1], k[1] ? k[1] : v[1]}));
    return shapes;
  }

  std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const override {
    // Masks may be of any type (Keras casts them to bool); the rest are float32.
    const AttentionCallFlags& f = pending_;
    std::vector<DType> floats(inputs.begin(), inputs.begin() + 2 + (f.key ? 1 : 0));
    detail::expect_float_inputs(this->prefix(), floats);
    return std::vector<DType>(outputs, DType::kFloat32);
  }

  void build(const std::vector<Shape>& inputs) override {
    const Options& o = this->args_.options;
    const int64_t dim = *inputs[0][2];
    if constexpr (kAdditive) {
      // Keras's fans for a vector: its length, both.
      const double n = static_cast<double>(dim);
      if (o.use_scale) this->add_variable("scale", detail::initialize("glorot_uniform", {dim}, n, n));
    } else {
      if (o.use_scale) this->add_variable("scale", Tensor(std::vector<int64_t>{}, std::vector<float>{1.0f}));
      if (o.score_mode == "concat")
        this->add_variable("concat_score_weight", Tensor(std::vector<int64_t>{}, std::vector<float>{1.0f}));
    }
    flags_ = pending_;
    called_ = true;
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const std::string& n = this->name();
    const ir::ValueId q = inputs[0], v = inputs[1], k = flags_.key ? inputs[2] : inputs[1];
    const std::vector<int64_t> qd = graph.values[q].dims;
    const int64_t batch = qd[0], tq = qd[1], dim = qd[2], tv = graph.values[v].dims[1];
    // With unknown steps the shape rule could not compare the lengths; the plan's inputs can.
    if (graph.values[k].dims[1] != tv) {
      throw ShapeError(fmt::format("{} Expected a key as long as the value ({} steps), received {} steps",
                                   this->prefix(), tv, graph.values[k].dims[1]));
    }
    size_t at = flags_.key ? 3 : 2;
    const ir::ValueId query_mask =
        flags_.query_mask ? mask(graph, inputs[at++], {batch, tq}, "query_mask") : -1;
    const ir::ValueId value_mask =
        flags_.value_mask ? mask(graph, inputs[at++], {batch, tv}, "value_mask") : -1;

    ir::ValueId scores = -1;
    if (dot()) {
      scores = graph.add_value({batch, tq, tv}, n);
      graph.ops.push_back(
          ir::Op{ir::MatMulOp{}, {q, detail::emit_transpose(graph, k, {0, 2, 1}, n)}, {scores}, {}, {n}});
      if (this->args_.options.use_scale) scores = detail::emit_activation(graph, scores, affine(0), n);
    } else {
      scores = concat_scores(graph, q, k, {batch, tq, tv, dim});
    }
    scores = mask_scores(graph, scores, value_mask, {batch, tq, tv});
    const ir::ValueId probs = graph.add_value({batch, tq, tv}, n);
    graph.ops.push_back(ir::Op{ir::SoftmaxOp{-1, false}, {scores}, {probs}, {}, {n}});
    ir::ValueId out = graph.add_value({batch, tq, graph.values[v].dims[2]}, n);
    graph.ops.push_back(ir::Op{ir::MatMulOp{}, {probs, v}, {out}, {}, {n}});
    if (query_mask >= 0) {
      // Keras's where(query_mask[..., None], output, 0).
      ir::ElementwiseOp where{ir::ElementwiseOp::Kind::kWhere, {}};
      where.numbers.push_back({2, 0.0, false, 0});
      const ir::ValueId kept = graph.add_value(graph.values[out].dims, n);
      graph.ops.push_back(
          ir::Op{where, {detail::emit_reshape(graph, query_mask, {batch, tq, 1}, n), out}, {kept}, {}, {n}});
      out = kept;
    }
    std::vector<ir::ValueId> outs{out};
    if (flags_.scores) outs.push_back(probs);
    return outs;
  }

  int64_t macs(const detail::Node& node) const override {
    const Shape& q = node.inputs[0].shape();
    const Shape& v = node.inputs[1].shape();
    if (!q[1] || !v[1]) return 0;
    return *q[1] * *v[1] * (*q[2] + *v[2]);
  }

  // Keras's compute_mask: the query's mask (mask[0]), on the output only.
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    if (!flags_.query_mask) return {};
    return {node.inputs[2u + flags_.key]};
  }

  // Keras 3 records attention([q, v], mask=[qm, vm], ...): the inputs as one list, the masks (None where
  // absent) and the flags as keywords.
  nlohmann::json keras3_call(const detail::Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < 2u + flags_.key; ++i) list.push_back(ref(node.inputs[i]));
    return {{"args", nlohmann::json::array({list})}, {"kwargs", kwargs(node, ref)}};
  }

  // tf.keras's form: one entry per input, each carrying the call's keywords.
  nlohmann::json call_entries(
      const detail::Node& node,
      const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    const nlohmann::json keywords = kwargs(node, ref);
    nlohmann::json entries = nlohmann::json::array();
    for (size_t i = 0; i < 2u + flags_.key; ++i) {
      nlohmann::json entry = ref(node.inputs[i]);
      entry.push_back(keywords);
      entries.push_back(entry);
    }
    return entries;
  }

  // `layer({q, v}, {.value_mask = m, .use_causal_mask = true})`, as the public call.
  std::string cpp_call(const detail::Node& node, const std::string& callee,
                       const std::vector<std::string>& inputs) const override {
    const size_t tensors = 2u + flags_.key;
    std::vector<std::string> list(inputs.begin(), inputs.begin() + static_cast<ptrdiff_t>(tensors));
    std::vector<std::string> options;
    size_t at = tensors;
    // Masks the call fills in by itself (both its inputs' own, when it is given none) are left out.
    const SymbolicTensor query_mask = flags_.query_mask ? node.inputs[at] : SymbolicTensor();
    const SymbolicTensor value_mask =
        flags_.value_mask ? node.inputs[at + flags_.query_mask] : SymbolicTensor();
    if (!(query_mask == node.inputs[0].mask() && value_mask == node.inputs[1].mask())) {
      if (!query_mask && !value_mask) {
        // Keras's explicit mask=[None, None] on masked inputs: the C++ call would fill them in.
        throw ValueError(
            fmt::format("{} The call passes no masks although its inputs have their own, which "
                        "strata's C++ call of this layer cannot express",
                        this->prefix()));
      }
      if (flags_.query_mask) options.push_back(".query_mask = " + inputs[at]);
      if (flags_.value_mask) options.push_back(".value_mask = " + inputs[at + flags_.query_mask]);
    }
    if (flags_.causal) options.push_back(".use_causal_mask = true");
    const std::string call = flags_.scores ? callee + ".call_with_scores" : callee;
    if (options.empty()) return fmt::format("{}({{{}}})", call, fmt::join(list, ", "));
    return fmt::format("{}({{{}}}, {{{}}})", call, fmt::join(list, ", "), fmt::join(options, ", "));
  }

  // Attention.build(input_shape): the shapes of the listed inputs, masks left out.
  nlohmann::json keras3_build_config(const detail::Node& node) const override {
    nlohmann::json shapes = nlohmann::json::array();
    for (size_t i = 0; i < 2u + flags_.key; ++i) shapes.push_back(detail::shape_json(node.inputs[i].shape()));
    return {{"input_shape", shapes}};
  }

  // Keras's call(inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False).
  std::vector<SymbolicTensor> call_from_config(const std::shared_ptr<detail::LayerImpl>& self,
                                               const detail::ConfigCall& call) override {
    detail::expect_config_kwargs(*this, call, {"inputs", "mask"},
                                 {"use_causal_mask", "return_attention_scores"}, {"mask"});
    if (!call.legacy && call.arguments.size() > 1) {  // tf.keras lists each tensor as an entry
      throw ValueError(
          fmt::format("{} Expected the inputs list as the only positional argument, received {}; "
                      "Keras passes the masks as the keyword mask",
                      this->prefix(), call.arguments.size()));
    }
    std::vector<SymbolicTensor> given = detail::leading_inputs(*this, call, "inputs");
    if (given.size() < 2 || given.size() > 3) {
      throw ValueError(fmt::format(
          "{} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
          "Received length: {}",
          this->prefix(), given.size()));
    }
    AttentionCallFlags flags;
    flags.key = given.size() == 3;
    flags.causal = detail::config_flag(*this, call, "use_causal_mask", false);
    flags.scores = detail::config_flag(*this, call, "return_attention_scores", false);
    if (const auto it = call.tensor_kwargs.find("mask"); it != call.tensor_kwargs.end()) {
      const std::vector<SymbolicTensor>& masks = it->second;
      // Keras reads mask[0] and mask[1]; a third entry (the key's, which Keras 3 fills in) is not used.
      if (masks.size() != 2 && masks.size() != 3) {
        throw ValueError(
            fmt::format("{} Expected mask=[query_mask, value_mask] (None where absent), received {} entries",
                        this->prefix(), masks.size()));
      }
      flags.query_mask = static_cast<bool>(masks[0]);
      flags.value_mask = static_cast<bool>(masks[1]);
      // Keras fills in the inputs' own masks: loading made them again.
      const std::vector<SymbolicTensor> tensors = given;
      for (size_t i = 0; i < 2; ++i)
        if (masks[i]) given.push_back(detail::canonical_mask(masks[i], tensors[i].mask()));
    } else {
      // Keras 3.10 and later record no mask it filled in (the call's own keywords only), and fill them in
      // again when loading: from the inputs' own masks.
      const std::vector<SymbolicTensor> tensors = given;
      for (size_t i = 0; i < 2; ++i) {
        if (tensors[i].mask()) given.push_back(tensors[i].mask());
      }
      flags.query_mask = static_cast<bool>(tensors[0].mask());
      flags.value_mask = static_cast<bool>(tensors[1].mask());
    }
    const std::lock_guard lock(call_mutex);
    set_call(flags);
    return detail::call_layer(self, given);
  }

 private:
  bool dot() const {
    if constexpr (kAdditive) {
      return false;
    } else {
      return this->args_.options.score_mode == "dot";
    }
  }

  // x * variable[i] (a scalar weight) as one element-wise step, fused into the op before it.
  detail::Activation affine(size_t i) const {
    return detail::Activation::affine(this->variables()[i].tensor()->values()[0], 0.0f);
  }

  // The mask given as `value` (the call's `what`) of dims `dims`, as bool (Keras casts it so).
  ir::ValueId mask(ir::Graph& graph, ir::ValueId value, const std::vector<int64_t>& dims,
                   const char* what) const {
    detail::expect_mask_dims(graph, value, dims, this->prefix(), what);
    if (graph.values[value].dtype == ir::DataType::kBool) return value;
    return detail::emit_cast(graph, value, DType::kBool, this->name());
  }

  // Keras's "concat" scores and AdditiveAttention's: the features of tanh(query + key) summed, with the
  // layer's scale where it has one. `dims` is (batch, Tq, Tv, features).
  ir::ValueId concat_scores(ir::Graph& graph, ir::ValueId q, ir::ValueId k,
                            const std::vector<int64_t>& dims) const {
    const std::string& n = this->name();
    const int64_t batch = dims[0], tq = dims[1], tv = dims[2], dim = dims[3];
    ir::ValueId sum = graph.add_value(dims, n);
    graph.ops.push_back(ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kAdd},
                               {detail::emit_reshape(graph, q, {batch, tq, 1, dim}, n),
                                detail::emit_reshape(graph, k, {batch, 1, tv, dim}, n)},
                               {sum},
                               {},
                               {n}});
    const bool scaled = this->args_.options.use_scale;
    if constexpr (!kAdditive) {
      // concat_score_weight * sum(tanh(scale * (q + k))).
      if (scaled) sum = detail::emit_activation(graph, sum, affine(0), n);
    }
    ir::ValueId terms = detail::emit_activation(graph, sum, {detail::ActivationKind::kTanh}, n);
    if constexpr (kAdditive) {
      // sum(scale * tanh(q + k)), scale a vector over the features.
      if (scaled) {
        const ir::ValueId scale = graph.add_value({1, 1, 1, dim}, n);
        graph.ops.push_back(
            ir::Op{ir::ConstantOp{std::make_shared<const Tensor>(std::vector<int64_t>{1, 1, 1, dim},
                                                                 this->variables()[0].tensor()->values())},
                   {},
                   {scale},
                   {},
                   {n}});
        const ir::ValueId scaled_terms = graph.add_value(dims, n);
        graph.ops.push_back(
            ir::Op{ir::BinaryOp{ir::BinaryOp::Kind::kMultiply}, {terms, scale}, {scaled_terms}, {}, {n}});
        terms = scaled_terms;
      }
    }
    ir::ValueId scores = detail::emit_reshape(
        graph, detail::emit_reduce(graph, terms, ir::ReduceOp::Kind::kSum, {3}, n), {batch, tq, tv}, n);
    if constexpr (!kAdditive) scores = detail::emit_activation(graph, scores, affine(scaled ? 1 : 0), n);
    return scores;
  }

  // Keras's _calculate_score_mask and _apply_scores: the value mask (batch, 1, Tv) and the causal rule
  // (1, Tq, Tv) both keep a score; the others become scores - 1e9.
  ir::ValueId mask_scores(ir::Graph& graph, ir::ValueId scores, ir::ValueId value_mask,
                          const std::vector<int64_t>& dims) const {
    const std::string& n = this->name();
    const int64_t batch = dims[0], tq = dims[1], tv = dims[2];
    ir::ValueId keep = value_mask >= 0 ? detail::emit_reshape(graph, value_mask, {batch, 1, tv}, n) : -1;
    if (flags_.causal) {
      // Keras's rule (cumsum of ones along each axis): row i may see column j when i >= j.
      std::vector<uint8_t> lower(static_cast<size_t>(tq * tv));
      for (int64_t i = 0; i < tq; ++i)
        for (int64_t j = 0; j < tv; ++j) lower[static_cast<size_t>(i * tv + j)] = i >= j ? 1 : 0;
      const ir::ValueId causal = graph.add_value({1, tq, tv}, n);
      graph.values[causal].dtype = ir::DataType::kBool;
      graph.ops.push_back(
          ir::Op{ir::ConstantOp{std::make_shared<const Tensor>(Tensor::from_bool({1, tq, tv}, lower))},
                 {},
                 {causal},
                 {},
                 {n}});
      if (keep < 0) {
        keep = causal;
      } else {
        const ir::ValueId both = graph.add_value({batch, tq, tv}, n);
        graph.values[both].dtype = ir::DataType::kBool;
        graph.ops.push_back(ir::Op{
            ir::ElementwiseOp{ir::ElementwiseOp::Kind::kLogicalAnd, {}}, {keep, causal}, {both}, {}, {n}});
        keep = both;
      }
    }
    if (keep < 0) return scores;
    const ir::ValueId lowered =
        detail::emit_activation(graph, scores, detail::Activation::affine(1.0f, -1.0e9f), n);
    const ir::ValueId out = graph.add_value(dims, n);
    graph.ops.push_back(ir::Op{
        ir::ElementwiseOp{ir::ElementwiseOp::Kind::kWhere, {}}, {keep, scores, lowered}, {out}, {}, {n}});
    return out;
  }

  // The call's keywords as Keras records them: mask=[query_mask, value_mask] with None where absent, and the
  // flags that are set.
  nlohmann::json kwargs(const detail::Node& node,
                        const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const {
    nlohmann::json out = nlohmann::json::object();
    if (flags_.query_mask || flags_.value_mask) {
      size_t at = 2u + flags_.key;
      nlohmann::json masks = nlohmann::json::array();
      masks.push_back(flags_.query_mask ? ref(node.inputs[at++]) : nlohmann::json());
      masks.push_back(flags_.value_mask ? ref(node.inputs[at++]) : nlohmann::json());
      out["mask"] = masks;
    }
    if (flags_.causal) out["use_causal_mask"] = true;
    if (flags_.scores) out["return_attention_scores"] = true;
    return out;
  }

  AttentionCallFlags pending_, flags_;
  bool called_ = false;
};

using AttentionImpl = ScoreAttentionImpl<AttentionOptions>;
using AdditiveAttentionImpl = ScoreAttentionImpl<AdditiveAttentionOptions>;

template <class Impl>
std::vector<SymbolicTensor> call_attention(const std::shared_ptr<detail::LayerImpl>& impl,
                                           std::vector<SymbolicTensor> inputs, const AttentionMasks& masks,
                                           bool scores) {
  auto& self = static_cast<Impl&>(*impl);
  if (inputs.size() < 2 || inputs.size() > 3) {
    throw ValueError(fmt::format(
        "{} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
        "Received length: {}",
        self.prefix(), inputs.size()));
  }
  // Keras fills in mask=[...] from the inputs' own masks when the call passes none (it reads the query's
  // and the value's).
  const bool fill = !masks.query_mask && !masks.value_mask;
  const SymbolicTensor query_mask = fill && inputs[0] ? inputs[0].mask() : masks.query_mask;
  const SymbolicTensor value_mask = fill && inputs[1] ? inputs[1].mask() : masks.value_mask;
  const AttentionCallFlags flags{inputs.size() == 3, static_cast<bool>(query_mask),
                                 static_cast<bool>(value_mask), masks.use_causal_mask, scores};
  if (query_mask) inputs.push_back(query_mask);
  if (value_mask) inputs.push_back(value_mask);
  const std::lock_guard lock(self.call_mutex);
  self.set_call(flags);
  return detail::call_layer(impl, inputs);
}

}  // namespace

Attention::Attention(AttentionOptions options) {
  impl_ = std::make_shared<AttentionImpl>(attention_schema(), AttentionArgs{std::move(options)});
}

SymbolicTensor Attention::operator()(const std::vector<SymbolicTensor>& inputs,
                                     const AttentionMasks& masks) const {
  return call_attention<AttentionImpl>(impl_, inputs, masks, false).front();
}

std::vector<SymbolicTensor> Attention::call_with_scores(const std::vector<SymbolicTensor>& inputs,
                                                        const AttentionMasks& masks) const {
  return call_attention<AttentionImpl>(impl_, inputs, masks, true);
}

AdditiveAttention::AdditiveAttention(AdditiveAttentionOptions options) {
  impl_ = std::make_shared<AdditiveAttentionImpl>(additive_attention_schema(),
                                                  AdditiveAttentionArgs{std::move(options)});
}

SymbolicTensor AdditiveAttention::operator()(const std::vector<SymbolicTensor>& inputs,
                                             const AttentionMasks& masks) const {
  return call_attention<AdditiveAttentionImpl>(impl_, inputs, masks, false).front();
}

std::vector<SymbolicTensor> AdditiveAttention::call_with_scores(const std::vector<SymbolicTensor>& inputs,
                                                                const AttentionMasks& masks) const {
  return call_attention<AdditiveAttentionImpl>(impl_, inputs, masks, true);
}

}  // namespace strata::layers

namespace strata::detail {
void register_attention_layers() {
  register_layer(layers::attention_schema(), [](layers::AttentionArgs a) {
    return std::make_shared<layers::AttentionImpl>(layers::attention_schema(), std::move(a));
  });
  register_layer(layers::additive_attention_schema(), [](layers::AdditiveAttentionArgs a) {
    return std::make_shared<layers::AdditiveAttentionImpl>(layers::additive_attention_schema(), std::move(a));
  });
}
}  // namespace strata::detail
