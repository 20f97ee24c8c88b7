#pragma once
// One call of a layer as a model config records it: Keras's node, with its positional tensors and its
// keyword arguments, for LayerImpl::call_from_config when a model is loaded from a file.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strata/symbolic_tensor.hpp"

namespace strata::detail {

class LayerImpl;

/// One positional argument of a call: a tensor, a list of tensors (a merge layer's, Concatenate's), or a
/// value that is not a tensor (an operation's number: `x + 3.0` records args [x, 3.0]).
struct ConfigArgument {
  std::vector<SymbolicTensor> tensors;
  bool list = false;
  nlohmann::json value;  // when `tensors` is empty
};

struct ConfigCall {
  /// The tensors passed positionally, in order (a merge layer's list flattened).
  std::vector<SymbolicTensor> inputs;
  /// The positional arguments as given. Only operations take values that are not tensors; for a layer the
  /// reader refuses them.
  std::vector<ConfigArgument> arguments;
  /// Whether the node came in Keras 2's form (a list of [layer, node, tensor, kwargs], one per tensor).
  bool legacy = false;
  /// Keyword arguments that hold tensors (`initial_state`, MultiHeadAttention's `value`), each in order. A
  /// list with None in places (`mask=[None, value_mask]`) has an empty tensor in each such place.
  std::map<std::string, std::vector<SymbolicTensor>> tensor_kwargs;
  /// The other keyword arguments (an object), those whose value is null left out: Keras writes `mask: null`
  /// and `training: false` for calls that passed no mask or the default.
  nlohmann::json kwargs = nlohmann::json::object();
};

/// Throws ValueError naming `layer` for a keyword argument of `call` that is none of `tensor_keys` (holding
/// tensors) or `value_keys` (holding values); `training` is always accepted (strata runs inference), and so
/// is `mask` for a layer that takes one (config_mask reads it). A list of tensors with None in places (an
/// empty tensor in `tensor_kwargs`) is accepted only for `keys_with_nones` (Attention's `mask`).
void expect_config_kwargs(const LayerImpl& layer, const ConfigCall& call,
                          const std::vector<std::string>& tensor_keys,
                          const std::vector<std::string>& value_keys,
                          const std::vector<std::string>& keys_with_nones = {});

/// The call's keyword `mask` (one tensor), for a layer that takes one (LayerImpl::takes_mask), made canonical
/// against `own` (the mask the call would fill in; see canonical_mask); an empty handle when absent. Throws
/// ValueError naming `layer` for a list.
SymbolicTensor config_mask(const LayerImpl& layer, const ConfigCall& call, const SymbolicTensor& own);

/// A mask a model config passes (`given`: Keras 3 records the ops a layer's compute_mask made, such as
/// Embedding's not_equal, and the layers that took their result) against `own`, the mask the call would take
/// from its tensor, which loading made again: when both compute the same by the same ops, `own`, its
/// automatic ops taking the config's names, so that the loaded graph is the one calls build (and generated
/// C++ can leave the mask to the call); else `given`.
SymbolicTensor canonical_mask(const SymbolicTensor& given, const SymbolicTensor& own);

/// The call's first inputs: its positional tensors, or, when it has none, the tensors of the keyword `key`
/// (Keras 3 records `layer(inputs=x)` so). Throws ValueError naming `layer` when both are given.
std::vector<SymbolicTensor> leading_inputs(const LayerImpl& layer, const ConfigCall& call,
                                           const std::string& key);

/// The boolean keyword argument `key` of `call`, or `fallback` when absent. Throws ValueError naming `layer`
/// for a value that is not a boolean.
bool config_flag(const LayerImpl& layer, const ConfigCall& call, const std::string& key, bool fallback);

}  // namespace strata::detail
