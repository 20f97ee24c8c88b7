#include "layers/layer_impl.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/session.hpp"
#include "graph/node.hpp"
#include "layers/config_call.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"

namespace strata::detail {

namespace {

// A control character in a name would break the summary table, messages and every file format that names
// the layer; printed escaped so that the message shows where it is.
void expect_printable(const std::string& name, const std::string& class_name, const char* what) {
  std::string escaped;
  bool bad = false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      bad = true;
      escaped += fmt::format("\\x{:02x}", c);
    } else {
      escaped += static_cast<char>(c);
    }
  }
  if (bad) {
    throw ValueError(fmt::format("[{}] Expected a {} without control characters, received \"{}\"", class_name,
                                 what, escaped));
  }
}

}  // namespace

LayerImpl::LayerImpl(std::string class_name, const std::string& name)
    : class_name_(std::move(class_name)),
      name_(name.empty() ? unique_name(to_snake_case(class_name_)) : name) {
  expect_printable(class_name_, class_name_, "class name");
  expect_printable(name, class_name_, "layer name");
}

std::string LayerImpl::prefix() const { return fmt::format("[{} ({})]", name_, class_name_); }

void LayerImpl::build(const std::vector<Shape>&) {}

std::vector<DType> LayerImpl::compute_output_dtypes(const std::vector<DType>& inputs, size_t outputs) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == DType::kFloat32) continue;
    throw ValueError(
        fmt::format("{} Expected float32 inputs, received {} for input {}: the layer computes in "
                    "float32; convert with ops::cast(x, \"float32\") first (or read the values in a "
                    "custom layer)",
                    prefix(), dtype_name(inputs[i]), i));
  }
  return std::vector<DType>(outputs, DType::kFloat32);
}

std::optional<ir::SpatialPadding> LayerImpl::static_padding(const std::vector<Shape>&) const {
  return std::nullopt;
}

nlohmann::json LayerImpl::call_entries(const Node&,
                                       const std::function<nlohmann::json(const SymbolicTensor&)>&) const {
  return nullptr;
}

std::vector<SymbolicTensor> LayerImpl::call_from_config(const std::shared_ptr<LayerImpl>& self,
                                                        const ConfigCall& call) {
  expect_config_kwargs(*this, call, {"inputs"}, {});
  const std::vector<SymbolicTensor> inputs = leading_inputs(*this, call, "inputs");
  return call_layer(self, inputs,
                    config_mask(*this, call, inputs.size() == 1 ? inputs[0].mask() : SymbolicTensor()));
}

SymbolicTensor config_mask(const LayerImpl& layer, const ConfigCall& call, const SymbolicTensor& own) {
  const auto it = call.tensor_kwargs.find("mask");
  if (it == call.tensor_kwargs.end()) return {};
  if (it->second.size() != 1 || !it->second.front()) {
    throw ValueError(fmt::format("{} Expected the keyword argument 'mask' to be one tensor, received {}",
                                 layer.prefix(), it->second.size()));
  }
  return canonical_mask(it->second.front(), own);
}

namespace {

// Whether `a` and `b` compute the same values by the same ops: the same tensor, or outputs of one kind of op
// with the same arguments and numbers on inputs that are so too.
bool same_computation(const SymbolicTensor& a, const SymbolicTensor& b) {
  if (a == b) return true;
  const auto* x = dynamic_cast<const OpLayer*>(a.node()->layer.get());
  const auto* y = dynamic_cast<const OpLayer*>(b.node()->layer.get());
  if (x == nullptr || y == nullptr || a.index() != b.index() || x->class_name() != y->class_name() ||
      x->module() != y->module() || x->config() != y->config() || x->call_numbers() != y->call_numbers())
    return false;
  const auto& ia = a.node()->inputs;
  const auto& ib = b.node()->inputs;
  if (ia.size() != ib.size()) return false;
  for (size_t i = 0; i < ia.size(); ++i) {
    if (!same_computation(ia[i], ib[i])) return false;
  }
  return true;
}

// Whether the automatic ops behind `own` are free to take the names of the ops behind `given`: none already
// took another config op's name (a config may hold two ops of one computation, one of them a user's).
bool can_take_names(const SymbolicTensor& own, const SymbolicTensor& given) {
  if (own == given || !own.node()->automatic_mask) return true;
  if (own.node()->claimed_by_config && own.node()->layer->name() != given.node()->layer->name()) return false;
  for (size_t i = 0; i < own.node()->inputs.size(); ++i) {
    if (!can_take_names(own.node()->inputs[i], given.node()->inputs[i])) return false;
  }
  return true;
}

// Gives the automatic ops behind `own` the names of the ops behind `given` (same_computation holds).
void take_names(const SymbolicTensor& own, const SymbolicTensor& given) {
  if (own == given || !own.node()->automatic_mask) return;
  own.node()->layer->rename(given.node()->layer->name());
  own.node()->claimed_by_config = true;
  given.node()->canonical_twin = own.node();
  for (size_t i = 0; i < own.node()->inputs.size(); ++i)
    take_names(own.node()->inputs[i], given.node()->inputs[i]);
}

}  // namespace

