#pragma once
// What oneDNN 2.6 accepts as a fused post-op chain, for the compiler's fusion passes. No oneDNN types here,
// so the compiler can ask without including oneDNN.

#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {

/// True when oneDNN computes `chain` correctly as post-ops. oneDNN 2.6's JIT post-op injectors give wrong
/// results when one eltwise algorithm appears twice in a chain (measured: relu6 before a sum and clip after
/// it, hard_sigmoid after an Average's scale; errors up to 0.6), so each algorithm may appear once, counted
/// afresh after a fused depthwise convolution (whose kernel runs the post-ops after it). A chain has at most
/// one depthwise convolution and then no sum, and at most one binary post-op and then neither.
bool onednn_accepts_post_ops(const std::vector<ir::PostOp>& chain);

}  // namespace strata::detail
