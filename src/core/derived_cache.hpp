#pragma once
// A process-wide memo of values derived from immutable tensors (folded weights, reordered weights), so that
// every cached plan of every model built from the same weights shares one copy. Entries hold their sources
// weakly, so a replaced or freed weight never matches again, and hold the result weakly, so the cache keeps
// nothing alive that no plan uses.

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "strata/tensor.hpp"

namespace strata::detail {

template <class Result, class Extra>
class DerivedCache {
 public:
  /// The result derived from `sources` (null entries allowed) and `extra`, computed by `make` on a miss.
  std::shared_ptr<Result> get(const std::vector<std::shared_ptr<const Tensor>>& sources, const Extra& extra,
                              const std::function<std::shared_ptr<Result>()>& make) {
    {
      std::lock_guard lock(mutex_);
      std::erase_if(entries_, [](const Entry& e) { return e.result.expired() || e.source_died(); });
      for (const Entry& e : entries_) {
        if (e.extra == extra && same_sources(e, sources)) {
          if (auto hit = e.result.lock()) return hit;
        }
      }
    }
    std::shared_ptr<Result> made = make();
    put(sources, extra, made);
    return made;
  }

  /// Records `result` as what `get` should return for `sources` and `extra` from now on (while all are
  /// alive).
  void put(const std::vector<std::shared_ptr<const Tensor>>& sources, const Extra& extra,
           const std::shared_ptr<Result>& result) {
    std::lock_guard lock(mutex_);
    Entry entry{{}, 0, extra, result};
    for (const auto& s : sources) {
      entry.sources.push_back(s);
      entry.live_sources += s ? 1 : 0;
    }
    entries_.push_back(std::move(entry));
  }

 private:
  struct Entry {
    std::vector<std::weak_ptr<const Tensor>> sources;
    size_t live_sources = 0;  // the non-null ones
    Extra extra;
    std::weak_ptr<Result> result;
    // Can never match again; dropped so that a result kept alive elsewhere does not pin dead entries.
    bool source_died() const {
      return static_cast<size_t>(std::count_if(sources.begin(), sources.end(),
                                               [](const auto& s) { return !s.expired(); })) < live_sources;
    }
  };

  static bool same_sources(const Entry& e, const std::vector<std::shared_ptr<const Tensor>>& sources) {
    if (e.sources.size() != sources.size()) return false;
    for (size_t i = 0; i < sources.size(); ++i) {
      // A live source is the same object; an expired one can never match (its address may be reused).
      const std::shared_ptr<const Tensor> live = e.sources[i].lock();
      if (live != sources[i]) return false;
      if (sources[i] && !live) return false;
    }
    return true;
  }

  std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace strata::detail
