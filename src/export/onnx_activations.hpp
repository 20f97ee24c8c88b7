#pragma once
// Keras's activations as ONNX nodes.

#include <string>

#include "core/activation.hpp"
#include "export/onnx_graph.hpp"

namespace strata::detail {

/// Emits `a(x)` into tensor `out` of `g`; the nodes are named after `name`. Softmax is an op of its own
/// in the IR, never an element-wise activation: InternalError if one arrives here.
void emit_onnx_activation(OnnxGraph& g, const Activation& a, const std::string& x, const std::string& out,
                          const std::string& name);

}  // namespace strata::detail
