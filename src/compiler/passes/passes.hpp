#pragma once
// The compiler passes, each defined in a file of its own name. compiler/pipeline.cpp runs them in order.

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {
class FunctionalImpl;
}

namespace strata::ir {

/// lower_layers.cpp: turns the model's nodes into IR ops for concrete input dimensions (batch included).
/// Guarantees: every op has concrete dims; ops are in an order that runs each after its inputs; a layer's
/// activation is a separate op (fusion is left to later passes).
Graph lower_layers(const detail::FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims);

/// fuse_activations.cpp: moves an activation op into the post-op chain of the conv before it when the conv's
/// result has no other reader and is not a model output. Guarantees the same numbers, one op fewer per fusion.
void fuse_activations(Graph& graph);

/// fuse_residual_adds.cpp: folds `add(a, b)` into the conv producing `b` as a `sum` post-op that writes in
/// place into `a`'s buffer, when that is legal: `b` is read only by the add, `a` is not a model input or
/// output, has the add's shape, and no op reads `a` after the add. The conv may move later in the op order
/// (to the add's place) so that `a` exists when it runs; that never breaks a dependency.
void fuse_residual_adds(Graph& graph);

/// plan_memory.cpp: gives every value a 64-byte-aligned offset in one arena, reusing the space of values
/// whose last reader has run. Values written in place share their target's buffer. Sets Graph::arena_bytes.
void plan_memory(Graph& graph);

}  // namespace strata::ir
