#pragma once
// Keras 3's operations read back from a model config: an entry of module keras.src.ops.* (`x + 3.0` is an
// `Add` of keras.src.ops.numpy) becomes the strata::ops call that makes the same op, named as the config
// names it.

#include <string>

#include <nlohmann/json.hpp>

#include "layers/config_call.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata::detail {

/// Whether `module` is one of Keras's operation modules (keras.src.ops.numpy, .nn, .math, .core...).
bool is_op_module(const std::string& module);

/// Makes the call `call` of the operation `class_name` of `module`, whose constructor arguments are
/// `config` (with its `name`), through strata::ops. Arguments are read positionally as Keras 3 records them,
/// or by Keras's parameter names from the keyword arguments (strata's Keras 2 form writes numbers so).
/// Throws ValueError naming the class for an operation strata does not have, a missing or wrongly typed
/// argument, and whatever the ops function throws.
SymbolicTensor op_from_config(const std::string& class_name, const std::string& module,
                              const nlohmann::json& config, const ConfigCall& call);

}  // namespace strata::detail
