#pragma once
// The compiler: the ordered list of passes from a model to an IR program ready for a backend.

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"
#include "strata/compile_options.hpp"

namespace strata::detail {

class FunctionalImpl;

/// Lowers `model` for these input dimensions and runs the passes `options` select. With `dump_ir` (or
/// STRATA_DUMP_IR=1) prints the IR after each pass to stderr.
ir::Graph compile_program(const FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims,
                          const CompileOptions& options);

}  // namespace strata::detail
