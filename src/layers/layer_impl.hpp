#pragma once
// The shared state behind every `strata::Layer` handle, and the interface each layer implements:
// a shape rule, weight creation, and lowering to IR ops.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "compiler/ir.hpp"
#include "core/activation.hpp"
#include "core/limits.hpp"
#include "core/released_weight.hpp"
#include "strata/shape.hpp"
#include "strata/symbolic_tensor.hpp"
#include "strata/tensor.hpp"

namespace strata::detail {

struct Node;
class SchemaBase;

/// One weight of a layer. The tensor is immutable and replaced whole by set_weights, so a compiled
/// plan may hold on to it without copying. After `release`, only a plan's copy remains and `tensor()`
/// rebuilds the tensor from it on demand (CompileOptions::release_weights).
class Variable {
 public:
  Variable(std::string name, std::shared_ptr<const Tensor> value, bool trainable);

  /// The Keras-layout dims, without rebuilding a released tensor.
  const std::vector<int64_t>& dims() const;
  /// Elements of the weight.
  int64_t size() const { return element_count(dims()); }
  /// The weight in Keras's layout; rebuilt (bitwise equal, shared with concurrent callers) when released.
  std::shared_ptr<const Tensor> tensor() const;
  /// Whether only a plan's copy of this weight remains.
  bool released() const { return released_ != nullptr; }
  /// Drops the Keras-layout tensor for `record`, which rebuilds it.
  void release(std::shared_ptr<const ReleasedWeight> record);
  /// Replaces the weight (ending a release).
  void assign(std::shared_ptr<const Tensor> value);

  std::string name;
  bool trainable = true;
  /// A count Keras keeps beside statistics (Normalization's `count`) and stores as an integer. It never
  /// changes outputs, so a file's integer reads into it rounded to float32 where other weights refuse one.
  bool counter = false;

 private:
  std::shared_ptr<const Tensor> value_;
  std::shared_ptr<const ReleasedWeight> released_;
};

class LayerImpl;

/// Layers a layer holds, as Keras 3's saving walks them (`_walk_saveable`): an attribute naming a list of
/// layers, each stored under `<attribute>/<snake_case class name>[_N]` (a model's `layers`), or one layer,
/// stored under `<attribute>` (a MultiHeadAttention's `query_dense`).
struct SublayerGroup {
  std::string attribute;
  bool list = true;
  std::vector<LayerImpl*> layers;
};

struct ConfigCall;

class LayerImpl {
 public:
  /// `name` empty means the next default name for this class.
  LayerImpl(std::string class_name, const std::string& name);
  virtual ~LayerImpl() = default;
  LayerImpl(const LayerImpl&) = delete;
  LayerImpl& operator=(const LayerImpl&) = delete;

  const std::string& name() const { return name_; }
  /// Gives the layer another name; only before its first call (an op read from a model config takes the
  /// config's name after its automatic one).
  void rename(std::string name) { name_ = std::move(name); }
  const std::string& class_name() const { return class_name_; }
  /// "[conv2d (Conv2D)]", the start of every message about this layer.
  std::string prefix() const;