SymbolicTensor canonical_mask(const SymbolicTensor& given, const SymbolicTensor& own) {
  if (!given || !own || !same_computation(given, own) || !can_take_names(own, given)) return given;
  take_names(own, given);
  return own;
}

std::vector<SymbolicTensor> leading_inputs(const LayerImpl& layer, const ConfigCall& call,
                                           const std::string& key) {
  const auto it = call.tensor_kwargs.find(key);
  if (it == call.tensor_kwargs.end()) return call.inputs;
  if (!call.inputs.empty()) {
    throw ValueError(fmt::format("{} The call passes '{}' both positionally and as a keyword argument",
                                 layer.prefix(), key));
  }
  return it->second;
}

void expect_config_kwargs(const LayerImpl& layer, const ConfigCall& call,
                          const std::vector<std::string>& tensor_keys,
                          const std::vector<std::string>& value_keys,
                          const std::vector<std::string>& keys_with_nones) {
  const auto takes = [](const std::vector<std::string>& keys, const std::string& key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  for (const auto& [key, tensors] : call.tensor_kwargs) {
    if (takes(tensor_keys, key)) {
      const bool none = std::any_of(tensors.begin(), tensors.end(), [](const auto& t) { return !t; });
      if (none && !takes(keys_with_nones, key)) {
        throw ValueError(
            fmt::format("{} The call passes None among the tensors of '{}'; this layer takes "
                        "tensors only there",
                        layer.prefix(), key));
      }
      continue;
    }
    if (key == "mask" && layer.takes_mask()) continue;
    if (key == "mask" || key.ends_with("_mask")) {
      throw ValueError(
          fmt::format("{} The call passes a mask ('{}': {} tensor(s)), which this layer does not "
                      "take",
                      layer.prefix(), key, tensors.size()));
    }
    throw ValueError(
        fmt::format("{} The call passes the tensor keyword argument '{}', which this layer does not "
                    "take{}",
                    layer.prefix(), key,
                    tensor_keys.empty() ? "" : fmt::format(" (it takes {})", fmt::join(tensor_keys, ", "))));
  }
  for (const auto& [key, value] : call.kwargs.items()) {
    if (key == "training" || takes(value_keys, key)) continue;
    throw ValueError(
        fmt::format("{} The call passes the keyword argument '{}' = {}, which this layer does not "
                    "take{}",
                    layer.prefix(), key, value.dump(),
                    value_keys.empty() ? "" : fmt::format(" (it takes {})", fmt::join(value_keys, ", "))));
  }
}

bool config_flag(const LayerImpl& layer, const ConfigCall& call, const std::string& key, bool fallback) {
  if (!call.kwargs.contains(key)) return fallback;
  const nlohmann::json& value = call.kwargs[key];
  if (!value.is_boolean()) {
    throw ValueError(fmt::format("{} Expected the keyword argument '{}' to be true or false, received {}",
                                 layer.prefix(), key, value.dump()));
  }
  return value.get<bool>();
}

nlohmann::json LayerImpl::keras3_call(const Node& node,
                                      const std::function<nlohmann::json(const SymbolicTensor&)>& ref) const {
  nlohmann::json args = nlohmann::json::array();
  const std::vector<SymbolicTensor> arguments = node.arguments();
  for (const SymbolicTensor& t : arguments) args.push_back(ref(t));
  if (arguments.size() > 1) args = nlohmann::json::array({args});
  nlohmann::json kwargs = nlohmann::json::object();
  if (node.mask_input) kwargs["mask"] = ref(node.inputs.back());
  return {{"args", args}, {"kwargs", kwargs}};
}

void expect_mask_dims(const ir::Graph& graph, ir::ValueId mask, const std::vector<int64_t>& dims,
                      const std::string& prefix, const char* what) {
  const std::vector<int64_t>& got = graph.values[mask].dims;
  if (got == dims) return;
  const auto text = [](const std::vector<int64_t>& d) { return fmt::format("({})", fmt::join(d, ", ")); };
  throw ShapeError(
      fmt::format("{} Expected a {} of shape {}, received {}", prefix, what, text(dims), text(got)));
}

bool automatic_mask_argument(const Node& node) {
  const std::vector<SymbolicTensor> arguments = node.arguments();
  return node.mask_input && arguments.size() == 1 && arguments.front().mask() == node.inputs.back();
}

std::string LayerImpl::cpp_call(const Node& node, const std::string& callee,
                                const std::vector<std::string>& inputs) const {
  const std::string call = node.output_shapes.size() > 1 ? callee + ".call_all" : callee;
  // A mask the call fills in itself is left out; another one goes through call_masked.
  std::vector<std::string> arguments = inputs;
  if (node.mask_input) {
    arguments.pop_back();
    if (!automatic_mask_argument(node)) {
      return fmt::format("{}.call_masked({{{}}}, {}){}", callee, fmt::join(arguments, ", "), inputs.back(),
                         node.output_shapes.size() == 1 ? ".front()" : "");
    }
  }
  if (arguments.size() == 1) return fmt::format("{}({})", call, arguments[0]);
  return fmt::format("{}({{{}}})", call, fmt::join(arguments, ", "));
}

nlohmann::json LayerImpl::keras3_build_config(const Node& node) const {
  nlohmann::json shapes = nlohmann::json::array();
  const std::vector<SymbolicTensor> arguments = node.arguments();
  for (const SymbolicTensor& t : arguments) shapes.push_back(shape_json(t.shape()));
  return {{"input_shape", arguments.size() == 1 ? shapes[0] : shapes}};
}

nlohmann::json shape_json(const Shape& shape) {
  nlohmann::json out = nlohmann::json::array();
  for (const Dim& d : shape.dims()) out.push_back(d ? nlohmann::json(*d) : nlohmann::json());
  return out;
}

int64_t LayerImpl::macs(const Node&) const { return 0; }

std::string LayerImpl::cpp_constructor() const {
  throw ValueError(fmt::format("{} has no C++ constructor: it is not a built-in layer", prefix()));
}

Variable::Variable(std::string name_, std::shared_ptr<const Tensor> value, bool trainable_)
    : name(std::move(name_)), trainable(trainable_), value_(std::move(value)) {}

const std::vector<int64_t>& Variable::dims() const {
  return released_ ? released_->dims() : value_->dims();
}

std::shared_ptr<const Tensor> Variable::tensor() const {
  return released_ ? released_->materialize() : value_;
}

void Variable::release(std::shared_ptr<const ReleasedWeight> record) {
  released_ = std::move(record);
  value_.reset();
}

void Variable::assign(std::shared_ptr<const Tensor> value) {
  value_ = std::move(value);
  released_.reset();
}

void LayerImpl::add_variable(std::string name, Tensor value, bool is_trainable) {
  variables_.emplace_back(std::move(name), std::make_shared<const Tensor>(std::move(value)), is_trainable);
}

void LayerImpl::add_counter(std::string name) {
  add_variable(std::move(name), Tensor::zeros({}), false);
  variables_.back().counter = true;
}

size_t LayerImpl::release_weights(const ReleaseFn& release) {
  size_t freed = 0;
  for (Variable& v : variables_) {
    if (v.released()) continue;
    const std::shared_ptr<const Tensor> value = v.tensor();
    std::shared_ptr<const ReleasedWeight> record = release(value);
    if (!record) continue;
    const size_t bytes = static_cast<size_t>(value->size()) * sizeof(float);
    freed += bytes > record->overhead_bytes() ? bytes - record->overhead_bytes() : 0;
    v.release(std::move(record));
  }
  return freed;
}

std::vector<Variable> held_weights(const std::vector<std::shared_ptr<LayerImpl>>& layers) {
  std::vector<Variable> all;
  for (const auto& layer : layers) {
    for (Variable v : layer->weights()) {
      v.trainable = v.trainable && layer->trainable;
      all.push_back(std::move(v));
    }
  }
  return all;
}

uint64_t held_weights_version(const std::vector<std::shared_ptr<LayerImpl>>& layers) {
  uint64_t v = 0;
  for (const auto& layer : layers) v += layer->weights_version();
  return v;
}

size_t release_held_weights(const std::vector<std::shared_ptr<LayerImpl>>& layers,
                            const LayerImpl::ReleaseFn& release) {
  size_t freed = 0;
  for (const auto& layer : layers) freed += layer->release_weights(release);
  return freed;
}

void set_held_weights(const std::string& prefix, const std::vector<std::shared_ptr<LayerImpl>>& layers,
                      const std::vector<Tensor>& values) {
  size_t expected = 0;
  for (const auto& layer : layers) expected += layer->weights().size();
  if (values.size() != expected) {
    throw ValueError(fmt::format("{} set_weights: expected {} weight tensors, received {}", prefix, expected,
                                 values.size()));
  }
  size_t at = 0;
  for (const auto& layer : layers) {
    for (const Variable& v : layer->weights()) {
      if (values[at].dims() != v.dims()) {
        throw ValueError(fmt::format(
            "{} set_weights: weight {} of layer '{}' ('{}') expected shape {}, received {}", prefix, at,
            layer->name(), v.name, to_shape(v.dims()).to_string(), values[at].shape().to_string()));
      }
      ++at;
    }
  }
  at = 0;
  for (const auto& layer : layers) {
    const size_t n = layer->weights().size();
    if (n == 0) continue;
    const auto first = values.begin() + static_cast<std::ptrdiff_t>(at);
    layer->set_weights(std::vector<Tensor>(first, first + static_cast<std::ptrdiff_t>(n)));
    at += n;
  }
}

void LayerImpl::set_variable_values(const std::vector<Tensor>& values) {
  if (values.size() != variables_.size()) {
    throw ValueError(fmt::format("{} set_weights: expected {} weight tensors, received {}", prefix(),
                                 variables_.size(), values.size()));
  }
  // Check everything before changing anything, so a failed call leaves the old weights in place.
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dims() != variables_[i].dims()) {
      throw ValueError(fmt::format(
          "{} set_weights: weight {} ('{}') expected shape {}, received {}", prefix(), i, variables_[i].name,
          to_shape(variables_[i].dims()).to_string(), values[i].shape().to_string()));
    }
    if (values[i].dtype() != DType::kFloat32) {
      throw ValueError(fmt::format("{} set_weights: weight {} ('{}') expected float32 values, received {}",
                                   prefix(), i, variables_[i].name, dtype_name(values[i].dtype())));
    }
  }
  for (size_t i = 0; i < values.size(); ++i) variables_[i].assign(std::make_shared<const Tensor>(values[i]));
  ++weights_version_;
}

