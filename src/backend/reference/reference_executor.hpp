#pragma once
// The reference backend: runs an IR program with the naive kernels, one buffer per value.

#include <memory>

#include "compiler/ir.hpp"
#include "runtime/executor.hpp"

namespace strata::detail {

std::unique_ptr<Executor> make_reference_executor(const ir::Graph& graph);

}  // namespace strata::detail
