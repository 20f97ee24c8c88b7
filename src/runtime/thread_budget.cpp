#include "runtime/thread_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace strata::detail {

namespace {

// A cgroup v2 quota ("max 100000" when unlimited, "150000 100000" for 1.5 CPUs), rounded up; 0 for none.
int cgroup_quota_cores() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) return 0;
  try {
    return std::max(1, static_cast<int>(std::ceil(std::stod(quota) / period)));
  } catch (const std::exception&) {
    return 0;  // an unreadable quota limits nothing
  }
}

}  // namespace

int usable_cores() {
  int cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = 1;
  if (const int quota = cgroup_quota_cores(); quota > 0) cores = std::min(cores, quota);
  return cores;
}

std::vector<int> thread_counts(int most) {
  std::vector<int> counts;
  for (int n = 1; n < most; n *= 2) counts.push_back(n);
  counts.push_back(std::max(1, most));
  return counts;
}

ThreadBudget::ThreadBudget(int capacity) : capacity_(std::max(1, capacity)) {}

ThreadBudget& ThreadBudget::instance() {
  // Never destroyed: passes may still run on detached threads while static objects are torn down.
  static ThreadBudget* budget = new ThreadBudget(usable_cores());
  return *budget;
}

int ThreadBudget::acquire(int wanted, const std::vector<int>& counts) {
  std::unique_lock lock(mutex_);
  // With every core held by other passes, wait for one to finish rather than oversubscribe; with none held
  // (the cores are busy with other processes, or `wanted` exceeds them) a single thread always may run.
  ++waiting_;
  freed_.wait(lock, [&] { return in_use_ < capacity_ || in_use_ == 0; });
  --waiting_;
  const int free = std::max(1, capacity_ - in_use_);
  // While other passes run or wait, each takes its share of the cores: one-thread passes side by side keep
  // every core busy, where two-thread passes in turn leave them idle between passes and at barriers (four
  // MobileNetV2 callers on 2 cores: 228-233 passes/s against 151-158; measured in docs/performance.md).
  const int share = std::max(1, capacity_ / (passes_ + waiting_ + 1));
  int granted = 1;
  for (int n : counts) {
    if (n <= wanted && n <= free && n <= share) granted = std::max(granted, n);
  }
  in_use_ += granted;
  ++passes_;
  return granted;
}

void ThreadBudget::release(int threads) {
  {
    std::lock_guard lock(mutex_);
    in_use_ -= threads;
    --passes_;
  }
  freed_.notify_all();
}

int ThreadBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

int ThreadBudget::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

}  // namespace strata::detail
