#pragma once
// The compiler passes, each defined in a file of its own name. compiler/pipeline.cpp runs them in order.

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"

#include <functional>

namespace strata::detail {
class FunctionalImpl;
}

namespace strata::ir {

/// lower_layers.cpp: turns the model's nodes into IR ops for concrete input dimensions (batch included).
/// Guarantees: every op has concrete dims; ops are in an order that runs each after its inputs; a layer's
/// activation is a separate op (fusion is left to later passes).
Graph lower_layers(const detail::FunctionalImpl& model, const std::vector<std::vector<int64_t>>& input_dims);

/// transposed_as_conv.cpp: turns each transposed convolution of stride 1 on every axis into the convolution
/// it equals (the kernel flipped along its spatial axes, its channel axes swapped; padding d*(k-1) minus the
/// transposed padding on each side), so that batch-norm folding, post-op fusion and Winograd apply to it.
/// Guarantees the same numbers up to float32 rounding.
void transposed_as_conv(Graph& graph);

/// fold_batch_norm.cpp: folds a batch normalization into the convolution or dense op before it (W' = W*s,
/// b' = (b - mean)*s + beta with s = gamma / sqrt(var + eps)) when that op's result has no other reader and
/// no post-ops yet. The op keeps the layer's kernel W and gets `kernel_scale` s (times any scale folded
/// before) and the new bias; no scaled copy of W is made here. Guarantees the same numbers up to float32
/// rounding, one op fewer per fold.
void fold_batch_norm(Graph& graph);

/// fold_zero_padding.cpp: folds a zero padding into the padding of the convolutions that are its only
/// readers (Keras's ResNet50 conv1_pad before conv1_conv), or into the max poolings that are its only readers
/// when the padded values are non-negative (pool1_pad before pool1_pool, after a relu). Guarantees the same
/// numbers.
void fold_zero_padding(Graph& graph);

/// merge_duplicate_ops.cpp: of two element-wise activations, or two poolings, with the same attributes
/// reading the same value into values of the same dims and type (and no post-ops), keeps the first and makes
/// the second's readers, and the values viewing its buffer, use its result (NASNet's cells apply one relu to
/// a tensor once per separable branch, up to three times, and pool one tensor twice alike). A model output
/// is never merged away. Guarantees the same numbers, one op fewer per merge; the kept op lists both ops'
/// layers.
void merge_duplicate_ops(Graph& graph);

/// Whether a backend computes a post-op chain correctly; fusion passes never build a chain it refuses.
using PostOpCheck = std::function<bool(const std::vector<PostOp>&)>;

/// fuse_activations.cpp: moves a standard element-wise activation into the post-op chain of the conv, dense or
/// binary op before it when that op's result has no other reader and is not a model output. Guarantees the same numbers, one op fewer per fusion.
void fuse_activations(Graph& graph, const PostOpCheck& accepts);

/// Whether a backend computes this 1x1 convolution with the 3x3 depthwise convolution reading its result as
/// one fused step, post-ops of both included, with the depthwise convolution's padding.
using DepthwiseFusionCheck = std::function<bool(const Graph&, const Op& pointwise, const Op& depthwise)>;

/// fuse_depthwise.cpp: folds a 3x3 depthwise convolution into the 1x1 convolution (stride 1, no padding)
/// whose result only it reads, as a depthwise post-op after the 1x1's own post-ops and before its own
/// (MobileNetV2's expand -> depthwise): the expanded activations are never written to memory. Guarantees the
/// same numbers up to float32 rounding, one op fewer per fusion.
void fuse_depthwise(Graph& graph, const DepthwiseFusionCheck& accepts);

/// fuse_residual_adds.cpp: folds `add(a, b)` into the conv (or Dense on an image, which the oneDNN backend
/// runs as a 1x1 convolution) producing `b` as a `sum` post-op that writes in place into `a`'s buffer, when
/// that is legal: `b` is read only by the add, `a` is not a model input or
/// output, has the add's shape, and no op reads `a` after the add. The conv may move later in the op order
/// (to the add's place) so that `a` exists when it runs; that never breaks a dependency.
void fuse_residual_adds(Graph& graph, const PostOpCheck& accepts);

/// Whether a backend computes `fused`, an op whose post-op chain holds a binary post-op (then the binary
/// op's own post-ops), as one step faster than two, in a plan for `threads` threads (0: OpenMP's default).
using BinaryFusionCheck = std::function<bool(const Graph&, const Op& fused, int threads)>;
/// fuse_binary_operands.cpp: folds a binary op (add, subtract, multiply, divide, maximum, minimum) whose
/// first operand is a convolution's result with no other reader, and whose other operand is one value or
/// one per channel (Keras dims all 1 but the last, which is the channel count, or of lower rank), into that
/// convolution as a binary post-op, with the binary op's own post-ops after it (add and multiply, maximum
/// and minimum take either operand as the full one). The convolution moves to the binary op's place when the
/// operand is computed after it, unless an in-place writer between them would clobber its inputs.
/// Guarantees the same numbers up to float32 rounding, one op fewer per fusion.
void fuse_binary_operands(Graph& graph, int threads, const PostOpCheck& accepts,
                          const BinaryFusionCheck& fuses);
/// choose_precision.cpp: for precision bfloat16, makes the values produced by ops oneDNN runs natively in
/// bfloat16 (convolutions, dense, pooling, binary, standard activations, softmax, batch norm, concat) and of
/// the byte-copying steps (pad, crop, upsample) bfloat16,
/// keeps model inputs and outputs and plain C++ steps float32, and inserts a convert op wherever a value's
/// type differs from what its reader takes. Guarantees: every op reads the types it runs in; outputs are float32.
void choose_precision(Graph& graph);

/// Whether `op` is a 1x1 convolution over two spatial axes with a stride above 1, no padding, no groups and
/// no fused depthwise convolution, reading a value in the plain layout: what subsample_strided_pointwise
/// may rewrite.
bool is_strided_pointwise(const Graph& graph, const Op& op);

/// Whether a backend runs this strided 1x1 convolution (is_strided_pointwise), with its post-ops, faster as a
/// subsampling of its input and the same convolution with unit strides.
using SubsampleCheck = std::function<bool(const Graph&, const Op&)>;

/// subsample_strided_pointwise.cpp: turns each strided 1x1 convolution (is_strided_pointwise) that `prefers`
/// picks into a subsampling of its input, a 1x1 max pooling with the convolution's strides, which copies the
/// cells the convolution reads, and the same convolution, post-ops included, with unit strides on the copy.
/// Guarantees the same numbers, one op more per rewrite.
void subsample_strided_pointwise(Graph& graph, const SubsampleCheck& prefers);

/// Whether a backend should run this convolution, with its post-ops, as a Winograd convolution: it can, and
/// it measured faster there, layout conversions included.
using WinogradCheck = std::function<bool(const Graph&, const Op&)>;

/// Whether a backend runs this direct convolution well with kBlocked16 input and output.
using BlockedCheck = std::function<bool(const Graph&, const Op&)>;

/// choose_layouts.cpp: gives convolutions kBlocked16 inputs and outputs where that pays: those
/// `prefers_winograd` picks (switched to the Winograd algorithm), those with a fused depthwise post-op (which
/// the oneDNN backend runs blocked only), depthwise convolutions, and any convolution whose input is already
/// blocked, the last two where `runs_blocked` says so; and inserts a convert op wherever a value changes
/// layout: once per value however many ops read it, and not at all between two blocked ops. A convolution
/// writing in place (a fused residual add) runs blocked only when the value it adds to already is, and keeps
/// the direct algorithm. Guarantees: every op reads and writes the layouts it runs in; model inputs and
/// outputs stay plain; the same numbers up to float32 rounding.
void choose_layouts(Graph& graph, const WinogradCheck& prefers_winograd, const BlockedCheck& runs_blocked);

/// plan_memory.cpp: gives every value a 64-byte-aligned offset in one arena, reusing the space of values
/// whose last reader has run. Values written in place share their target's buffer. Sets Graph::arena_bytes.
void plan_memory(Graph& graph);

}  // namespace strata::ir