ir::ValueId emit_activation(ir::Graph& graph, ir::ValueId value, const Activation& activation,
                            const std::string& layer) {
  if (activation.kind == ActivationKind::kLinear) return value;
  const std::vector<int64_t> dims = graph.values[value].dims;
  const ir::ValueId out = graph.add_value(dims, layer + "." + activation_name(activation));
  if (is_softmax(activation.kind)) {
    const ir::SoftmaxOp softmax{-1, activation.kind == ActivationKind::kLogSoftmax};
    graph.ops.push_back(ir::Op{softmax, {value}, {out}, {}, {layer}});
  } else {
    graph.ops.push_back(ir::Op{ir::ActivationOp{activation}, {value}, {out}, {}, {layer}});
  }
  return out;
}

ir::ValueId emit_reshape(ir::Graph& graph, ir::ValueId value, std::vector<int64_t> dims, const std::string& layer) {
  if (graph.values[value].dims == dims) return value;
  const ir::DataType type = graph.values[value].dtype;
  const ir::ValueId out = graph.add_value(std::move(dims), layer);
  graph.values[out].dtype = type;
  graph.values[out].in_place_of = value;
  graph.ops.push_back(ir::Op{ir::ReshapeOp{}, {value}, {out}, {}, {layer}});
  return out;
}

