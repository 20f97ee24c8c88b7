#pragma once
// Keras's swish (silu), x * sigmoid(x), in strata's own AVX-512 or AVX2 loop. oneDNN 2.6's swish is
// latency-bound on the CPUs measured (one vector's exp and division at a time): as a standalone primitive it
// took 1.1 ns a value on Zen 4 and as a convolution's post-op 0.62 ns, where the AVX-512 loop takes 0.36-0.42
// ns; on Zen 3 (AVX2) the loop took EfficientNetV2B0 at batch 8 from 1.13 to 1.03 of ONNX Runtime's time. The
// plan builder uses it where `swish_kernel_supported()`: for a swish step, and after a convolution whose last
// post-op would be swish (docs/compiler.md, "Swish").

#include <cstdint>

namespace strata::detail {

/// Whether `swish_kernel` can run here: an x86-64 CPU with AVX-512F, or with AVX2 and FMA, and
/// STRATA_SWISH_KERNEL not set to "onednn" (which keeps oneDNN's swish everywhere, for comparisons).
bool swish_kernel_supported();

/// dst[i] = src[i] / (1 + exp(-src[i])) for i < count, on the plan's threads when the count is large; src
/// may equal dst. Within 3 ulp of the exact value for x above -87; from -87 to -88, where swish is smaller
/// than 1e-36 in magnitude, the error stays below 1e-35; below -88 the result is x * 0 (-0, and NaN for
/// -inf), Keras's x * sigmoid(x). NaN stays NaN. Call only where swish_kernel_supported().
void swish_kernel(const float* src, float* dst, int64_t count);

/// swish_kernel's AVX2 loop on the calling thread, whatever the CPU's widest vectors: for tests, which run it
/// on AVX-512 machines too. Call only on a CPU with AVX2 and FMA.
void swish_kernel_avx2(const float* src, float* dst, int64_t count);

}  // namespace strata::detail
