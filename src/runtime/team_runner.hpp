#pragma once
// Multi-threaded passes run on as few threads as possible, so that the OpenMP teams of the whole process
// belong to few threads however many threads call predict. libgomp keeps one pool of worker threads per
// thread that starts a team, and when the pools of all such threads hold more threads than there are cores it
// stops spinning at barriers and sleeps instead (its "throttled" spin count), so every primitive pays a
// wake-up: measured on 2 cores, an empty 2-thread parallel region took 24 us from one thread and 32-37 us
// once a second thread had its own pool; the wake-ups grow with the team (the load-robustness note in
// docs/performance.md).

#include <functional>

namespace strata::detail {

/// Runs `work` as a multi-threaded pass and waits for it; rethrows what it throws. The first thread to run
/// one (the home thread) runs its own in place: a process with one calling thread, the usual case, pays no
/// hand-over and keeps one OpenMP pool. Any other thread's work runs on one of strata's team threads (the
/// one that ran last when it is free, so passes that do not overlap share one pool; passes that overlap each
/// get a team thread of their own); work started on a team thread runs in place.
void run_on_team_thread(const std::function<void()>& work);

}  // namespace strata::detail
