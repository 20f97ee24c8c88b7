// Keras's Bidirectional wrapper around a recurrent layer: two copies made from its config (Keras 3 does the
// same, so neither shares the given layer's state), each lowered to its own RecurrentOp, the backward one
// realigned with the input (ir::RecurrentOp::aligned) rather than flipped after, then the merge.

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "layers/recurrent_impl.hpp"
#include "strata/error.hpp"
#include "strata/layers/recurrent.hpp"

namespace strata::layers {
namespace {

struct BidirectionalArgs {
  Layer layer;
  BidirectionalOptions options;
};

// Keras's None is JSON null; strata's options spell it "".
struct MergeModeCodec {
  static constexpr const char* type = "merge mode";
  static nlohmann::json write(const std::string& v) {
    return v.empty() ? nlohmann::json() : nlohmann::json(v);
  }
  static std::string read(const nlohmann::json& j, const detail::ConfigKey& at) {
    if (j.is_null()) return "";
    if (!j.is_string()) detail::bad_config_value(at, "a merge mode", j);
    return j.get<std::string>();
  }
  static std::string cpp(const std::string& v) { return detail::string_cpp(v); }
};

const detail::LayerSchema<BidirectionalArgs>& bidirectional_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<BidirectionalArgs>("Bidirectional")
                    .required<detail::SerializedLayerCodec>("layer", STRATA_ARG(layer))
                    .option<MergeModeCodec>("merge_mode", STRATA_ARG(options.merge_mode))
                    // Keras 3 writes the backward copy too; strata makes it from `layer`, as Keras does when
                    // none is given. A loaded one is checked to be that copy (the registry entry below) and
                    // kept to be written back.
                    .accepted("backward_layer")
                    // Keras 2's initial weights for both halves; weight files carry them.
                    .accepted("weights"));
  return schema;
}

const detail::RecurrentLayerImpl& recurrent(const std::shared_ptr<detail::LayerImpl>& layer) {
  return dynamic_cast<const detail::RecurrentLayerImpl&>(*layer);
}

class BidirectionalImpl : public detail::ConfiguredLayer<BidirectionalArgs> {
 public:
  explicit BidirectionalImpl(BidirectionalArgs args)
      : ConfiguredLayer(bidirectional_schema(), std::move(args)) {
    const std::string where = prefix();
    const std::string& mode = args_.options.merge_mode;
    if (mode != "concat" && mode != "sum" && mode != "mul" && mode != "ave" && !mode.empty()) {
      throw ValueError(
          fmt::format("{} Invalid merge mode. Received: {}. Merge mode should be one of "
                      "{{\"sum\", \"mul\", \"ave\", \"concat\", None}}",
                      where, mode));
    }
    const Layer& given = args_.layer;
    if (!given || dynamic_cast<const detail::RecurrentLayerImpl*>(given.impl().get()) == nullptr) {
      throw ValueError(fmt::format("{} Expected a recurrent layer (SimpleRNN, GRU or LSTM), received {}",
                                   where, given ? given.class_name() : "none"));
    }
    if (recurrent(given.impl()).goes_backwards()) {
      throw ValueError(
          fmt::format("{} The wrapped layer has go_backwards=True; wrap it with go_backwards=False "
                      "(the backward half reads backwards)",
                      where));
    }
    // Keras's copies: the config with the name prefixed, and go_backwards for the backward one.
    nlohmann::json config = detail::get_layer_config(*given.impl());
    // A loaded config's layer is the forward copy already: Keras strips the prefix before adding it again.
    std::string base = given.name();
    if (base.rfind("forward_", 0) == 0) base = base.substr(8);
    config["name"] = "forward_" + base;
    forward_ = detail::layer_from_config(given.class_name(), config);
    config["name"] = "backward_" + base;
    config["go_backwards"] = true;
    backward_ = detail::layer_from_config(given.class_name(), config);
    // Keras's config holds the forward copy as "layer".
    args_.layer = Layer(forward_);
  }

