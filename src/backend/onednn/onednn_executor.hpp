#pragma once
// The oneDNN backend. Every oneDNN call in strata lives in this folder: Debian ships oneDNN 2.6, whose API
// differs from 3.x, and keeping it here keeps a future port to one place.

#include <memory>
#include <string>

#include "compiler/ir.hpp"
#include "compiler/pipeline.hpp"
#include "runtime/executor.hpp"
#include "strata/compile_options.hpp"

namespace strata::detail {

/// Throws ValueError when `precision` cannot run natively on this CPU (bfloat16 without avx512_core_bf16).
void check_precision_support(const std::string& precision);

/// What oneDNN 2.6 runs well on this CPU, for the compiler's fusion and layout passes (post_op_rules.hpp,
/// convolution_rules.hpp).
BackendRules onednn_rules();

/// Creates every primitive for `graph` (after plan_memory) and reorders every weight, now. Throws
/// InternalError when oneDNN refuses a primitive the IR should allow.
std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options);

}  // namespace strata::detail
