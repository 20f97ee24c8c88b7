#include "core/session.hpp"

#include <map>
#include <mutex>

#include "strata/session.hpp"

namespace strata {
namespace detail {
namespace {

constexpr uint64_t kDefaultSeed = 1337;

struct SessionState {
  std::mutex names_mutex;
  std::map<std::string, int> name_counts;
  std::mutex engine_mutex;
  std::mt19937_64 engine{kDefaultSeed};
};

SessionState& state() {
  static SessionState s;
  return s;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string to_snake_case(const std::string& name) {
  // Keras applies two regexes: "(.)([A-Z][a-z]+)" -> "\1_\2", then "([a-z])([A-Z])" -> "\1_\2".
  std::string first;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && is_upper(name[i]) && i + 1 < name.size() && is_lower(name[i + 1])) first += '_';
    first += name[i];
  }
  std::string second;
  for (size_t i = 0; i < first.size(); ++i) {
    if (i > 0 && is_upper(first[i]) && is_lower(first[i - 1])) second += '_';
    second += lower(first[i]);
  }
  return second;
}

namespace {
thread_local LocalNames* innermost_names = nullptr;
}  // namespace

std::string unique_name(const std::string& base) {
  if (innermost_names != nullptr) return innermost_names->next(base);
  SessionState& s = state();
  std::lock_guard lock(s.names_mutex);
  const int n = s.name_counts[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

LocalNames::LocalNames(std::set<std::string> reserved)
    : outer_(innermost_names), reserved_(std::move(reserved)) {
  innermost_names = this;
}

LocalNames::~LocalNames() {
  innermost_names = outer_;
}

std::string LocalNames::next(const std::string& base) {
  // Skipped too: the names the session has given (a layer made inside the body takes one of those, and the
  // body's graph needs unique names).
  int issued = 0;
  {
    SessionState& s = state();
    std::lock_guard lock(s.names_mutex);
    const auto it = s.name_counts.find(base);
    issued = it == s.name_counts.end() ? 0 : it->second;
  }
  for (;;) {
    const int n = counts_[base]++;
    std::string name = n == 0 ? base : base + "_" + std::to_string(n);
    if (n >= issued && !reserved_.contains(name)) return name;
  }
}

std::mutex& weight_engine_mutex() { return state().engine_mutex; }
std::mt19937_64& weight_engine() { return state().engine; }

}  // namespace detail

void clear_session() {
  detail::SessionState& s = detail::state();
  std::lock_guard lock(s.names_mutex);
  s.name_counts.clear();
}

void set_random_seed(uint64_t seed) {
  detail::SessionState& s = detail::state();
  std::lock_guard lock(s.engine_mutex);
  s.engine.seed(seed);
}

}  // namespace strata