ir::ValueId emit_transpose(ir::Graph& graph, ir::ValueId value, const std::vector<int>& perm,
                           const std::string& layer) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int>(i);
  if (identity) return value;
  const std::vector<int64_t> in = graph.values[value].dims;
  std::vector<int64_t> dims;
  for (int axis : perm) dims.push_back(in[static_cast<size_t>(axis)]);
  const ir::DataType type = graph.values[value].dtype;
  const ir::ValueId out = graph.add_value(std::move(dims), layer);
  graph.values[out].dtype = type;
  graph.ops.push_back(ir::Op{ir::TransposeOp{perm}, {value}, {out}, {}, {layer}});
  return out;
}

AxesToEnd axes_to_end(int rank, const std::vector<int>& axes) {
  std::vector<int> moved;
  for (int a : axes) moved.push_back(a < 0 ? a + rank : a);
  std::sort(moved.begin(), moved.end());
  AxesToEnd out;
  for (int d = 0; d < rank; ++d) {
    if (std::find(moved.begin(), moved.end(), d) == moved.end()) out.perm.push_back(d);
  }
  out.perm.insert(out.perm.end(), moved.begin(), moved.end());
  out.inverse.resize(out.perm.size());
  for (size_t i = 0; i < out.perm.size(); ++i)
    out.inverse[static_cast<size_t>(out.perm[i])] = static_cast<int>(i);
  return out;
}