  /// Throws ValueError unless a config's `backward_layer` (Keras's serialized layer) is the backward copy
  /// strata makes: the same class and arguments, names aside. strata has no other backward layer.
  void check_backward(const nlohmann::json& given) const {
    if (given.is_null()) return;
    const std::string where = prefix();
    const std::string given_class =
        given.is_object() && given.contains("class_name") ? given["class_name"].dump() : "?";
    nlohmann::json ours = detail::get_layer_config(*backward_);
    nlohmann::json theirs =
        given.is_object() && given.contains("config") ? given["config"] : nlohmann::json();
    if (theirs.is_object()) {
      // Compared as the class would write them: read through the registry, then written.
      try {
        theirs = detail::get_layer_config(
            *detail::layer_from_config(given["class_name"].get<std::string>(), theirs));
      } catch (const Error&) {
        theirs = nullptr;
      }
    }
    if (given_class != nlohmann::json(backward_->class_name()).dump() || !theirs.is_object()) {
      throw ValueError(
          fmt::format("{} Expected backward_layer to be the wrapped layer's backward copy (class {}), "
                      "received class {}",
                      where, backward_->class_name(), given_class));
    }
    ours.erase("name");
    theirs.erase("name");
    if (ours != theirs) {
      throw ValueError(
          fmt::format("{} Expected backward_layer to be the wrapped layer's backward copy (the same "
                      "arguments with go_backwards=True); strata has no other backward layer",
                      where));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    const int states = recurrent(forward_).state_count();
    if (inputs.size() != 1 && inputs.size() != static_cast<size_t>(1 + 2 * states)) {
      throw ValueError(
          fmt::format("{} Expected a sequence and {} initial state tensors (the forward layer's, then "
                      "the backward layer's), received {}",
                      prefix(), 2 * states, inputs.empty() ? 0 : inputs.size() - 1));
    }
    const auto [fw_in, bw_in] = halves(inputs);
    const std::vector<Shape> fw = forward_->compute_output_shapes(fw_in);
    const std::vector<Shape> bw = backward_->compute_output_shapes(bw_in);
    std::vector<Shape> out;
    const std::string& mode = args_.options.merge_mode;
    if (mode.empty()) {
      out = {fw[0], bw[0]};
    } else if (mode == "concat") {
      std::vector<Dim> dims = fw[0].dims();
      dims.back() = Dim(*dims.back() * 2);
      out = {Shape(dims)};
    } else {
      out = {fw[0]};
    }
    out.insert(out.end(), fw.begin() + 1, fw.end());
    out.insert(out.end(), bw.begin() + 1, bw.end());
    return out;
  }

  void build(const std::vector<Shape>& inputs) override {
    const auto [fw_in, bw_in] = halves(inputs);
    forward_->build(fw_in);
    forward_->mark_built();
    backward_->build(bw_in);
    backward_->mark_built();
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    // Cast once, so that both halves read one mask value.
    const ir::ValueId mask =
        node.mask_input ? detail::emit_cast(graph, inputs.back(), DType::kBool, name()) : -1;
    const auto [fw_in, bw_in] =
        halves(std::vector<ir::ValueId>(inputs.begin(), inputs.end() - (node.mask_input ? 1 : 0)));
    // Keras's Bidirectional sets each half's zero_output_for_mask to its return_sequences.
    const bool zeros = recurrent(forward_).returns_sequences();
    const std::vector<ir::ValueId> fw =
        recurrent(forward_).lower_with(graph, fw_in, false, false, mask, zeros);
    // Keras flips the backward output sequence back; reading it aligned gives that order directly.
    const std::vector<ir::ValueId> bw =
        recurrent(backward_).lower_with(graph, bw_in, true, true, mask, zeros);
    join_halves(graph, mask >= 0);
    std::vector<ir::ValueId> out;
    const std::string& mode = args_.options.merge_mode;
    const std::vector<int64_t> dims = graph.values[fw[0]].dims;
    if (mode.empty()) {
      out = {fw[0], bw[0]};
    } else if (mode == "concat") {
      std::vector<int64_t> joined = dims;
      joined.back() *= 2;
      const ir::ValueId v = graph.add_value(joined, name());
      graph.ops.push_back(
          ir::Op{ir::ConcatOp{static_cast<int>(dims.size()) - 1}, {fw[0], bw[0]}, {v}, {}, {name()}});
      out = {v};
    } else {
      const ir::ValueId v = graph.add_value(dims, name());
      const auto kind = mode == "mul" ? ir::BinaryOp::Kind::kMultiply : ir::BinaryOp::Kind::kAdd;
      graph.ops.push_back(ir::Op{ir::BinaryOp{kind}, {fw[0], bw[0]}, {v}, {}, {name()}});
      out = {mode == "ave" ? detail::emit_activation(graph, v, detail::Activation::affine(0.5f, 0.0f), name())
                           : v};
    }
    out.insert(out.end(), fw.begin() + 1, fw.end());
    out.insert(out.end(), bw.begin() + 1, bw.end());
    return out;
  }

  int64_t macs(const detail::Node& node) const override { return 2 * forward_->macs(node); }

  std::vector<detail::SublayerGroup> sublayers() const override {
    return {{"forward_layer", false, {forward_.get()}}, {"backward_layer", false, {backward_.get()}}};
  }
  std::vector<detail::Variable> weights() const override {
    return detail::held_weights({forward_, backward_});
  }
  void set_weights(const std::vector<Tensor>& values) override {
    detail::set_held_weights(prefix(), {forward_, backward_}, values);
  }
  uint64_t weights_version() const override { return detail::held_weights_version({forward_, backward_}); }
  size_t release_weights(const ReleaseFn& release) override {
    return detail::release_held_weights({forward_, backward_}, release);
  }

  std::vector<SymbolicTensor> call_from_config(const std::shared_ptr<detail::LayerImpl>& self,
                                               const detail::ConfigCall& call) override {
    return detail::call_recurrent_from_config(self, call);
  }
  nlohmann::json keras3_call(const detail::Node& node,
                             const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const override {
    return detail::recurrent_keras3_call(node, ref);
  }
  std::string cpp_call(const detail::Node& node, const std::string& callee,
                       const std::vector<std::string>& inputs) const override {
    return detail::recurrent_cpp_call(node, callee, inputs);
  }
  nlohmann::json keras3_build_config(const detail::Node& node) const override {
    return detail::recurrent_keras3_build_config(node);
  }

 private:
  // The two RecurrentOps just emitted (forward, then backward) as one op computing both halves, which the
  // backend may run at once.
  // With a mask, each op's last input is its (shared) mask, which goes last once.
  void join_halves(ir::Graph& graph, bool masked) const {
    // A masked half whose last output is a crop of its sequence ends in a crop and a reshape: the recurrent
    // ops are found by kind.
    auto recurrent_at = [&](size_t from_end) {
      size_t seen = 0;
      for (size_t i = graph.ops.size(); i-- > 0;) {
        if (std::holds_alternative<ir::RecurrentOp>(graph.ops[i].attrs) && seen++ == from_end) return i;
      }
      throw InternalError("Bidirectional: its recurrent ops were not emitted");
    };
    const size_t bw_at = recurrent_at(0), fw_at = recurrent_at(1);
    ir::Op bw = std::move(graph.ops[bw_at]);
    graph.ops.erase(graph.ops.begin() + static_cast<long>(bw_at));
    ir::Op& fw = graph.ops[fw_at];
    auto& both = std::get<ir::RecurrentOp>(fw.attrs);
    both.backward = std::make_shared<const ir::RecurrentOp>(std::get<ir::RecurrentOp>(bw.attrs));
    const ir::ValueId mask = masked ? fw.inputs.back() : -1;
    if (masked) {
      fw.inputs.pop_back();
      bw.inputs.pop_back();
    }
    fw.inputs.insert(fw.inputs.end(), bw.inputs.begin() + 1, bw.inputs.end());
    if (masked) fw.inputs.push_back(mask);
    fw.outputs.insert(fw.outputs.end(), bw.outputs.begin(), bw.outputs.end());
    fw.layers = {name()};
  }

  // The sequence with the forward layer's initial states, and with the backward layer's.
  template <class T>
  std::pair<std::vector<T>, std::vector<T>> halves(const std::vector<T>& inputs) const {
    std::vector<T> fw{inputs[0]}, bw{inputs[0]};
    const size_t half = (inputs.size() - 1) / 2;
    fw.insert(fw.end(), inputs.begin() + 1, inputs.begin() + 1 + static_cast<long>(half));
    bw.insert(bw.end(), inputs.begin() + 1 + static_cast<long>(half), inputs.end());
    return {fw, bw};
  }

  std::shared_ptr<detail::LayerImpl> forward_, backward_;
};

}  // namespace

Bidirectional::Bidirectional(const RecurrentLayer& layer, BidirectionalOptions options) {
  impl_ = std::make_shared<BidirectionalImpl>(BidirectionalArgs{layer, std::move(options)});
}

}  // namespace strata::layers

namespace strata::detail {
void register_bidirectional_layers() {
  // The generic entry, plus the check of a config's backward_layer against the copy strata makes.
  const auto& schema = layers::bidirectional_schema();
  register_layer(LayerEntry{&schema, schema.class_name(),
                            [&schema](const nlohmann::json& config, const std::string& where) {
                              std::vector<std::pair<std::string, std::string>> verbatim;
                              layers::BidirectionalArgs args = schema.read(config, where, verbatim);
                              if (config.contains("name"))
                                args.options.name = config["name"].get<std::string>();
                              auto layer = std::make_shared<layers::BidirectionalImpl>(std::move(args));
                              if (config.contains("backward_layer"))
                                layer->check_backward(config["backward_layer"]);
                              layer->kept_values = std::move(verbatim);
                              return std::shared_ptr<LayerImpl>(layer);
                            }});
}
}  // namespace strata::detail
