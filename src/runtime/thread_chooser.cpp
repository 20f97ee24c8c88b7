#include "runtime/thread_chooser.hpp"

#include <algorithm>

namespace strata::detail {

namespace {

// A recent average this much above the usual one means other work is taking cores.
constexpr double kSlowdown = 1.5;
// Weights of the newest pass in the two moving averages.
constexpr double kRecentWeight = 0.25;
constexpr double kUsualWeight = 0.02;
// Passes on the current count before its averages are trusted; their median starts them, so that one slow
// pass among them (the first passes of a process often meet another process's spinning threads or page
// faults: 37 ms among 0.2 ms passes was seen) does not stand for the count's usual time.
constexpr int kSettle = 8;
// ... or fewer passes, at least kSettleMin, once they add up to this many milliseconds (by their median): a
// pass of a large batch can take most of a second, and eight of them before anything is decided left a
// process started on a loaded machine (DenseNet121 at batch 8 beside a busy process: 843 ms a pass on 2
// threads, about 450 on 1) on the wrong count for its first 15 seconds. The first try of a count never run
// waits for the same time (or 10 passes, whichever comes first, and at least 2 passes).
constexpr double kSettleMs = 1000.0;
constexpr int kSettleMin = 3;
// A pass feeds the slow average at most this multiple of it: one outlier (a page-fault storm, a process
// woken for a moment) must not move what is usual, while lasting load still raises it.
constexpr double kOutlier = 4.0;
// How long passes must have been slow before fewer threads are tried: another process's threads often spin
// for a few milliseconds after its own work ends (libgomp's default spin is about 300,000 iterations), and
// chasing that costs more than it saves.
constexpr double kSlowFor = 20.0;
// ... and this many of those passes must have been slow themselves, so that one long pass, which keeps the
// recent average high for a few passes after it, is not taken for load.
constexpr int kSlowPasses = 3;
// Passes in a try of another count: one to wake it, then the median of the others is what it takes.
constexpr int kProbePasses = 4;
// A try must beat the current count by this factor to replace it: sub-millisecond passes are noisy, and
// flipping counts on noise costs more than it saves.
constexpr double kMargin = 0.85;
// How long a count that keeps losing is left alone, at most, in units of the 2% rule below.
constexpr double kMaxPatience = 8.0;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

ThreadChooser::ThreadChooser(std::vector<int> counts) {
  for (int n : counts) candidates_.push_back({.threads = n});
  current_ = candidates_.size() - 1;  // start with every thread allowed, as an idle machine wants
}

int ThreadChooser::choose() const {
  std::lock_guard lock(mutex_);
  return candidates_[probe_ ? probe_->index : current_].threads;
}

void ThreadChooser::start_probe(size_t index) {
  probe_ = Probe{.index = index};
}

void ThreadChooser::finish_probe() {
  const Probe probe = *probe_;
  probe_.reset();
  Candidate& tried = candidates_[probe.index];
  const double took = median(probe.judged);
  tried.recent = tried.usual = took;
  if (took < kMargin * candidates_[current_].recent) {
    current_ = probe.index;
    next_down_.reset();
    slow_for_ = 0.0;
    slow_passes_ = 0;
    for (Candidate& c : candidates_) c.patience = 1.0;
  } else {
    // No better: wait twice as long before trying it again; fewer threads were tried: next time go lower.
    tried.patience = std::min(tried.patience * 2.0, kMaxPatience);
    if (probe.index < current_) next_down_ = probe.index > 0 ? probe.index - 1 : 0;
  }
}

void ThreadChooser::record(int threads, double milliseconds) {
  std::lock_guard lock(mutex_);
  size_t i = 0;
  while (i + 1 < candidates_.size() && candidates_[i].threads != threads) ++i;
  if (candidates_[i].threads != threads) return;
  for (size_t j = 0; j < candidates_.size(); ++j) {
    if (j != i) candidates_[j].owed += milliseconds;
  }
  Candidate& ran = candidates_[i];
  ran.owed = 0.0;
  ran.tried = true;
  if (probe_ && probe_->index == i) {
    // The first pass of a try is not judged; the median of the others is.
    if (++probe_->passes > 1) probe_->judged.push_back(milliseconds);
    if (probe_->passes == kProbePasses) finish_probe();
    return;
  }
  // A pass given fewer threads than chosen (other passes held the rest) says nothing about the choice.
  if (i != current_ || probe_) return;
  if (ran.passes < kSettle) {
    ran.first.push_back(milliseconds);
    // Long by their median, so that one or two slow passes among short ones (page faults, a neighbour's
    // burst) do not settle the count early on an inflated time.
    const bool long_passes = ran.first.size() >= static_cast<size_t>(kSettleMin) &&
                             median(ran.first) * static_cast<double>(ran.first.size()) >= kSettleMs;
    if (++ran.passes < kSettle && !long_passes) return;
    ran.passes = kSettle;
    // At least a nanosecond: a usual time of 0 would clamp every later pass to 0 and look slow forever.
    ran.recent = ran.usual = std::max(median(std::move(ran.first)), 1e-6);
    ran.first.clear();
  } else {
    // `passes` stays at kSettle from here on: a server's count would overflow an int within days.
    ran.recent = (1.0 - kRecentWeight) * ran.recent + kRecentWeight * milliseconds;
    ran.usual =
        (1.0 - kUsualWeight) * ran.usual + kUsualWeight * std::min(milliseconds, kOutlier * ran.usual);
  }
  if (ran.recent > kSlowdown * ran.usual) {
    slow_for_ += milliseconds;
    if (milliseconds > kSlowdown * ran.usual) ++slow_passes_;
  } else {
    slow_for_ = 0.0;
    slow_passes_ = 0;
  }
  if (current_ > 0 && slow_for_ >= kSlowFor && slow_passes_ >= kSlowPasses) {
    // Much slower than usual: try fewer threads (half, then lower) now, at most once per 4 passes' time.
    const size_t down = std::min(next_down_.value_or(current_ - 1), current_ - 1);
    candidates_[down].patience = 1.0;
    if (!candidates_[down].tried || candidates_[down].owed >= 4.0 * ran.recent) start_probe(down);
    return;
  }
  if (slow_for_ > 0.0) return;  // slow, not yet for long: wait and see
  next_down_.reset();
  // Otherwise try each neighbour now and then: a process that starts on a loaded machine never sees its
  // passes slow down, and one whose load went away must find out. A count never tried is tried after 10
  // passes (or kSettleMs); then once the time run since is 50 times what a try would lose (about 2%), times
  // its patience, which doubles after each try that was no better (so an idle machine soon pays little).
  for (const size_t j : {current_ + 1, current_ - 1}) {
    if (j >= candidates_.size()) continue;  // also current_ - 1 for current_ == 0
    Candidate& other = candidates_[j];
    // Its usual time: for the count just left because of a slowdown, what it took before (so a short burst
    // of load is soon followed by a try of more threads again); for a count tried and found slower, what
    // that try took.
    const double loss = kProbePasses * std::max(0.0, other.usual - ran.recent);
    const double wait = !other.tried ? std::min(10.0 * ran.recent, std::max(2.0 * ran.recent, kSettleMs))
                                     : other.patience * std::max(20.0 * ran.recent, 50.0 * loss);
    if (other.owed >= wait) {
      start_probe(j);
      return;
    }
  }
}

}  // namespace strata::detail
