// How each input shape's passes choose their thread count (runtime/thread_chooser.hpp), driven with made-up
// pass times: idle, every thread, fewer tried rarely; under load, half the threads once they are faster,
// more tried again at a bounded cost; back to every thread when the load is gone; a process started under
// load finds fewer threads too; single slow passes (a time slice lost to another process) change nothing.
#include <catch2/catch.hpp>

#include "runtime/thread_budget.hpp"
#include "runtime/thread_chooser.hpp"

using strata::detail::ThreadChooser;

namespace {

// Runs `passes` passes; `time(threads)` gives each one's milliseconds. Returns how many ran on each count
// (index = threads) and the milliseconds run in all.
struct Run {
  std::vector<int> passes = std::vector<int>(17, 0);
  double milliseconds = 0.0;
};

template <class Time>
Run drive(ThreadChooser& chooser, int passes, const Time& time) {
  Run run;
  for (int i = 0; i < passes; ++i) {
    const int threads = chooser.choose();
    const double ms = time(threads);
    chooser.record(threads, ms);
    ++run.passes[threads];
    run.milliseconds += ms;
  }
  return run;
}

}  // namespace

TEST_CASE("the thread counts a pass may run with", "[threads][runtime]") {
  using strata::detail::thread_counts;
  CHECK(thread_counts(1) == std::vector<int>{1});
  CHECK(thread_counts(2) == std::vector<int>{1, 2});
  CHECK(thread_counts(6) == std::vector<int>{1, 2, 4, 6});
  CHECK(thread_counts(16) == std::vector<int>{1, 2, 4, 8, 16});
  CHECK(strata::detail::usable_cores() >= 1);
}

TEST_CASE("idle, passes run on every thread; fewer are tried rarely, at a falling cost",
          "[threads][runtime]") {
  ThreadChooser chooser({1, 2, 4});
  CHECK(chooser.choose() == 4);
  // Noise of +-10% around 5 ms never looks like load; 2 threads take 9 ms.
  int k = 0;
  auto idle = [&](int threads) { return (threads == 4 ? 5.0 : 9.0) * (0.9 + 0.1 * (k++ % 3)); };
  Run run = drive(chooser, 2000, idle);
  CHECK(chooser.choose() == 4);
  CHECK(run.passes[4] >= 1980);
  CHECK(run.passes[1] == 0);  // only the neighbour of the current count is tried
  // Each try that loses makes the next one wait twice as long, up to 8 times: then the tries lose 2% / 8 of
  // the time run.
  run = drive(chooser, 10000, idle);
  CHECK(run.passes[2] <= 60);
  CHECK(run.passes[2] * 4.0 / run.milliseconds < 0.004);
}

TEST_CASE("under load, fewer threads once they are faster; more again when the load goes",
          "[threads][runtime]") {
  ThreadChooser chooser({1, 2});
  // Idle: 2 threads take 5 ms, 1 thread 9 ms.
  drive(chooser, 50, [](int threads) { return threads == 2 ? 5.0 : 9.0; });
  REQUIRE(chooser.choose() == 2);

  // A busy process takes a core: a 2-thread pass waits for the descheduled thread (15 ms); 1 thread, 9 ms.
  auto loaded = [](int threads) { return threads == 2 ? 15.0 : 9.0; };
  Run run = drive(chooser, 10, loaded);
  CHECK(run.passes[1] >= 3);  // it found out within a few passes
  CHECK(chooser.choose() == 1);

  // While loaded, 2 threads are tried again now and then, at about 2% of the time run.
  run = drive(chooser, 2000, loaded);
  CHECK(run.passes[2] >= 1);
  const double lost = run.passes[2] * (15.0 - 9.0);
  CHECK(lost / run.milliseconds < 0.03);

  // The load goes: the next try of 2 threads (after at most 8 times the 2% wait, since so many tries lost:
  // 8 x 50 x a try's 4 passes x 6 ms lost = 9.6 s of passes here, 1,067 passes) finds them faster and keeps
  // them.
  run = drive(chooser, 1200, [](int threads) { return threads == 2 ? 5.0 : 9.0; });
  CHECK(chooser.choose() == 2);
  CHECK(run.passes[2] >= 1200 - 1067 - 4);
}

TEST_CASE("a collapse on many threads halves the count until passes are fast again", "[threads][runtime]") {
  ThreadChooser chooser({1, 2, 4, 8, 16});
  drive(chooser, 20, [](int threads) { return 100.0 / threads; });
  REQUIRE(chooser.choose() == 16);
  // 16 and 8 threads collapse (one core is busy elsewhere and every barrier waits for it); 4 do not.
  auto loaded = [](int threads) { return threads >= 8 ? 400.0 : 100.0 / threads; };
  const Run run = drive(chooser, 40, loaded);
  CHECK(chooser.choose() == 4);
  CHECK(run.passes[16] + run.passes[8] <= 12);
}

TEST_CASE("passes given fewer threads than chosen do not change the choice", "[threads][runtime]") {
  // Concurrent passes held the other threads: the budget granted 1 where 2 were chosen.
  ThreadChooser chooser({1, 2});
  drive(chooser, 20, [](int) { return 5.0; });
  for (int i = 0; i < 50; ++i) chooser.record(1, 2.0);
  CHECK(chooser.choose() == 2);
  // A count that is not a candidate is ignored.
  chooser.record(3, 0.1);
  CHECK(chooser.choose() == 2);
}

