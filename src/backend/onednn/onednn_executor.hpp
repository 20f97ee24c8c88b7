#pragma once
// The oneDNN backend. Every oneDNN call in strata lives in this folder: Debian ships oneDNN 2.6, whose API
// differs from 3.x, and keeping it here keeps a future port to one place.

#include <memory>

#include "compiler/ir.hpp"
#include "runtime/executor.hpp"
#include "strata/compile_options.hpp"

namespace strata::detail {

/// Creates every primitive for `graph` (after plan_memory) and reorders every weight, now. Throws
/// InternalError when oneDNN refuses a primitive the IR should allow.
std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options);

}  // namespace strata::detail
