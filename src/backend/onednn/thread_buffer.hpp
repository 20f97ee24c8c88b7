#pragma once
// A thread's working buffer for plain C++ steps: kept for the thread's life (thread_local at the user) and
// grown to the largest request, so that a pass allocates nothing; 64-byte aligned, as the arena.

#include <fmt/format.h>

#include <cstddef>
#include <cstdlib>

#include "strata/error.hpp"

namespace strata::onednn {

class ThreadBuffer {
 public:
  ThreadBuffer() = default;
  ThreadBuffer(const ThreadBuffer&) = delete;
  ThreadBuffer& operator=(const ThreadBuffer&) = delete;
  ~ThreadBuffer() { std::free(data_); }

  /// At least `wanted` bytes; throws ResourceError naming `what` when they cannot be allocated.
  void* at_least(size_t wanted, const char* what) {
    if (wanted > bytes_) {
      std::free(data_);
      bytes_ = (wanted + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, bytes_);
      if (data_ == nullptr) {
        bytes_ = 0;
        throw ResourceError(fmt::format("[predict] Could not allocate {} bytes of {}", wanted, what));
      }
    }
    return data_;
  }

  /// Frees the buffer when it holds more than `kept` bytes (OpenMP's threads live as long as the program).
  void trim(size_t kept) {
    if (bytes_ > kept) {
      std::free(data_);
      data_ = nullptr;
      bytes_ = 0;
    }
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace strata::onednn
