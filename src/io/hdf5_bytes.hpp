#pragma once
// Reading an HDF5 file's bytes without libhdf5, for strata's checks before libhdf5 reads them
// (hdf5_checks.cpp, hdf5_string_checks.cpp; HDF5 file format specification, versions 2 and 3 of the format:
// "Object Headers" and their messages, "Global Heap", "Local Heap").

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace strata::detail::h5 {

/// Bounds on what a file may make these checks read.
constexpr uint64_t kMaxChunkBytes = uint64_t{16} << 20;
constexpr uint64_t kMaxHeapBytes = uint64_t{64} << 20;
constexpr int kMaxChunks = 1024;

/// The little-endian unsigned integer of `bytes` bytes at `p`.
uint64_t read_le(const unsigned char* p, int bytes);

/// `n` rounded up to a multiple of 8, as HDF5 pads version 1 messages and heap objects.
inline uint64_t align8(uint64_t n) {
  return (n + 7) / 8 * 8;
}

/// The file's bytes at HDF5 addresses, bounds-checked against its size.
class RawFile {
 public:
  explicit RawFile(const FileInfo& info) : info_(info), in_(info.path, std::ios::binary) {
    if (!in_) throw Failure(fmt::format("Cannot open it for reading: {}", std::strerror(errno)));
  }
  const FileInfo& info() const { return info_; }
  /// `n` bytes at the file address `address` (relative to the base address), or Failure.
  std::vector<unsigned char> read(uint64_t address, uint64_t n, const std::string& what);

 private:
  const FileInfo& info_;
  std::ifstream in_;
};

/// A bounds-checked cursor over bytes read from the file.
class Cursor {
 public:
  Cursor(const std::vector<unsigned char>& bytes, size_t begin, size_t end, std::string what)
      : bytes_(bytes), at_(begin), end_(std::min(end, bytes.size())), what_(std::move(what)) {}
  size_t at() const { return at_; }
  size_t left() const { return end_ - at_; }
  uint64_t take(size_t n) {
    need(n);
    const uint64_t v = read_le(bytes_.data() + at_, static_cast<int>(n));
    at_ += n;
    return v;
  }
  void skip(uint64_t n) {
    need(n);
    at_ += static_cast<size_t>(n);
  }
  void need(uint64_t n) const {
    if (n > left()) throw Failure(fmt::format("Damaged HDF5 file: {} is cut short", what_));
  }

 private:
  const std::vector<unsigned char>& bytes_;
  size_t at_;
  size_t end_;
  std::string what_;
};

/// One object header message: its type, flags and bytes.
struct Message {
  int type = 0;
  int flags = 0;
  std::vector<unsigned char> data;
};

/// Every message of the object header at `address`, continuation chunks included.
std::vector<Message> header_messages(RawFile& file, uint64_t address);

}  // namespace strata::detail::h5