  /// Checks the inputs of a call and returns the output shapes. Throws ShapeError or ValueError with
  /// `prefix()`. Must not change the layer.
  virtual std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const = 0;
  /// Called by call_layer with a call's input shapes and types before the shape rule, for layers whose rule
  /// depends on both (a composite layer runs its body once per pair). Does nothing by default.
  virtual void prepare_call(const std::vector<Shape>& /*shapes*/, const std::vector<DType>& /*dtypes*/) {}
  /// Creates the weights on the first call, from the (already checked) input shapes.
  virtual void build(const std::vector<Shape>& inputs);
  /// The element type of each of `outputs` outputs from the inputs' types. The default, for layers that
  /// compute in float32: float32 outputs, and a ValueError naming the layer for an integer input.
  virtual std::vector<DType> compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const;
  /// Emits the ops computing one call of this layer on concrete values; returns the output values.
  virtual std::vector<ir::ValueId> lower(ir::Graph& graph, const Node& node,
                                         const std::vector<ir::ValueId>& inputs) const = 0;
  /// For sliding-window layers with known spatial input sizes, the padding TensorFlow applies.
  virtual std::optional<ir::SpatialPadding> static_padding(const std::vector<Shape>& inputs) const;
  /// The layer's arguments as Keras's config keys (a built-in layer: its schema's; see get_layer_config for
  /// the whole config). Pure virtual so that a new layer cannot forget it: ConfiguredLayer implements it.
  /// Throws ValueError for a layer Keras cannot describe.
  virtual nlohmann::json config() const = 0;
  /// The schema of a built-in layer (class name, arguments, kept keys); null for custom layers and models.
  virtual const SchemaBase* schema() const { return nullptr; }
  /// The module a Keras 3 config names for a built-in class that keras.layers does not export (Keras
  /// imports the class from it); null for keras.layers.
  virtual const char* keras3_module() const { return nullptr; }
  /// The C++ that makes this layer, without the `layers::` namespace: `Conv2D(32, 3, {.name = "c"})`.
  /// Throws ValueError for a layer without a schema.
  virtual std::string cpp_constructor() const;
  /// The C++ expression that makes `node`'s call, for code generation: `callee` is the layer (its constructor
  /// or a variable), `inputs` the C++ names of node.inputs. The default: `callee(x)` for one input,
  /// `callee({a, b})` for several, `.call_all(...)` for several outputs. Layers whose C++ call takes other
  /// arguments (initial states, a key, a mask) override it, as they override keras3_call.
  virtual std::string cpp_call(const Node& node, const std::string& callee,
                               const std::vector<std::string>& inputs) const;
  /// How a model config lists `node`'s inputs, for a layer whose call takes tensors as keyword arguments
  /// (MultiHeadAttention's value, key and mask): the entries `[[layer, node, index, kwargs], ...]`, each
  /// tensor written by `ref`. Null for the default: one entry per input.
  virtual nlohmann::json call_entries(const Node& node,
                                      const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const;
  /// Makes the call a loaded model config records (its inverse: `self` is this layer's handle). The default
  /// calls the layer on the positional tensors and takes no keyword argument but `training`. Throws
  /// ValueError naming the layer and the keyword it does not take, and whatever the call throws.
  virtual std::vector<SymbolicTensor> call_from_config(const std::shared_ptr<LayerImpl>& self,
                                                       const ConfigCall& call);
  /// How Keras 3 records `node` (functional.py, serialize_node): `{"args": [...], "kwargs": {...}}`, each
  /// tensor written by `ref`. The default: one input as the only argument, several as one list (a merge
  /// layer's).
  virtual nlohmann::json keras3_call(const Node& node,
                                     const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const;
  /// Keras 3's `get_build_config()` after `node`, the layer's first call: `{"input_shape": ...}` (a list of
  /// shapes for a layer called on a list), or `{"shapes_dict": {...}}` keyed by the arguments of the layer's
  /// Keras `build` when it takes several (layer.py's `_build_shapes_dict`), which `build_from_config` passes
  /// back to `build` on loading.
  virtual nlohmann::json keras3_build_config(const Node& node) const;
  /// True for an op made from numbers alone (ops::arange): its calls have no inputs yet are not Inputs.
  virtual bool takes_no_inputs() const { return false; }
  /// True for a layer whose inputs broadcast against each other batch axis included (the element-wise ops
  /// and merge layers), so that a tensor of batch 1 (from ops::arange) may meet a batched one. The others
  /// require one batch (call_layer checks).
  virtual bool broadcasts_batch() const { return false; }
  /// Keras's `supports_masking` with the default compute_mask: the first output keeps the call's mask (the
  /// mask argument, else the first input's). The default looks the class up in Keras's list
  /// (src/layers/masking_rules.cpp); ops never pass masks on.
  virtual bool supports_masking() const;
  /// Keras's call signature has `mask`: call_layer passes the first input's mask as the last input (Node::
  /// mask_input) when the call has one tensor argument and none was given. The default looks the class up.
  virtual bool takes_mask() const;
  /// Called by call_layer with the mask a call takes (given or filled in) before anything changes: throws
  /// ValueError naming the layer when it cannot use it as Keras would (the Softmax layer; TimeDistributed
  /// around a layer that takes a mask). Does nothing by default.
  virtual void check_mask(const SymbolicTensor& /*mask*/) const {}
  /// True for a layer whose arithmetic reads its inputs' masks although its call takes no `mask` (Keras's
  /// Multiply counts a masked element as 1): call_layer appends those masks as hidden inputs (Node::
  /// hidden_masks), so lowering gets their values.
  virtual bool reads_input_masks() const { return false; }
  /// True for a model or subclassed layer called as a layer: Keras's tensors carry their masks into its
  /// call, which strata does not, so call_layer refuses masked inputs.
  virtual bool holds_graph() const { return false; }
  /// Keras's compute_mask for `node`, this layer's call that was just added: the mask of each output (empty
  /// where none), made from ops called on the node's tensors (so recorded in the graph, as Keras records
  /// them). The default: supports_masking() passes the call's mask to the first output; else no masks.
  virtual std::vector<SymbolicTensor> compute_masks(const Node& node) const;
  /// Multiply-accumulates of one sample of a call, for summaries and benchmarks (0 when negligible).
  virtual int64_t macs(const Node& node) const;

  bool built() const { return built_; }
  void mark_built() { built_ = true; }
  /// Forgets the weights a failed `build` made, so that the layer is as it was before the call.
  void discard_build() {
    variables_.clear();
    built_ = false;
  }
  const std::vector<Variable>& variables() const { return variables_; }
  /// The layers this layer holds, in Keras's attribute order (a model: `layers`, i.e. `model.layers`). Weight
  /// files nest their variables under these paths, after the layer's own `vars`. Empty for a plain layer.
  virtual std::vector<SublayerGroup> sublayers() const { return {}; }
  /// All weights this layer owns or contains (a model: its layers' weights, in layer order).
  virtual std::vector<Variable> weights() const { return variables_; }
  /// Replaces `weights()` in order; checks everything first so that a failure changes nothing.
  virtual void set_weights(const std::vector<Tensor>& values) { set_variable_values(values); }
  /// Replaces all variable values after checking count and shapes; bumps the weights version.
  void set_variable_values(const std::vector<Tensor>& values);
  /// Increases whenever the weights change, so that compiled plans know to rebuild.
  virtual uint64_t weights_version() const { return weights_version_; }
  /// Gives every weight (of this layer and any it contains) for which `release` returns a record over to that
  /// record, freeing its Keras-layout tensor. The values do not change, so the weights version stays. Like
  /// set_weights, must not run concurrently with other uses of the layer. Returns the bytes freed.
  using ReleaseFn =
      std::function<std::shared_ptr<const ReleasedWeight>(const std::shared_ptr<const Tensor>&)>;
  virtual size_t release_weights(const ReleaseFn& release);

  bool trainable = true;
  /// Config keys strata keeps without using them (regularizers, seeds, a dtype policy...), as a loaded config
  /// gave them: key and JSON text. get_layer_config writes them back.
  std::vector<std::pair<std::string, std::string>> kept_values;
  /// The calls of this layer, in call order. Weak: nodes own their layer, not the reverse.
  std::vector<std::weak_ptr<Node>> inbound_nodes;

 protected:
  void add_variable(std::string name, Tensor value, bool trainable = true);
  /// Adds a non-trainable scalar counter (Variable::counter), zero.
  void add_counter(std::string name);

 private:
  std::string class_name_;
  std::string name_;
  bool built_ = false;
  std::vector<Variable> variables_;
  uint64_t weights_version_ = 0;
};

/// The weights of the layers a container holds (a model's layers, a composite's tracked layers), layer by
/// layer; a weight is trainable only if its layer is too.
std::vector<Variable> held_weights(const std::vector<std::shared_ptr<LayerImpl>>& layers);
/// The sum of the layers' weights versions: changes whenever any of their weights does.
uint64_t held_weights_version(const std::vector<std::shared_ptr<LayerImpl>>& layers);
/// Releases every weight of the layers (LayerImpl::release_weights); returns the bytes freed.
size_t release_held_weights(const std::vector<std::shared_ptr<LayerImpl>>& layers,
                            const LayerImpl::ReleaseFn& release);
/// Splits `values` by layer and sets each layer's share, after checking the count and every shape, so that
/// a failure changes nothing. `prefix` names the container in messages.
void set_held_weights(const std::string& prefix, const std::vector<std::shared_ptr<LayerImpl>>& layers,
                      const std::vector<Tensor>& values);

/// A shape as Keras's configs write it: `[null, 32, 32, 3]`.
nlohmann::json shape_json(const Shape& shape);

/// Calls `layer` on `inputs`: checks shapes, builds the layer on its first call, adds a node, and gives its
/// outputs their masks (compute_masks). A failed call leaves the layer as it was. `mask` is Keras's `mask`
/// argument for a layer that takes one (empty: the first input's mask, when the call has one input).
std::vector<SymbolicTensor> call_layer(const std::shared_ptr<LayerImpl>& layer,
                                       const std::vector<SymbolicTensor>& inputs,
                                       const SymbolicTensor& mask = {});

/// Throws ShapeError starting with `prefix` unless the mask value `mask` has `dims`: with unknown steps the
/// shape rule could not compare them, a plan's concrete shapes can. `what` names the mask.
void expect_mask_dims(const ir::Graph& graph, ir::ValueId mask, const std::vector<int64_t>& dims,
                      const std::string& prefix, const char* what);

/// True when `node`'s mask argument is the one the call fills in by itself (its only argument's mask), so
/// generated C++ leaves it out.
bool automatic_mask_argument(const Node& node);

/// The first input's mask (or the call's mask argument) of `node`: Keras's `previous_mask`.
SymbolicTensor previous_mask(const Node& node);

/// Appends the op computing `activation` on `value` (softmax, or an element-wise one) and returns its output;
/// linear returns `value` itself. The op is attributed to `layer`.
ir::ValueId emit_activation(ir::Graph& graph, ir::ValueId value, const Activation& activation,
                            const std::string& layer);

/// Appends a reshape of `value` to `dims` (same element count) and returns its output, a view of the same
/// buffer that costs nothing at run time; returns `value` itself when the dims are unchanged.
ir::ValueId emit_reshape(ir::Graph& graph, ir::ValueId value, std::vector<int64_t> dims, const std::string& layer);

/// Appends a transpose of `value` (output axis i is input axis `perm[i]`) and returns its output, a oneDNN
/// reorder at run time; returns `value` itself for the identity.
ir::ValueId emit_transpose(ir::Graph& graph, ir::ValueId value, const std::vector<int>& perm,
                           const std::string& layer);

/// The permutation of a rank-`rank` value that moves `axes` (Keras's, negative counting from the end) to the
/// end in increasing order, the other axes keeping theirs; and its inverse. The layers that normalize over
/// (or keep statistics for) axes that are not the trailing ones run on values moved so.
struct AxesToEnd {
  std::vector<int> perm, inverse;
};
AxesToEnd axes_to_end(int rank, const std::vector<int>& axes);

/// Throws ShapeError, starting with `where`, unless every known dimension of `shape` after the batch is
/// positive and one sample has at most kMaxSampleElements elements. `what` names the shape ("output").
void check_shape_size(const std::string& where, const char* what, const Shape& shape);

/// `d` times `factor` (unknown stays unknown); throws ShapeError, starting with `where`, when the product
/// would exceed kMaxSampleElements.
Dim checked_times(const std::string& where, const Dim& d, int64_t factor);

/// Throws ShapeError unless `shape` has rank `rank`, naming the layer.
void expect_rank(const LayerImpl& layer, const Shape& shape, int rank);
/// The input's last (channel) dimension. Throws ShapeError when it is unknown, or when the layer is built
/// and it differs from `built_channels`.
int64_t expect_channels(const LayerImpl& layer, const Shape& shape, int64_t built_channels);
/// Throws ValueError unless exactly `count` inputs were given.
void expect_input_count(const LayerImpl& layer, const std::vector<Shape>& inputs, size_t count);

}  // namespace strata::detail
