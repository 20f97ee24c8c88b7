#include "backend/pool_kernel.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/simd_math.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

namespace strata::detail {

#if STRATA_X86_64
namespace {

// Up to four vectors of channels at once (32 floats), their accumulators in registers while the window's
// cells are read: each cell's channels are contiguous in NHWC.
template <int kVectors, bool kMax>
STRATA_AVX2 inline void pool_vectors(const float* const* cells, int count, int64_t c, __m256 inverse,
                                     float* out) {
  __m256 acc[kVectors], nan[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    acc[v] = _mm256_loadu_ps(cells[0] + c + 8 * v);
    nan[v] = _mm256_cmp_ps(acc[v], acc[v], _CMP_UNORD_Q);
  }
  for (int k = 1; k < count; ++k) {
    for (int v = 0; v < kVectors; ++v) {
      const __m256 x = _mm256_loadu_ps(cells[k] + c + 8 * v);
      if constexpr (kMax) {
        acc[v] = _mm256_max_ps(acc[v], x);
        nan[v] = _mm256_or_ps(nan[v], _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
      } else {
        acc[v] = _mm256_add_ps(acc[v], x);  // a NaN stays in the sum
      }
    }
  }
  for (int v = 0; v < kVectors; ++v) {
    __m256 r = kMax ? _mm256_or_ps(acc[v], nan[v]) : _mm256_mul_ps(acc[v], inverse);  // all ones is a NaN
    _mm256_storeu_ps(out + c + 8 * v, r);
  }
}

// The last channels (fewer than 8), under a mask.
template <bool kMax>
STRATA_AVX2 inline void pool_tail(const float* const* cells, int count, int64_t c, int64_t left,
                                  __m256 inverse, float* out) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left)), lanes);
  __m256 acc = _mm256_maskload_ps(cells[0] + c, mask);
  __m256 nan = _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q);
  for (int k = 1; k < count; ++k) {
    const __m256 x = _mm256_maskload_ps(cells[k] + c, mask);
    if constexpr (kMax) {
      acc = _mm256_max_ps(acc, x);
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    } else {
      acc = _mm256_add_ps(acc, x);
    }
  }
  _mm256_maskstore_ps(out + c, mask, kMax ? _mm256_or_ps(acc, nan) : _mm256_mul_ps(acc, inverse));
}

template <bool kMax>
STRATA_AVX2 void pool_rows(const PoolShape& s, const float* src, float* dst, int64_t begin, int64_t end) {
  const float* cells[kPoolKernelMaxCells];
  for (int64_t row = begin; row < end; ++row) {
    const int64_t n = row / s.out_height, oh = row % s.out_height;
    const int64_t h0 = std::max<int64_t>(oh * s.stride_height - s.pad_top, 0);
    const int64_t h1 = std::min(oh * s.stride_height - s.pad_top + s.window_height, s.height);
    for (int64_t ow = 0; ow < s.out_width; ++ow) {
      const int64_t w0 = std::max<int64_t>(ow * s.stride_width - s.pad_left, 0);
      const int64_t w1 = std::min(ow * s.stride_width - s.pad_left + s.window_width, s.width);
      int count = 0;
      for (int64_t h = h0; h < h1; ++h) {
        for (int64_t w = w0; w < w1; ++w)
          cells[count++] = src + ((n * s.height + h) * s.width + w) * s.channels;
      }
      float* out = dst + (row * s.out_width + ow) * s.channels;
      // A window of one cell (a subsampling, as subsample_strided_pointwise makes) copies it.
      if (count == 1) {
        std::memcpy(out, cells[0], static_cast<size_t>(s.channels) * sizeof(float));
        continue;
      }
      const __m256 inverse = _mm256_set1_ps(1.0f / static_cast<float>(count));
      int64_t c = 0;
      for (; c + 32 <= s.channels; c += 32) pool_vectors<4, kMax>(cells, count, c, inverse, out);
      for (; c + 8 <= s.channels; c += 8) pool_vectors<1, kMax>(cells, count, c, inverse, out);
      if (c < s.channels) pool_tail<kMax>(cells, count, c, s.channels - c, inverse, out);
    }
  }
}

}  // namespace
#endif

bool pool_kernel_supported() {
#if STRATA_X86_64
  static const bool supported = [] {
    const char* choice = std::getenv("STRATA_POOL_KERNEL");
    // Measured against oneDNN's jit:avx2 pooling only: CPUs with AVX-512 keep oneDNN's jit:avx512_core
    // pooling until the loop is measured there.
    return __builtin_cpu_supports("avx2") && !__builtin_cpu_supports("avx512f") &&
           !(choice != nullptr && std::strcmp(choice, "onednn") == 0);
  }();
  return supported;
#else
  return false;
#endif
}

void pool_kernel(const PoolShape& shape, const float* src, float* dst) {
#if STRATA_X86_64
  if (shape.window_height * shape.window_width > kPoolKernelMaxCells) {
    throw InternalError("pool_kernel: a window of more than 64 cells");
  }
  const auto rows = [&](int64_t begin, int64_t end) {
    if (shape.max) {
      pool_rows<true>(shape, src, dst, begin, end);
    } else {
      pool_rows<false>(shape, src, dst, begin, end);
    }
  };
  // Below this a second thread costs more to wake than it saves (about 25 us of work).
  constexpr int64_t kParallelValues = int64_t{1} << 15;
  const int64_t rows_total = shape.batch * shape.out_height;
  if (rows_total * shape.out_width * shape.channels < kParallelValues) return rows(0, rows_total);
  strata::parallel_for(0, rows_total, rows);
#else
  (void)shape;
  (void)src;
  (void)dst;
  throw InternalError("pool_kernel: no AVX2 on this build");
#endif
}

}  // namespace strata::detail
