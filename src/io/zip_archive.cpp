#include "io/zip_archive.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>

#include "strata/error.hpp"

namespace strata::detail {
namespace {

constexpr int64_t kMaxEntries = 100000;
// Keras's own guard (saving_lib._reject_zip_bomb): past 4 GiB, an entry may not expand more than 100 times
// what the archive stores for it. Keras writes entries stored, so a real one is about 1:1.
constexpr uint64_t kBombFloor = uint64_t{1} << 32;
constexpr uint64_t kMaxExpansion = 100;

std::string libzip_error(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

bool unsafe_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos ||
      name.find('\0') != std::string::npos)
    return true;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t slash = std::min(name.find('/', start), name.size());
    if (name.compare(start, slash - start, "..") == 0 && slash - start == 2) return true;
    start = slash + 1;
  }
  return false;
}

}  // namespace

ZipReader::ZipReader(const std::string& path, std::string where) : path_(path), where_(std::move(where)) {
  int code = 0;
  std::unique_ptr<zip_t, decltype(&zip_discard)> archive(
      zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code), &zip_discard);
  if (archive == nullptr) {
    throw FileError(fmt::format("{} Cannot read the zip archive: {}", where_, libzip_error(code)));
  }
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0 || count > kMaxEntries) {
    throw FileError(
        fmt::format("{} The archive has {} entries; expected at most {}", where_, count, kMaxEntries));
  }
  std::set<std::string> seen;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* raw = zip_get_name(archive.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    std::string name = raw != nullptr ? raw : "";
    if (raw == nullptr || unsafe_name(name)) {
      throw FileError(
          fmt::format("{} The archive holds an entry named \"{}\", which could write outside a folder "
                      "when unpacked; refusing the archive",
                      where_, name));
    }
    // libzip reads the first of two entries of one name, Python's zipfile the last: Keras and strata would
    // read different files.
    if (!seen.insert(name).second) {
      throw FileError(
          fmt::format("{} The archive holds two entries named \"{}\"; refusing the archive", where_, name));
    }
    names_.push_back(std::move(name));
  }
  archive_ = archive.release();
}

ZipReader::~ZipReader() {
  if (archive_ != nullptr) zip_discard(archive_);
}

bool ZipReader::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

template <class Sink>
void ZipReader::stream(const std::string& name, uint64_t limit, Sink&& sink) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (!contains(name) || zip_stat(archive_, name.c_str(), ZIP_FL_ENC_RAW, &st) != 0) {
    throw FileError(fmt::format("{} The archive has no entry \"{}\"", where_, name));
  }
  const uint64_t size = st.size, stored = st.comp_size;
  if (size > limit) {
    throw FileError(
        fmt::format("{} The entry \"{}\" declares {} bytes; expected at most {}", where_, name, size, limit));
  }
  if (size > kBombFloor && size > kMaxExpansion * stored) {
    throw FileError(
        fmt::format("{} The entry \"{}\" declares {} bytes but stores {}: refusing a possible "
                    "decompression bomb",
                    where_, name, size, stored));
  }
  const std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(
      zip_fopen(archive_, name.c_str(), ZIP_FL_ENC_RAW), &zip_fclose);
  if (file == nullptr) {
    throw FileError(fmt::format("{} Cannot open the entry \"{}\": {}", where_, name, zip_strerror(archive_)));
  }
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0) {
      throw FileError(
          fmt::format("{} Cannot read the entry \"{}\": {}", where_, name, zip_file_strerror(file.get())));
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > size) break;
    sink(buffer.data(), static_cast<size_t>(n));
  }
  if (total != size) {
    throw FileError(
        fmt::format("{} The entry \"{}\" declares {} bytes, {} were read", where_, name, size, total));
  }
}

std::string ZipReader::read(const std::string& name, uint64_t limit) const {
  std::string out;
  stream(name, limit, [&](const char* data, size_t n) { out.append(data, n); });
  return out;
}

void ZipReader::extract(const std::string& name, const std::string& destination, uint64_t limit) const {
  std::ofstream out(destination, std::ios::binary | std::ios::trunc);
  if (!out) throw FileError(fmt::format("{} Cannot write the temporary file {}", where_, destination));
  stream(name, limit, [&](const char* data, size_t n) { out.write(data, static_cast<std::streamsize>(n)); });
  out.close();
  if (!out)
    throw FileError(fmt::format("{} Cannot write the temporary file {} (disk full?)", where_, destination));
}

void write_zip(const std::string& path, const std::vector<ZipEntry>& entries, const std::string& where) {
  int code = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (archive == nullptr) {
    throw FileError(fmt::format("{} Cannot create the zip archive: {}", where, libzip_error(code)));
  }
  for (const ZipEntry& entry : entries) {
    // libzip reads the sources when the archive is closed: the bytes stay alive in `entries` until then.
    zip_source_t* source = entry.file.empty()
                               ? zip_source_buffer(archive, entry.bytes.data(), entry.bytes.size(), 0)
                               : zip_source_file(archive, entry.file.c_str(), 0, 0);  // length 0: to the end
    zip_int64_t index = -1;
    if (source != nullptr) {
      index = zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
      if (index < 0) zip_source_free(source);
    }
    if (index < 0 ||
        zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0) {
      const std::string error = zip_strerror(archive);
      zip_discard(archive);
      throw FileError(fmt::format("{} Cannot add {} to the archive: {}", where, entry.name, error));
    }
  }
  if (zip_close(archive) != 0) {
    const std::string error = zip_strerror(archive);
    zip_discard(archive);
    throw FileError(fmt::format("{} Cannot write the zip archive: {}", where, error));
  }
}

}  // namespace strata::detail
