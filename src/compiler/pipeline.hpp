#pragma once
// The compiler: the ordered list of passes from a model to an IR program ready for a backend.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"
#include "compiler/passes/passes.hpp"
#include "strata/compile_options.hpp"

namespace strata::detail {

class FunctionalImpl;

/// What the backend that will run the program can do, asked by the fusion and layout passes. The compiler
/// includes no backend header: the runtime passes the backend's rules (onednn_rules()).
struct BackendRules {
  ir::PostOpCheck accepts_post_ops;          ///< fuse_activations, fuse_residual_adds
  ir::DepthwiseFusionCheck fuses_depthwise;  ///< fuse_depthwise
  ir::BinaryFusionCheck fuses_binary;        ///< fuse_binary_operands
  ir::WinogradCheck prefers_winograd;        ///< choose_layouts
  ir::BlockedCheck runs_blocked;             ///< choose_layouts
  ir::SubsampleCheck prefers_subsampling;    ///< subsample_strided_pointwise
  /// The most dimensions a value may have (a batch and any others); compile_program refuses more.
  size_t max_rank = SIZE_MAX;
};

/// Lowers `model` for these input dimensions and runs the passes `options` select, asking `rules` (unused
/// for the reference backend, which runs the lowered program as it is). With `dump_ir` (or
/// STRATA_DUMP_IR=1) prints the IR after each pass to stderr.
ir::Graph compile_program(const FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims,
                          const CompileOptions& options, const BackendRules& rules);

}  // namespace strata::detail
