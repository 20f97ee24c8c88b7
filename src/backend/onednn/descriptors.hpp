#pragma once
// How IR values and ops become oneDNN 2.6 memory descriptors and primitive attributes, shared by every
// primitive family of the backend.

#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "compiler/ir.hpp"

namespace strata::onednn {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

/// oneDNN's element type for an IR data type.
memory::data_type data_type_of(ir::DataType type);

/// The most dimensions a oneDNN descriptor has (DNNL_MAX_NDIMS), so the most a value of a plan may have.
constexpr size_t kMaxRank = 12;

/// `value` row-major in Keras's axis order, whatever its rank: the same bytes as value_desc's plain layouts,
/// for primitives that take any axis order as long as src and dst agree (reduction, matmul).
memory::desc row_major_desc(const ir::Value& value);
/// The same for any dims: a view of a value's bytes with other dims (PReLU's merged axes).
memory::desc row_major_desc(const std::vector<int64_t>& dims, ir::DataType type);

/// The descriptor of a dense tensor with Keras's dims: oneDNN orders image dims logically as (N, C, H, W),
/// so Keras's (N, H, W, C) is its `nhwc` layout (or `nChw16c` for kBlocked16); every rank the same way,
/// Keras's last axis second. Ranks 1 to kMaxRank.
memory::desc value_desc(const std::vector<int64_t>& keras_dims, ir::DataType type = ir::DataType::kFloat32,
                        ir::Layout layout = ir::Layout::kPlain);

/// The descriptor of value `v` of `graph`, with its dims, type and layout.
memory::desc value_desc(const ir::Graph& graph, ir::ValueId v);

/// Per-axis window values as oneDNN dims, each plus `delta` (oneDNN counts a dilation's gaps: Keras's step
/// minus 1).
memory::dims window_dims(const std::vector<int>& per_axis, int delta = 0);

/// Keras dims padded with leading 1s to `rank`, for broadcasting operands.
std::vector<int64_t> padded(std::vector<int64_t> dims, size_t rank);

/// oneDNN's own format string ("acdb", "ABcd16b16a"; "nhwc", "nChw16c" for the common ones), for plan
/// reports.
std::string layout_name(const memory::desc& md);

/// oneDNN's binary algorithm for a binary kind (kPower has none: InternalError).
dnnl::algorithm binary_algorithm(ir::BinaryOp::Kind kind);

/// The op's post-op chain, and a user scratchpad (so that primitives are not tied to the thread that made
/// them). `type`: the op's data type, which a fused depthwise convolution computes in too. A chain with a
/// binary post-op needs `graph`, for its operand's descriptor.
dnnl::primitive_attr attributes(const ir::Op& op, ir::DataType type = ir::DataType::kFloat32,
                                const ir::Graph* graph = nullptr);

/// The second operand of a binary post-op, as a primitive's execution argument.
struct PostOpOperand {
  int arg;  ///< DNNL_ARG_ATTR_MULTIPLE_POST_OP(index in oneDNN's chain) | DNNL_ARG_SRC_1
  ir::ValueId value;
  memory::desc desc;  ///< the value's bytes with the op's output rank (leading 1s added)
};
/// The binary post-ops' operands of `op`, in chain order.
std::vector<PostOpOperand> post_op_operands(const ir::Graph& graph, const ir::Op& op);

}  // namespace strata::onednn
