#pragma once
// Chooses how many threads each forward pass of one plan runs with, from the times its passes take. On an
// idle machine that is every thread allowed. When the passes become much slower than usual (another process
// took cores: oneDNN splits each primitive's work evenly between the threads of a team, so the whole team
// waits for the one thread the scheduler put aside, at every primitive), it tries half the threads (then
// fewer still) and keeps them while they are faster. Now and then it tries the counts beside the current
// one, at a cost kept to about 2% of the time run and falling while they keep losing, so a process started
// on a loaded machine finds fewer threads too, and one whose load went away goes back to more.

#include <mutex>
#include <optional>
#include <vector>

namespace strata::detail {

class ThreadChooser {
 public:
  /// `counts`: the thread counts a pass may use, ascending (thread_counts()).
  explicit ThreadChooser(std::vector<int> counts);

  /// The thread count the next pass should ask for.
  int choose() const;
  /// What a pass on `threads` threads (one of the counts) took, in milliseconds.
  void record(int threads, double milliseconds);

 private:
  struct Candidate {
    int threads = 1;
    double recent = 0.0;    // moving average of the latest passes (reacts within a few passes)
    double usual = 0.0;     // slow moving average (about the last 50 passes)
    int passes = 0;         // as the current count, up to kSettle
    std::vector<double> first =
        {};                 // its first passes as the current count, until their median starts the averages
    bool tried = false;     // ever run
    double owed = 0.0;      // milliseconds run on other counts since this one last ran
    double patience = 1.0;  // multiplies the wait before trying this count again
  };
  // A try of another count: its first pass wakes sleeping workers and cold caches and is not judged; the
  // median of the next ones is (one of them may have lost a time slice to another process).
  struct Probe {
    size_t index = 0;
    int passes = 0;
    std::vector<double> judged = {};
  };

  void start_probe(size_t index);
  void finish_probe();

  mutable std::mutex mutex_;
  std::vector<Candidate> candidates_;
  size_t current_;
  std::optional<Probe> probe_;
  std::optional<size_t> next_down_;  // where the next try of fewer threads goes, after one was no better
  double slow_for_ = 0.0;            // milliseconds of passes run since they became much slower than usual
  int slow_passes_ = 0;              // how many of those passes were much slower themselves
};

}  // namespace strata::detail
