#pragma once
// The machine's measured single-core float32 peak: an FMA loop on enough independent accumulators to
// cover the FMA latency of every issue port, so the reference for "% of peak" is what this core sustains,
// not a datasheet number.

#include <string>

namespace strata_bench {

struct PeakResult {
  double gflops = 0.0;         // best trial by wall-clock time: the core's rate when nothing else ran on it
  double median_gflops = 0.0;  // median trial by wall-clock time: what a shared core gave
  double cpu_gflops = 0.0;     // median trial by this thread's CPU time, which leaves out time descheduled
  std::string isa;             // "avx512f" or "avx2+fma"
};

/// Runs the FMA loop on the calling thread: `trials` runs of about `seconds_per_trial` each. Short trials
/// (a few ms) fit in one scheduler time slice, so on a shared machine the best of many is still the
/// uncontended rate.
PeakResult measure_single_core_peak(int trials, double seconds_per_trial);

/// CPU time used so far by the calling thread, in seconds: time on a core, not time waiting for one.
double thread_cpu_seconds();

}  // namespace strata_bench
