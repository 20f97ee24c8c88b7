// parallel_for runs on OpenMP, as oneDNN's steps do: inside predict, the plan's thread count is already set
// for the calling thread (OmpThreadScope), so a custom kernel's loop shares the team the primitives use
// instead of starting threads of its own.

#include "strata/parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

namespace strata {

void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& body) {
  if (end <= begin) return;
  const int64_t total = end - begin;
  const int threads = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), total));
  std::exception_ptr first;
  std::mutex mutex;
#pragma omp parallel num_threads(threads)
  {
    const int64_t n = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t chunk_begin = begin + total * t / n, chunk_end = begin + total * (t + 1) / n;
    // Exceptions must not leave an OpenMP region: each is caught here and the first rethrown afterwards.
    try {
      if (chunk_begin < chunk_end) body(chunk_begin, chunk_end);
    } catch (...) {
      const std::lock_guard lock(mutex);
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace strata
