#include "peak_flops.hpp"

#include <immintrin.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace strata_bench {
namespace {

// 16 independent chains: Zen 4/5 and Skylake-X have FMA latency 4 with two FMA ports, so at least 8
// chains are needed to keep both ports busy; 16 leaves slack and still fits the 32 vector registers.
constexpr int kChains = 16;
// a = a * b + c with b just below 1 converges to c / (1 - b): no overflow and no denormals, however long
// it runs, so the loop measures the FMA units and nothing else.
constexpr float kMul = 0.999999f;
constexpr float kAdd = 1e-6f;

__attribute__((target("avx512f"))) float fma_loop_avx512(int64_t iterations, float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(seed + static_cast<float>(i));
  const __m512 mul = _mm512_set1_ps(kMul), add = _mm512_set1_ps(kAdd);
  for (int64_t n = 0; n < iterations; ++n) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  // Stored and summed by hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iterations, float seed) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(seed + static_cast<float>(i));
  const __m256 mul = _mm256_set1_ps(kMul), add = _mm256_set1_ps(kAdd);
  for (int64_t n = 0; n < iterations; ++n) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

PeakResult measure_single_core_peak(int trials, double seconds_per_trial) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const int lanes = avx512 ? 16 : 8;
  const double flops_per_iteration = 2.0 * lanes * kChains;
  using clock = std::chrono::steady_clock;
  volatile float sink = 0.0f;  // the results are used, so the loops cannot be dropped
  struct Timing {
    double wall, cpu;
  };
  auto time_loop = [&](int64_t iterations, float seed) {
    const double cpu_start = thread_cpu_seconds();
    const auto start = clock::now();
    sink = sink + (avx512 ? fma_loop_avx512(iterations, seed) : fma_loop_avx2(iterations, seed));
    return Timing{std::chrono::duration<double>(clock::now() - start).count(),
                  thread_cpu_seconds() - cpu_start};
  };

  // Calibrate by CPU time, which load elsewhere does not stretch: grow the iteration count until one run
  // is measurable (this also wakes the core to its working frequency).
  int64_t iterations = 1 << 12;
  Timing t = time_loop(iterations, 1.0f);
  while (t.cpu < 0.02) {
    iterations *= 2;
    t = time_loop(iterations, 1.0f);
  }
  iterations =
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(iterations) * seconds_per_trial / t.cpu));

  std::vector<double> wall_rates, cpu_rates;
  for (int trial = 0; trial < trials; ++trial) {
    const Timing r = time_loop(iterations, 1.0f + static_cast<float>(trial % 8));
    const double flops = flops_per_iteration * static_cast<double>(iterations);
    wall_rates.push_back(flops / r.wall * 1e-9);
    if (r.cpu > 0.0) cpu_rates.push_back(flops / r.cpu * 1e-9);
  }
  std::sort(wall_rates.begin(), wall_rates.end());
  std::sort(cpu_rates.begin(), cpu_rates.end());
  PeakResult result;
  result.gflops = wall_rates.back();
  result.median_gflops = wall_rates[wall_rates.size() / 2];
  result.cpu_gflops = cpu_rates.empty() ? 0.0 : cpu_rates[cpu_rates.size() / 2];
  result.isa = avx512 ? "avx512f" : "avx2+fma";
  return result;
}

}  // namespace strata_bench
