#pragma once
// The oneDNN backend. Every oneDNN call in strata lives in this folder: Debian ships oneDNN 2.6, whose API
// differs from 3.x, and keeping it here keeps a future port to one place.

#include <memory>
#include <string>

#include "compiler/ir.hpp"
#include "runtime/executor.hpp"
#include "strata/compile_options.hpp"

namespace strata::detail {

/// Throws ValueError when `precision` cannot run natively on this CPU (bfloat16 without avx512_core_bf16).
void check_precision_support(const std::string& precision);

/// Whether the oneDNN backend should run convolution `op` as Winograd (the compiler's choose_layouts pass
/// asks): oneDNN has a Winograd kernel for it with its post-ops on this CPU, and its shape is one where
/// that was measured faster than the direct algorithm, layout conversions included.
bool onednn_prefers_winograd(const ir::Graph& graph, const ir::Op& op);

/// Whether the oneDNN backend runs direct convolution `op` well with kBlocked16 input and output (the
/// choose_layouts pass asks before keeping a chain of convolutions blocked): float32, and oneDNN has a
/// real (not ref:) kernel for it in that layout on this CPU.
bool onednn_runs_blocked(const ir::Graph& graph, const ir::Op& op);

/// Whether the oneDNN backend runs the 1x1 convolution `pointwise` and the 3x3 depthwise convolution reading
/// its result as one primitive (a depthwise post-op, in the kBlocked16 layout): oneDNN has a kernel for it on
/// this CPU with both ops' post-ops, the depthwise padding is the one oneDNN applies, and the 1x1 result is
/// large enough for the fusion to pay: 8 MiB or more, and at least twice the bytes converted to and from the
/// blocked layout (the compiler's fuse_depthwise pass asks). The environment
/// variable STRATA_DEPTHWISE_FUSION=always drops the size rule, =never fuses nothing.
bool onednn_fuses_depthwise(const ir::Graph& graph, const ir::Op& pointwise, const ir::Op& depthwise);

/// Creates every primitive for `graph` (after plan_memory) and reorders every weight, now. Throws
/// InternalError when oneDNN refuses a primitive the IR should allow.
std::unique_ptr<Executor> make_onednn_executor(const ir::Graph& graph, const CompileOptions& options);

}  // namespace strata::detail
