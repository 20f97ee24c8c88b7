#pragma once
// AVX-512 math shared by strata's own kernels (the recurrent cell, swish). Only functions marked
// STRATA_AVX512 use AVX-512 instructions: the library is built for the baseline x86-64, so a caller checks
// the CPU (`__builtin_cpu_supports("avx512f")`) before any of them runs. STRATA_X86_64 is 1 where they exist.

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

#if STRATA_X86_64
namespace strata::detail {

// exp(x) as Cephes's expf: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial in r, times 2^n. Within
// 2 ulp of the exact value over the clamped range, which keeps sigmoid and tanh finite.
STRATA_AVX512 inline __m512 exp16(__m512 x) {
  // max and min return their second operand when either is NaN: x goes second, so NaN stays NaN (as in
  // Keras) instead of becoming a bound.
  x = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-88.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

}  // namespace strata::detail
#endif
