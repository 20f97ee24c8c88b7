#include "backend/swish_kernel.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/simd_math.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

namespace strata::detail {

#if STRATA_X86_64
namespace {

// x / (1 + exp(-x)): one division rather than a reciprocal and a product (measured faster on Zen 4 than
// rcp14 with a Newton step, and exact). Below x = -88, where exp(-x) is held at exp(88), x / (1 + e^88)
// would no longer be tiny for large |x| (-0.6 at -1e38): there swish is x * sigmoid(x) = x * 0, -0 (NaN for
// -inf), as Keras computes it.
STRATA_AVX512 inline __m512 swish16(__m512 x) {
  const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), x));
  const __m512 y = _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  const __mmask16 far = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-88.0f), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(y, far, x, _mm512_setzero_ps());
}

// Whole vectors, then the tail under a mask.
STRATA_AVX512 void swish_range(const float* src, float* dst, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 16 <= end; i += 16) _mm512_storeu_ps(dst + i, swish16(_mm512_loadu_ps(src + i)));
  if (i < end) {
    const auto mask = static_cast<__mmask16>((1u << (end - i)) - 1u);
    _mm512_mask_storeu_ps(dst + i, mask, swish16(_mm512_maskz_loadu_ps(mask, src + i)));
  }
}

// swish16's steps on 8 lanes.
STRATA_AVX2_FMA inline __m256 swish8(__m256 x) {
  const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
  const __m256 y = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  const __m256 far = _mm256_cmp_ps(x, _mm256_set1_ps(-88.0f), _CMP_LT_OQ);
  return _mm256_blendv_ps(y, _mm256_mul_ps(x, _mm256_setzero_ps()), far);
}

STRATA_AVX2_FMA void swish_range_avx2(const float* src, float* dst, int64_t begin, int64_t end) {
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) _mm256_storeu_ps(dst + i, swish8(_mm256_loadu_ps(src + i)));
  if (i < end) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(end - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(dst + i, mask, swish8(_mm256_maskload_ps(src + i, mask)));
  }
}

bool has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

}  // namespace
#endif

bool swish_kernel_supported() {
#if STRATA_X86_64
  static const bool supported = [] {
    const char* choice = std::getenv("STRATA_SWISH_KERNEL");
    const bool cpu = __builtin_cpu_supports("avx512f") ||
                     (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
    return cpu && !(choice != nullptr && std::strcmp(choice, "onednn") == 0);
  }();
  return supported;
#else
  return false;
#endif
}

void swish_kernel_avx2(const float* src, float* dst, int64_t count) {
#if STRATA_X86_64
  swish_range_avx2(src, dst, 0, count);
#else
  (void)src;
  (void)dst;
  (void)count;
  throw InternalError("swish_kernel_avx2: not an x86-64 build");
#endif
}

void swish_kernel(const float* src, float* dst, int64_t count) {
#if STRATA_X86_64
  // Below this a second thread costs more to wake than it saves (about 25 us of work).
  constexpr int64_t kParallelValues = int64_t{1} << 16;
  const auto range = has_avx512() ? swish_range : swish_range_avx2;
  if (count < kParallelValues) return range(src, dst, 0, count);
  // Chunks of whole AVX-512 vectors, so only the last one has a tail.
  const int64_t vectors = (count + 15) / 16;
  strata::parallel_for(0, vectors, [&](int64_t begin, int64_t end) {
    range(src, dst, begin * 16, std::min(end * 16, count));
  });
#else
  (void)src;
  (void)dst;
  (void)count;
  throw InternalError("swish_kernel: not an x86-64 build");
#endif
}

}  // namespace strata::detail
