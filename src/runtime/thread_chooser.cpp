#include "runtime/thread_chooser.hpp"

#include <algorithm>

namespace strata::detail {

namespace {

// A pass this much slower than the plan's best, on average, means other work is taking cores.
constexpr double kSlowdown = 1.5;
// Weight of the newest pass in the moving average.
constexpr double kWeight = 0.25;
// Passes on the current count before its average is trusted.
constexpr int kSettle = 4;
// How long a count that keeps losing is left alone, at most, in units of the 2% rule below.
constexpr double kMaxPatience = 8.0;

}  // namespace

ThreadChooser::ThreadChooser(std::vector<int> counts) {
  for (int n : counts) candidates_.push_back({.threads = n});
  current_ = candidates_.size() - 1;  // start with every thread allowed, as an idle machine wants
}

int ThreadChooser::choose() const {
  std::lock_guard lock(mutex_);
  return candidates_[probe_.value_or(current_)].threads;
}

void ThreadChooser::record(int threads, double milliseconds) {
  std::lock_guard lock(mutex_);
  size_t i = 0;
  while (i + 1 < candidates_.size() && candidates_[i].threads != threads) ++i;
  if (candidates_[i].threads != threads) return;
  Candidate& ran = candidates_[i];
  // A count tried again after a while has a stale average: the new pass replaces it.
  const bool fresh = ran.passes == 0 || ran.owed > 10.0 * ran.recent;
  ran.recent = fresh ? milliseconds : (1.0 - kWeight) * ran.recent + kWeight * milliseconds;
  ran.best = ran.passes == 0 ? milliseconds : std::min(ran.best, milliseconds);
  ran.last = milliseconds;
  ++ran.passes;
  ran.owed = 0.0;
  for (size_t j = 0; j < candidates_.size(); ++j) {
    if (j != i) candidates_[j].owed += milliseconds;
  }
  if (probe_ == i) {
    probe_.reset();
    // Against the current count's latest pass: its average lags behind a change of load.
    if (milliseconds < candidates_[current_].last) {
      current_ = i;
      next_down_.reset();
      for (Candidate& c : candidates_) c.patience = 1.0;
    } else {
      // No better: wait twice as long before trying it again.
      ran.patience = std::min(ran.patience * 2.0, kMaxPatience);
      if (i < current_) next_down_ = i > 0 ? i - 1 : 0;  // half was no better: the next try goes lower
    }
    return;
  }
  // A pass given fewer threads than chosen (other passes held the rest) says nothing about the choice.
  if (i != current_ || probe_) return;
  const Candidate& now = candidates_[current_];
  if (current_ > 0 && now.passes >= kSettle && now.recent > kSlowdown * now.best) {
    // Much slower than this plan ran before: try fewer threads (half, then lower) soon, at most once per 4
    // passes' time.
    const size_t down = std::min(next_down_.value_or(current_ - 1), current_ - 1);
    candidates_[down].patience = 1.0;
    if (candidates_[down].passes == 0 || candidates_[down].owed >= 4.0 * now.recent) probe_ = down;
    return;
  }
  next_down_.reset();
  // Otherwise try each neighbour now and then: a process that starts on a loaded machine never sees its
  // passes slow down, and one whose load went away must find out. A count never tried is tried after 10
  // passes; then once the time run since is 50 times what a try would lose (about 2%), times its patience,
  // which doubles after each try that was no better (so an idle machine soon pays almost nothing).
  for (const size_t j : {current_ + 1, current_ - 1}) {
    if (j >= candidates_.size()) continue;  // also current_ - 1 for current_ == 0
    const Candidate& other = candidates_[j];
    const double wait = other.passes == 0
                            ? 10.0 * now.recent
                            : other.patience * std::max(20.0 * now.recent,
                                                        50.0 * std::max(0.0, other.recent - now.recent));
    if (other.owed >= wait) {
      probe_ = j;
      return;
    }
  }
}

}  // namespace strata::detail
