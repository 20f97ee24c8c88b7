// Load (issue 7 item 5): many threads predicting for a bounded time on shared compiled models (two models,
// several batch sizes each, so plans for new shapes are made while other threads run), every answer
// compared bitwise with the serial result, and resident memory not growing once the plans exist.
// STRATA_STRESS_SECONDS sets the duration (default 3; 1 under the sanitizers).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "numerics_util.hpp"

namespace {

namespace L = strata::layers;

/// Resident memory of this process in kB, from /proc/self/status (VmRSS).
int64_t resident_kb() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      int64_t kb = 0;
      status >> kb;
      return kb;
    }
    status.ignore(1 << 20, '\n');
  }
  return -1;
}

double stress_seconds() {
  const char* s = std::getenv("STRATA_STRESS_SECONDS");
  if (s && *s) return std::atof(s);
#ifdef STRATA_SANITIZED
  return 1.0;
#else
  return 3.0;
#endif
}

std::chrono::steady_clock::time_point deadline_after(double seconds) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

struct Job {
  const strata::CompiledModel* model;
  strata::Tensor input;
  std::vector<strata::Tensor> expected;
};

struct Totals {
  std::atomic<int64_t> calls{0}, mismatches{0}, failures{0};
};

/// Each thread cycles through all jobs (from its own offset) until the deadline.
void run_for(const std::vector<Job>& jobs, int threads, std::chrono::steady_clock::time_point deadline, Totals& totals) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); std::chrono::steady_clock::now() < deadline; ++i) {
        const Job& job = jobs[i % jobs.size()];
        try {
          if (job.model->predict(std::vector<strata::Tensor>{job.input}) != job.expected) ++totals.mismatches;
        } catch (const std::exception&) {
          ++totals.failures;
        }
        ++totals.calls;
      }
    });
  }
  for (std::thread& th : pool) th.join();
}

}  // namespace

TEST_CASE("many threads on shared compiled models: serial answers, bounded memory", "[stress][concurrency][runtime]") {
  const strata::Model block = strata_test::seed_block_2("stress_block");
  strata_test::randomize_weights_keeping_scale(block, 11);
  auto in = strata::Input({strata::None, strata::None, 3});
  auto x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(in);
  x = L::DepthwiseConv2D(3, {.padding = "same"})(x);
  auto head = L::Dense(4, {.activation = "softmax"})(L::GlobalAveragePooling2D()(x));
  const strata::Model any_size(in, {head, x}, "any_size");
  strata_test::randomize_weights_keeping_scale(any_size, 12);

  const std::vector<strata::CompiledModel> compiled{block.compile({.num_threads = 1}), any_size.compile({.num_threads = 1}),
                                                    block.compile({.num_threads = 1, .fuse = false})};
  std::vector<Job> jobs;
  uint64_t seed = 100;
  for (int batch : {1, 2, 3, 5}) {
    jobs.push_back({&compiled[0], strata_test::random_input({batch, 32, 32, 3}, seed++), {}});
    jobs.push_back({&compiled[2], strata_test::random_input({batch, 32, 32, 3}, seed++), {}});
    jobs.push_back({&compiled[1], strata_test::random_input({batch, 7 + batch, 9, 3}, seed++), {}});
  }
  // Serial answers, from separately compiled models so that the shared plans are first made under load.
  for (Job& job : jobs) {
    const strata::Model& m = job.model == &compiled[1] ? any_size : block;
    job.expected = m.compile({.num_threads = 1, .fuse = job.model != &compiled[2]}).predict(std::vector<strata::Tensor>{job.input});
  }
  const int threads = std::max(8, static_cast<int>(std::thread::hardware_concurrency()) * 2);
  const double seconds = stress_seconds();

  // Warm-up: a quarter of the time, threads making the plans for every shape concurrently.
  Totals warm;
  run_for(jobs, threads, deadline_after(seconds / 4), warm);
  const int64_t rss_before = resident_kb();
  Totals totals;
  run_for(jobs, threads, deadline_after(seconds), totals);
  const int64_t rss_after = resident_kb();

  INFO(threads << " threads, " << totals.calls << " calls in " << seconds << " s; VmRSS " << rss_before << " kB before, "
               << rss_after << " kB after");
  CHECK(warm.mismatches == 0);
  CHECK(warm.failures == 0);
  CHECK(totals.calls > 0);
  CHECK(totals.mismatches == 0);
  CHECK(totals.failures == 0);
  // Plans and arenas exist after the warm-up; more calls must not hold more memory. The slack covers the
  // allocator's per-thread caches and the sanitizers' quarantine.
#ifdef STRATA_SANITIZED
  const int64_t slack_kb = 384 * 1024;  // ASan keeps up to 256 MB of freed memory in quarantine
#else
  const int64_t slack_kb = 32 * 1024;
#endif
  CHECK(rss_after - rss_before <= slack_kb);
  std::printf("stress: %d threads, %lld calls in %.1f s, VmRSS %lld -> %lld kB\n", threads,
              static_cast<long long>(totals.calls.load()), seconds, static_cast<long long>(rss_before),
              static_cast<long long>(rss_after));
}
