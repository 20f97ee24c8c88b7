#pragma once
// What the oneDNN backend runs well, for the compiler's layout and fusion passes (defined in
// convolution.cpp, where the convolutions are made). No oneDNN types here.

#include "compiler/ir.hpp"

namespace strata::detail {

/// Whether the oneDNN backend should run convolution `op` as Winograd (the compiler's choose_layouts pass
/// asks): oneDNN has a Winograd kernel for it with its post-ops on this CPU, and its shape is one where
/// that was measured faster than the direct algorithm, layout conversions included.
bool onednn_prefers_winograd(const ir::Graph& graph, const ir::Op& op);

/// Whether the oneDNN backend runs direct convolution `op` well with kBlocked16 input and output (the
/// choose_layouts pass asks before keeping a chain of convolutions blocked): float32, and oneDNN has a
/// real (not ref:) kernel for it in that layout on this CPU.
bool onednn_runs_blocked(const ir::Graph& graph, const ir::Op& op);

/// Whether the oneDNN backend should run the strided 1x1 convolution `op` (ir::is_strided_pointwise) as a
/// subsampling and a unit-stride convolution (the compiler's subsample_strided_pointwise pass asks): float32,
/// and oneDNN has its jit_1x1 kernel for the unit-stride convolution with these post-ops on this CPU but not
/// for the strided one (oneDNN 2.6 takes jit_1x1 for a strided NHWC convolution only on even sizes).
bool onednn_prefers_subsampling(const ir::Graph& graph, const ir::Op& op);

/// Whether the oneDNN backend runs the 1x1 convolution `pointwise` and the 3x3 depthwise convolution reading
/// its result as one primitive (a depthwise post-op, in the kBlocked16 layout): oneDNN has a kernel for it on
/// this CPU with both ops' post-ops, the depthwise padding is the one oneDNN applies, and the 1x1 result is
/// large enough for the fusion to pay: 8 MiB or more, and at least twice the bytes converted to and from the
/// blocked layout (the compiler's fuse_depthwise pass asks). The environment
/// variable STRATA_DEPTHWISE_FUSION=always drops the size rule, =never fuses nothing.
bool onednn_fuses_depthwise(const ir::Graph& graph, const ir::Op& pointwise, const ir::Op& depthwise);

/// Whether the oneDNN backend runs `fused`, a convolution whose post-op chain now holds a binary op with a
/// broadcast operand, as one primitive in a plan for `threads` threads (the compiler's fuse_binary_operands
/// pass asks): on one thread only (where it measured faster), when the convolution would not run Winograd
/// without it, and oneDNN accepts the chain with a real (not ref:) kernel for it on this CPU.
bool onednn_fuses_binary(const ir::Graph& graph, const ir::Op& fused, int threads);

}  // namespace strata::detail
