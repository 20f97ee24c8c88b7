#pragma once
// Runs a GatherOp (Keras's Embedding lookup) on raw buffers. Both backends use it: oneDNN 2.6 has no gather
// primitive, and a lookup is a copy of rows. Its oracle is outside strata (tfjs-layers' Embedding).

#include <vector>

#include "compiler/ir.hpp"

namespace strata::detail {

/// Writes the table's row for each id (dims `id_dims`, type int32 or int64) to `dst`, rows in the ids'
/// order, on the calling thread's OpenMP team for large outputs. Checks every id first: one outside
/// [-rows, rows) throws ValueError starting with `op.where`, naming the id and its position, and nothing
/// outside the table is read.
void run_gather(const ir::GatherOp& op, const std::vector<int64_t>& id_dims, ir::DataType id_type,
                const void* ids, float* dst);

}  // namespace strata::detail