void check_shape_size(const std::string& where, const char* what, const Shape& shape) {
  int64_t elements = 1;
  for (int d = 1; d < shape.rank(); ++d) {
    if (!shape[d]) continue;
    if (*shape[d] <= 0 || *shape[d] > kMaxSampleElements / elements) {
      throw ShapeError(
          fmt::format("{} Expected an {} shape with positive dimensions and at most 2^40 elements per "
                      "sample, received {}",
                      where, what, shape.to_string()));
    }
    elements *= *shape[d];
  }
}

Dim checked_times(const std::string& where, const Dim& d, int64_t factor) {
  if (!d) return None;
  if (factor > 0 && *d > kMaxSampleElements / factor) {
    throw ShapeError(
        fmt::format("{} A dimension of {} times {} is more than 2^40 elements", where, *d, factor));
  }
  return *d * factor;
}

void expect_rank(const LayerImpl& layer, const Shape& shape, int rank) {
  if (shape.rank() != rank) {
    throw ShapeError(fmt::format("{} Expected an input of rank {} (batch included), received shape {} of rank {}",
                                 layer.prefix(), rank, shape.to_string(), shape.rank()));
  }
}

int64_t expect_channels(const LayerImpl& layer, const Shape& shape, int64_t built_channels) {
  const Dim& channels = shape[-1];
  if (!channels) {
    throw ShapeError(fmt::format("{} The last (channel) dimension of the input must be known, received shape {}",
                                 layer.prefix(), shape.to_string()));
  }
  if (layer.built() && *channels != built_channels) {
    throw ShapeError(fmt::format("{} Expected axis -1 of the input to have value {} (the layer was built for it), "
                                 "received input shape {}",
                                 layer.prefix(), built_channels, shape.to_string()));
  }
  return *channels;
}

void expect_input_count(const LayerImpl& layer, const std::vector<Shape>& inputs, size_t count) {
  if (inputs.size() != count) {
    throw ValueError(fmt::format("{} Expected {} input{}, received {}", layer.prefix(), count,
                                 count == 1 ? "" : "s", inputs.size()));
  }
}

}  // namespace strata::detail
