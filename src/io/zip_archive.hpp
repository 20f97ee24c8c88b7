#pragma once
// Zip archives (Keras 3's .keras files) read through libzip. Every entry is checked before it is read:
// its declared size against a limit and against a decompression bomb, and what is read against what was
// declared (libzip checks the CRC). Names are never used as paths on disk.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct zip;

namespace strata::detail {

class ZipReader {
 public:
  /// Opens `path` with libzip's consistency checks. Throws FileError starting with `where` for a missing,
  /// unreadable, truncated or inconsistent archive, one of more than 100,000 entries, and an entry name
  /// that could escape a folder ("..", an absolute path) or holds a NUL or backslash.
  ZipReader(const std::string& path, std::string where);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  /// The entry names, in the archive's order.
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  /// The whole entry `name`. Throws FileError when it is missing, declares more than `limit` bytes, looks
  /// like a decompression bomb, or reads other than it declares (short, long, CRC mismatch).
  std::string read(const std::string& name, uint64_t limit) const;
  /// Writes the entry `name` to the file `destination` (created or truncated), with the checks of `read`.
  void extract(const std::string& name, const std::string& destination, uint64_t limit) const;

 private:
  // Opens the entry after the size checks and calls `sink` with each chunk; returns the bytes read.
  template <class Sink>
  void stream(const std::string& name, uint64_t limit, Sink&& sink) const;

  std::string path_;
  std::string where_;
  struct zip* archive_ = nullptr;
  std::vector<std::string> names_;
};

/// One entry of an archive to write: its bytes, or (when `file` is set) the contents of the file `file`.
struct ZipEntry {
  std::string name;
  std::string bytes;
  std::string file;
};

/// Writes a new archive at `path` (replacing a file there) holding `entries` in order, stored, not
/// deflated, as Keras writes .keras files. Throws FileError starting with `where` when it cannot.
void write_zip(const std::string& path, const std::vector<ZipEntry>& entries, const std::string& where);

}  // namespace strata::detail
