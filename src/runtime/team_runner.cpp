#include "runtime/team_runner.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::detail {

namespace {

// Set on team threads: work they start runs on them directly.
thread_local bool on_team_thread = false;

class TeamThread {
 public:
  TeamThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void run(const std::function<void()>& work) {
    work_ = &work;
    error_ = nullptr;
    state_.store(kPosted, std::memory_order_release);
    state_.notify_one();
    // The caller sleeps (a futex) while the pass runs: spinning here would take a core from its team.
    for (uint32_t s = state_.load(std::memory_order_acquire); s != kDone;
         s = state_.load(std::memory_order_acquire)) {
      state_.wait(s, std::memory_order_acquire);
    }
    state_.store(kIdle, std::memory_order_relaxed);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  static constexpr uint32_t kIdle = 0, kPosted = 1, kDone = 2;

  void loop() {
    on_team_thread = true;
    for (;;) {
      // A caller in a loop posts its next pass within microseconds: look for it a little while, yielding
      // the core (the caller needs one to wake up and post), before sleeping.
      for (int i = 0; i < 64 && state_.load(std::memory_order_acquire) != kPosted; ++i)
        std::this_thread::yield();
      for (uint32_t s = state_.load(std::memory_order_acquire); s != kPosted;
           s = state_.load(std::memory_order_acquire)) {
        state_.wait(s, std::memory_order_acquire);
      }
      try {
        (*work_)();
      } catch (...) {
        error_ = std::current_exception();
      }
      state_.store(kDone, std::memory_order_release);
      state_.notify_one();
    }
  }

  std::atomic<uint32_t> state_{kIdle};
  const std::function<void()>* work_ = nullptr;  // written before kPosted, read after it
  std::exception_ptr error_;                     // written before kDone, read after it
  std::thread thread_;                           // last: starts once the members it uses exist
};

// Idle team threads, the most recently used last. Never destroyed: the threads are detached and may be
// waiting on their condition variables while the process exits.
struct TeamThreads {
  std::mutex mutex;
  std::vector<TeamThread*> idle;
};

TeamThreads& team_threads() {
  static TeamThreads* threads = new TeamThreads;
  return *threads;
}

}  // namespace

void run_on_team_thread(const std::function<void()>& work) {
  // The first thread to run a multi-threaded pass keeps running its own: its OpenMP pool is the process's
  // first, and a process with one calling thread (the usual case) then pays no hand-over at all.
  static std::atomic<std::thread::id> home{};
  std::thread::id expected{};
  const std::thread::id self = std::this_thread::get_id();
  if (on_team_thread || home.load(std::memory_order_relaxed) == self ||
      home.compare_exchange_strong(expected, self)) {
    work();
    return;
  }
  TeamThreads& all = team_threads();
  TeamThread* thread = nullptr;
  {
    std::lock_guard lock(all.mutex);
    if (!all.idle.empty()) {
      thread = all.idle.back();
      all.idle.pop_back();
    }
  }
  if (thread == nullptr) thread = new TeamThread;
  struct GiveBack {
    TeamThreads& all;
    TeamThread* thread;
    ~GiveBack() {
      std::lock_guard lock(all.mutex);
      all.idle.push_back(thread);
    }
  } give_back{all, thread};
  thread->run(work);
}

}  // namespace strata::detail
