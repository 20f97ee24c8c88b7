#include "runtime/team_runner.hpp"

#include <condition_variable>
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
    std::unique_lock lock(mutex_);
    work_ = &work;
    error_ = nullptr;
    done_ = false;
    wake_.notify_one();
    finished_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop() {
    on_team_thread = true;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return work_ != nullptr; });
      const std::function<void()>* work = work_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*work)();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      work_ = nullptr;
      error_ = error;
      done_ = true;
      finished_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void()>* work_ = nullptr;
  std::exception_ptr error_;
  bool done_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
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
  if (on_team_thread) {
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