TEST_CASE("a process started under load finds that fewer threads are faster", "[threads][runtime]") {
  // No pass was ever fast, so none looks slower than before: the tries of the neighbour find it.
  ThreadChooser chooser({1, 2});
  const Run run = drive(chooser, 100, [](int threads) { return threads == 2 ? 60.0 : 49.0; });
  CHECK(chooser.choose() == 1);
  CHECK(run.passes[1] > 80);
}

TEST_CASE("one slow pass among the first ones does not stand for a count's usual time",
          "[threads][runtime]") {
  // Seen beside ONNX Runtime: a 37 ms pass first, then 0.2 ms passes on 2 threads (0.23 ms on 1). Taken as
  // what 2 threads usually take, it made 1 thread look faster and the tries of 2 threads look too costly to
  // repeat, for the whole run.
  ThreadChooser chooser({1, 2});
  chooser.record(2, 37.0);
  int k = 0;
  auto idle = [&](int threads) { return (threads == 2 ? 0.2 : 0.23) * (0.95 + 0.05 * (k++ % 3)); };
  const Run run = drive(chooser, 5000, idle);
  CHECK(chooser.choose() == 2);
  CHECK(run.passes[2] > 4900);
}

TEST_CASE("a try that loses one time slice to another process is judged by its other passes",
          "[threads][runtime]") {
  // Under load 1 thread takes 9 ms and 2 threads 15 ms; when the load goes, one pass of the first try of 2
  // threads still loses a 4 ms time slice. Its median is what it takes, so 2 threads come back at once.
  ThreadChooser chooser({1, 2});
  drive(chooser, 50, [](int threads) { return threads == 2 ? 5.0 : 9.0; });
  drive(chooser, 40, [](int threads) { return threads == 2 ? 15.0 : 9.0; });
  REQUIRE(chooser.choose() == 1);
  int tries = 0;
  drive(chooser, 400, [&](int threads) {
    if (threads == 1) return 9.0;
    return ++tries == 2 ? 5.0 + 40.0 : 5.0;
  });
  CHECK(chooser.choose() == 2);
}

TEST_CASE("one slow pass later on does not make fewer threads look better for long", "[threads][runtime]") {
  ThreadChooser chooser({1, 2});
  drive(chooser, 100, [](int threads) { return threads == 2 ? 1.0 : 1.9; });
  chooser.record(2, 40.0);
  const Run run = drive(chooser, 1000, [](int threads) { return threads == 2 ? 1.0 : 1.9; });
  CHECK(chooser.choose() == 2);
  CHECK(run.passes[1] <= 10);
}

TEST_CASE("one very slow pass does not hide a lasting slowdown after it", "[threads][runtime]") {
  // Idle, 2 threads take 1 ms; a 400 ms pass (the process was stopped for a moment); then load: 2 threads
  // 3 ms, 1 thread 1.9 ms. Had the 400 ms pass raised the usual time to 9 ms, 3 ms would not look slow.
  ThreadChooser chooser({1, 2});
  drive(chooser, 100, [](int threads) { return threads == 2 ? 1.0 : 1.9; });
  REQUIRE(chooser.choose() == 2);
  chooser.record(2, 400.0);
  drive(chooser, 40, [](int threads) { return threads == 2 ? 3.0 : 1.9; });
  CHECK(chooser.choose() == 1);
}

TEST_CASE("with passes near a second, a process started under load tries fewer threads within a few passes",
          "[threads][runtime]") {
  // 800 ms a pass on 2 threads, 450 on 1: three passes settle the count (2.4 s), the try of one thread
  // follows at once (its wake-up pass and three judged ones), and every pass after runs on one thread.
  ThreadChooser chooser({1, 2});
  const Run run = drive(chooser, 20, [](int threads) { return threads == 2 ? 800.0 : 450.0; });
  CHECK(chooser.choose() == 1);
  CHECK(run.passes[2] == 3);
  // Idle, the same try costs four passes once, then the tries thin out as with short passes.
  ThreadChooser idle({1, 2});
  const Run idle_run = drive(idle, 200, [](int threads) { return threads == 2 ? 250.0 : 440.0; });
  CHECK(idle.choose() == 2);
  CHECK(idle_run.passes[1] <= 12);
  // Two slow passes among short first ones do not settle the count on their time (a usual time of 600 ms
  // would hide the load that comes at pass 30 for about a hundred passes): 2 threads take 5 ms idle, 50 ms
  // under the load, where 1 thread takes 12.
  ThreadChooser bursty({1, 2});
  int pass = 0;
  int loaded_on_two = 0;
  drive(bursty, 100, [&](int threads) {
    ++pass;
    if (pass == 2 || pass == 3) return 600.0;
    if (pass <= 30) return threads == 2 ? 5.0 : 9.0;
    if (threads == 2) ++loaded_on_two;
    return threads == 2 ? 50.0 : 12.0;
  });
  CHECK(bursty.choose() == 1);
  CHECK(loaded_on_two <= 10);
}
