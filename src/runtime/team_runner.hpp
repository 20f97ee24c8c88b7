#pragma once
// Multi-threaded passes run on strata's own threads, so that the OpenMP teams of the whole process belong to
// as few threads as possible. libgomp keeps one pool of worker threads per thread that starts a team, and
// when the pools of all such threads hold more threads than there are cores it stops spinning at barriers
// and sleeps instead (its "throttled" spin count), so every primitive pays a wake-up: measured on 2 cores,
// an empty 2-thread parallel region took 24 us from one thread and 32-37 us once a second thread had its own
// pool; the wake-ups grow with the team (the load-robustness note in docs/performance.md).

#include <functional>

namespace strata::detail {

/// Runs `work` on one of strata's team threads and waits for it; rethrows what it throws. Reuses the thread
/// that ran last when it is free, so one thread (and one OpenMP pool) serves a process whose passes do not
/// overlap; passes that overlap each get a thread of their own. Called on a team thread, runs `work` there.
void run_on_team_thread(const std::function<void()>& work);

}  // namespace strata::detail
