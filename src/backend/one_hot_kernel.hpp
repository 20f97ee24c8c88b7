#pragma once
// Runs a OneHotOp (Keras's CategoryEncoding) on raw buffers. Both backends use it: oneDNN 2.6 has no
// scatter or one-hot primitive, and the work is writing ones into zeroed rows. Its oracle is outside strata
// (Keras's encodings written from its source in the tfjs harness).

#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {

/// Writes the encoding of `ids` (dims `id_dims`, int32 or int64) to `dst`: for kOneHot a row of op.depth per
/// id, for kMultiHot and kCount a row of op.depth per row of the last axis. Checks every id first: one
/// outside [0, depth) throws ValueError starting with `op.where`, naming the value and its position, and
/// nothing outside the output is written.
void run_one_hot(const ir::OneHotOp& op, const std::vector<int64_t>& id_dims, ir::DataType id_type,
                 const void* ids, float* dst);

}  // namespace strata::detail
