#pragma once
// The cores this process may use, shared by every forward pass running in it. Concurrent predicts (on one
// CompiledModel or on several) take threads from one budget instead of each starting a full OpenMP team:
// four callers each running a 2-thread team on 2 cores made 8 threads meet at every primitive's barrier.

#include <condition_variable>
#include <mutex>
#include <vector>

namespace strata::detail {

/// Cores this process may run on: the CPUs in its affinity mask, capped by a cgroup v2 CPU quota
/// (`cpu.max`) when one is set. At least 1.
int usable_cores();

/// The thread counts a pass may run with when it may use up to `most`: 1, 2, 4, ... below `most`, and
/// `most` itself. Each count is one plan (its primitives fix their thread count when created), so the set is
/// kept small.
std::vector<int> thread_counts(int most);

/// Counts the threads that running passes hold, against the usable cores.
class ThreadBudget {
 public:
  explicit ThreadBudget(int capacity);
  /// The process-wide budget, sized by usable_cores().
  static ThreadBudget& instance();

  int capacity() const { return capacity_; }
  /// Takes the largest of `counts` (ascending, starting at 1) that is at most `wanted`, free, and at most
  /// the pass's share of the cores among the passes running or waiting (capacity / their number, at least
  /// 1). Waits while no thread is free and other passes hold some; never returns 0.
  int acquire(int wanted, const std::vector<int>& counts);
  /// Gives back what acquire returned.
  void release(int threads);
  /// Threads held now (for tests).
  int in_use() const;
  /// Passes waiting for a core now (for tests).
  int waiting() const;

 private:
  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  int in_use_ = 0;
  int passes_ = 0;   // passes holding threads
  int waiting_ = 0;  // passes waiting for a core
};

/// Holds threads from a budget for a scope.
class ThreadGrant {
 public:
  ThreadGrant(ThreadBudget& budget, int wanted, const std::vector<int>& counts)
      : budget_(budget), threads_(budget.acquire(wanted, counts)) {}
  ~ThreadGrant() { budget_.release(threads_); }
  ThreadGrant(const ThreadGrant&) = delete;
  ThreadGrant& operator=(const ThreadGrant&) = delete;
  int threads() const { return threads_; }

 private:
  ThreadBudget& budget_;
  int threads_;
};

}  // namespace strata::detail
