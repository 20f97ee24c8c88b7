#pragma once
// Vector math shared by strata's own kernels (the recurrent cell, swish, pooling). Only functions marked
// STRATA_AVX512 use AVX-512 instructions, and only those marked STRATA_AVX2 or STRATA_AVX2_FMA use AVX2: the
// library is built for the baseline x86-64, so a caller checks the CPU (`__builtin_cpu_supports`) before any
// of them runs. STRATA_X86_64 is 1 where they exist.

#if defined(__x86_64__)
#include <immintrin.h>
#define STRATA_X86_64 1
#else
#define STRATA_X86_64 0
#endif

// GCC 12's AVX-512 intrinsics start their results from _mm512_undefined_ps, which its -Wmaybe-uninitialized
// reports at every use (GCC bug 105593, fixed in GCC 13): the warning says nothing about strata's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define STRATA_AVX512 __attribute__((target("avx512f")))
#define STRATA_AVX2 __attribute__((target("avx2")))
#define STRATA_AVX2_FMA __attribute__((target("avx2,fma")))

#if STRATA_X86_64
namespace strata::detail {

// exp(x) as Cephes's expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial in r, times 2^n. Within
// 2 ulp of the exact value over the clamped range, which keeps sigmoid and tanh finite. Both widths below
// take these constants.
namespace exp_constants {
constexpr float kBound = 88.0f, kLog2e = 1.44269504088896341f, kLn2High = 0.693359375f,
                kLn2Low = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f,
                kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
}  // namespace exp_constants

STRATA_AVX512 inline __m512 exp16(__m512 x) {
  using namespace exp_constants;
  // max and min return their second operand when either is NaN: x goes second, so NaN stays NaN (as in
  // Keras) instead of becoming a bound.
  x = _mm512_min_ps(_mm512_set1_ps(kBound), _mm512_max_ps(_mm512_set1_ps(-kBound), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2High), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Low), r);
  __m512 p = _mm512_set1_ps(kP0);
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

// exp16 on 8 lanes. AVX2 has no scalef: 2^n is built in the exponent bits, exact for n in [-126, 127]; at
// n = -127 (x below about -87.7) it gives 0 for e^x < 1.2e-38.
STRATA_AVX2_FMA inline __m256 exp8(__m256 x) {
  using namespace exp_constants;
  x = _mm256_min_ps(_mm256_set1_ps(kBound), _mm256_max_ps(_mm256_set1_ps(-kBound), x));  // NaN stays NaN
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2High), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Low), r);
  __m256 p = _mm256_set1_ps(kP0);
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23)));
}

}  // namespace strata::detail
#endif
