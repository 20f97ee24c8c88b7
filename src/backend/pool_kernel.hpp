#pragma once
// Max and average pooling over NHWC float32 maps in strata's own AVX2 loop. oneDNN 2.6's NHWC pooling
// (jit:avx2) is several times slower than a loop over channels on the same data: Xception's block2_pool
// (147x147x128, 3x3 stride 2) took 6.4 ms against 1.7 ms, measured on an AMD EPYC Zen 3 on one thread. The
// plan builder uses it for 2D pooling of plain float32 maps where `pool_kernel_supported()`
// (docs/compiler.md, "Pooling").

#include <cstdint>

namespace strata::detail {

/// Whether the plans use `pool_kernel` here: an x86-64 CPU with AVX2 and without AVX-512 (where it was
/// measured; AVX-512 CPUs keep oneDNN's pooling until it is measured there), and STRATA_POOL_KERNEL not set
/// to "onednn" (which keeps oneDNN's pooling everywhere, for comparisons).
bool pool_kernel_supported();

/// The largest window `pool_kernel` takes, in cells (its cell pointers live on the stack).
constexpr int64_t kPoolKernelMaxCells = 64;

/// A 2D pooling of an NHWC map: the sizes, the window, its strides and the padding before each axis (what
/// the window finds past the edges is left out, as Keras's "same" pooling: the maximum of the cells inside,
/// the average over the cells inside).
struct PoolShape {
  int64_t batch = 0, height = 0, width = 0, channels = 0, out_height = 0, out_width = 0;
  int64_t window_height = 1, window_width = 1, stride_height = 1, stride_width = 1;
  int64_t pad_top = 0, pad_left = 0;
  bool max = true;
};

/// dst = the pooling of src, both dense NHWC, on the plan's threads when the output is large. A window
/// holding a NaN gives NaN for the maximum as for the average. Call only on a CPU with AVX2, with
/// windows of at most kPoolKernelMaxCells cells that each overlap the map (as TensorFlow's padding
/// guarantees).
void pool_kernel(const PoolShape& shape, const float* src, float* dst);

}  // namespace strata::detail
