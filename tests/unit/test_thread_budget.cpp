// The process-wide thread budget (runtime/thread_budget.hpp) and the team threads that run multi-threaded
// passes (runtime/team_runner.hpp).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <strata/strata.hpp>

#include "graph/functional.hpp"
#include "runtime/compiled_model_impl.hpp"
#include "runtime/team_runner.hpp"
#include "runtime/thread_budget.hpp"

using strata::detail::ThreadBudget;
using strata::detail::ThreadGrant;

TEST_CASE("the budget grants the largest count that is free", "[threads][runtime]") {
  ThreadBudget budget(4);
  const std::vector<int> counts{1, 2, 4};
  {
    const ThreadGrant all(budget, 4, counts);
    CHECK(all.threads() == 4);
    CHECK(budget.in_use() == 4);
  }
  CHECK(budget.in_use() == 0);
  const ThreadGrant three(budget, 3, counts);  // 3 is no count: the largest below it
  CHECK(three.threads() == 2);
  const ThreadGrant more(budget, 4, counts);  // 2 free
  CHECK(more.threads() == 2);
  CHECK(budget.in_use() == 4);
  // Asking beyond the cores gives the cores.
  ThreadBudget small(2);
  const ThreadGrant big(small, 16, {1, 2, 4, 8, 16});
  CHECK(big.threads() == 2);
}

TEST_CASE("with every core held, a pass waits for one", "[threads][runtime]") {
  ThreadBudget budget(2);
  const std::vector<int> counts{1, 2};
  auto holder = std::make_unique<ThreadGrant>(budget, 2, counts);
  std::atomic<int> granted{0};
  std::thread waiter([&] {
    const ThreadGrant grant(budget, 2, counts);
    granted = grant.threads();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(granted == 0);  // still waiting (no timing asserted: it may only wait longer)
  holder.reset();
  waiter.join();
  CHECK(granted == 2);
  CHECK(budget.in_use() == 0);
}

TEST_CASE("passes that wait together share the cores", "[threads][runtime]") {
  // Two passes waiting for a 2-core budget get one thread each when it frees, not 2 and then 2 in turn.
  ThreadBudget budget(2);
  const std::vector<int> counts{1, 2};
  auto holder = std::make_unique<ThreadGrant>(budget, 2, counts);
  std::atomic<int> granted[2] = {0, 0};
  std::atomic<bool> done{false};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 2; ++i) {
    waiters.emplace_back([&, i] {
      const ThreadGrant grant(budget, 2, counts);
      granted[i] = grant.threads();
      while (!done) std::this_thread::yield();  // both hold their grant at once
    });
  }
  while (budget.waiting() < 2) std::this_thread::yield();
  holder.reset();
  // Had the first taken both cores, the second would wait until `done`: give up after 10 s, then fail.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((granted[0] == 0 || granted[1] == 0) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(granted[0] == 1);
  CHECK(granted[1] == 1);
  CHECK(budget.in_use() == 2);
  done = true;
  for (std::thread& t : waiters) t.join();
  // Alone again, a pass takes every core.
  const ThreadGrant alone(budget, 2, counts);
  CHECK(alone.threads() == 2);
}

TEST_CASE("the first thread runs its own passes; others run on a team thread", "[threads][runtime]") {
  // This program's first multi-threaded work comes from the main thread: it becomes the home thread.
  const std::thread::id main_thread = std::this_thread::get_id();
  std::thread::id ran_on;
  strata::detail::run_on_team_thread([&] { ran_on = std::this_thread::get_id(); });
  CHECK(ran_on == main_thread);

  // Another thread's work runs on a team thread; work started there runs in place; errors come back.
  std::thread::id caller, outer, inner, again;
  std::string error;
  std::thread other([&] {
    caller = std::this_thread::get_id();
    strata::detail::run_on_team_thread([&] {
      outer = std::this_thread::get_id();
      strata::detail::run_on_team_thread([&] { inner = std::this_thread::get_id(); });
    });
    try {
      strata::detail::run_on_team_thread([] { throw std::runtime_error("from the team"); });
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    // The team thread that ran last is used again when free: one OpenMP pool serves such passes.
    strata::detail::run_on_team_thread([&] { again = std::this_thread::get_id(); });
  });
  other.join();
  CHECK(outer != caller);
  CHECK(outer != main_thread);
  CHECK(inner == outer);
  CHECK(error == "from the team");
  CHECK(again == outer);
  CHECK_THROWS_WITH(strata::detail::run_on_team_thread([] { throw std::runtime_error("at home"); }),
                    "at home");
}

TEST_CASE("a compiled model asks for its cores, the reference backend for one thread", "[threads][runtime]") {
  namespace L = strata::layers;
  auto in = strata::Input({4, 4, 2});
  const strata::Model model(in, L::Conv2D(2, 1)(in));
  auto runtime = [&](strata::CompileOptions options) {
    auto functional = std::static_pointer_cast<const strata::detail::FunctionalImpl>(
        std::shared_ptr<const strata::detail::LayerImpl>(model.impl()));
    return std::make_unique<strata::detail::CompiledModelImpl>(functional.get(), functional, options);
  };
  const int cores = ThreadBudget::instance().capacity();
  CHECK(runtime({})->most_threads() == cores);
  CHECK(runtime({.num_threads = 1})->most_threads() == 1);
  CHECK(runtime({.num_threads = 4 * cores})->most_threads() == cores);  // at most the usable cores
  CHECK(runtime({.num_threads = 3, .adaptive_threads = false})->most_threads() == 3);
  CHECK(runtime({.backend = "reference"})->most_threads() == 1);
}
