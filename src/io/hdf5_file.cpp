#include "io/hdf5_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>

namespace strata::detail::h5 {
namespace {

// Bounds on what a file may ask this reader to allocate or walk. Keras files are far below them.
constexpr hsize_t kMaxLinks = 1'000'000;
constexpr size_t kMaxNameBytes = 65'536;
constexpr hsize_t kMaxStrings = 1'000'000;
constexpr size_t kMaxStringBytes = size_t{64} << 20;
constexpr int kMaxRank = 32;
constexpr int kWalkBudget = 100'000;

// The most specific message on this thread's HDF5 error stack (the innermost one), then clears the stack.
std::string hdf5_message() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
        if (error != nullptr && error->desc != nullptr && error->desc[0] != '\0') {
          static_cast<std::vector<std::string>*>(data)->emplace_back(error->desc);
        }
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  return messages.empty() ? std::string() : messages.back();
}

[[noreturn]] void fail(const std::string& what) {
  const std::string why = hdf5_message();
  throw Failure(why.empty() ? what : fmt::format("{} (HDF5: {})", what, why));
}

hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

void checked_status(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

std::vector<std::string> split_path(const std::string& relative) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = relative.find('/', start);
    parts.push_back(relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool usable_component(const std::string& part) {
  return !part.empty() && part != "." && part != ".." && part.size() <= kMaxNameBytes;
}

uint64_t link_address(hid_t group, const H5L_info_t& info);

// Opens the object `relative` leads to through hard links, or returns an empty handle and the reason. With
// `file`, each object header is checked by strata before libhdf5 decodes it.
Handle open_object(hid_t start, const std::string& relative, Kind& kind, const FileInfo* file) {
  kind = Kind::kMissing;
  Handle current;
  hid_t at = start;
  const std::vector<std::string> parts = split_path(relative);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (!usable_component(part)) return Handle();
    const htri_t exists = H5Lexists(at, part.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return Handle();
    }
    H5L_info_t info;
    if (H5Lget_info(at, part.c_str(), &info, H5P_DEFAULT) < 0) {
      H5Eclear2(H5E_DEFAULT);
      return Handle();
    }
    if (info.type != H5L_TYPE_HARD) {
      kind = Kind::kOther;  // soft and external links are not followed
      return Handle();
    }
    if (file != nullptr) check_object_header(*file, link_address(at, info));
    const hid_t id = H5Oopen(at, part.c_str(), H5P_DEFAULT);
    if (id < 0) {
      H5Eclear2(H5E_DEFAULT);
      kind = Kind::kOther;
      return Handle();
    }
    Handle next(id, H5Oclose);
    const H5I_type_t type = H5Iget_type(id);
    const bool last = i + 1 == parts.size();
    if (!last && type != H5I_GROUP) {
      kind = Kind::kMissing;
      return Handle();
    }
    current = std::move(next);
    at = current.get();
    if (last) kind = type == H5I_GROUP ? Kind::kGroup : type == H5I_DATASET ? Kind::kDataset : Kind::kOther;
  }
  return current;
}

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::kMissing: return "nothing";
    case Kind::kGroup: return "a group";
    case Kind::kDataset: return "a dataset";
    case Kind::kOther: return "a link or object of another kind";
  }
  return "?";
}

uint64_t read_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hex_bytes(const unsigned char* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{}{:02x}", i ? " " : "", p[i]);
  return s;
}

// Widens IEEE half precision bits to float, exactly.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

bool has_fields(hid_t type, size_t spos, size_t epos, size_t esize, size_t mpos, size_t msize) {
  size_t s = 0, ep = 0, es = 0, mp = 0, ms = 0;
  if (H5Tget_fields(type, &s, &ep, &es, &mp, &ms) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return s == spos && ep == epos && es == esize && mp == mpos && ms == msize;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// The check before libhdf5: signature, superblock, length.

FileInfo check_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Failure("No such file");
  if (fs::is_directory(status)) throw Failure("It is a directory, not a file");
  if (!fs::is_regular_file(status)) throw Failure("It is not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Failure(fmt::format("Cannot get its size: {}", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(fmt::format("Cannot open it for reading: {}", std::strerror(errno)));
  if (size == 0) throw Failure("Not an HDF5 file: the file is empty");

  auto read_at = [&](uintmax_t offset, unsigned char* out, size_t n) {
    if (offset > size || n > size - offset) return false;
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<size_t>(in.gcount()) == n;
  };

  static constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  // HDF5 looks for its signature at 0, then after a user block of 512, 1024, 2048, ... bytes.
  std::optional<uintmax_t> at;
  for (uintmax_t offset = 0; offset < size; offset = offset == 0 ? 512 : offset * 2) {
    unsigned char head[8];
    if (!read_at(offset, head, 8)) break;
    if (std::memcmp(head, kSignature, 8) == 0) {
      at = offset;
      break;
    }
  }
  if (!at) {
    unsigned char head[8] = {};
    const size_t n = static_cast<size_t>(std::min<uintmax_t>(size, 8));
    read_at(0, head, n);
    std::string hint;
    if (n >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) {
      hint = "; it is a zip archive, as a Keras .keras model file is: extract its model.weights.h5 and load that";
    } else if (n >= 6 && std::memcmp(head, "\x93NUMPY", 6) == 0) {
      hint = "; it is a NumPy .npy file (see strata::load_npy)";
    }
    throw Failure(fmt::format("Not an HDF5 file: no HDF5 signature (it starts with bytes {}){}", hex_bytes(head, n),
                              hint));
  }

  // The superblock: version 0 and 1 (HDF5 1.8's default) or 2 and 3 (libver latest).
  unsigned char sb[128] = {};
  const uintmax_t base_offset = *at;
  if (!read_at(base_offset, sb, 16)) throw Failure("Truncated file: it ends inside the HDF5 superblock");
  const int version = sb[8];
  int size_of_offsets = 0, size_of_lengths = 0;
  size_t fixed = 0;  // bytes before the base address
  if (version == 0 || version == 1) {
    size_of_offsets = sb[13];
    size_of_lengths = sb[14];
    fixed = version == 0 ? 24 : 28;
  } else if (version == 2 || version == 3) {
    size_of_offsets = sb[9];
    size_of_lengths = sb[10];
    fixed = 12;
  } else {
    throw Failure(fmt::format("Unsupported HDF5 file: superblock version {} (this reader knows 0 to 3)", version));
  }
  for (const int bytes : {size_of_offsets, size_of_lengths}) {
    if (bytes != 2 && bytes != 4 && bytes != 8) {
      throw Failure(fmt::format("Damaged HDF5 file: the superblock gives addresses or lengths {} bytes (expected 2, "
                                "4 or 8)",
                                bytes));
    }
  }
  // Base address, then (v0/1: free-space address; v2/3: extension address), then the end-of-file address.
  const size_t needed = fixed + 3 * static_cast<size_t>(size_of_offsets);
  if (!read_at(base_offset, sb, needed)) throw Failure("Truncated file: it ends inside the HDF5 superblock");
  const uint64_t base = read_le(sb + fixed, size_of_offsets);
  const uint64_t stored_eof = read_le(sb + fixed + 2 * static_cast<size_t>(size_of_offsets), size_of_offsets);
  const uint64_t undefined = size_of_offsets == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size_of_offsets)) - 1;
  if (base == undefined || stored_eof == undefined || base >= size) {
    throw Failure("Damaged HDF5 file: the superblock's base or end-of-file address is not valid");
  }
  // libhdf5 compares the end-of-file address with the whole file's size, user block included (as
  // H5F__super_read's "truncated file" check does).
  if (stored_eof > size) {
    throw Failure(fmt::format("Truncated file: it has {} bytes, its HDF5 superblock says {}", size, stored_eof));
  }
  // The root group's object header: in the root symbol table entry (versions 0 and 1, after the driver
  // information address) or right after the end-of-file address (versions 2 and 3).
  const size_t root_at = version <= 1 ? fixed + 5 * static_cast<size_t>(size_of_offsets)
                                      : fixed + 3 * static_cast<size_t>(size_of_offsets);
  if (!read_at(base_offset, sb, root_at + static_cast<size_t>(size_of_offsets))) {
    throw Failure("Truncated file: it ends inside the HDF5 superblock");
  }
  FileInfo info{path,
                static_cast<uint64_t>(size),
                base,
                size_of_offsets,
                size_of_lengths,
                read_le(sb + root_at, size_of_offsets),
                0,
                {}};
  if (version <= 1) {
    // The root entry's cache type (4 bytes), 4 reserved, then a scratch pad that, for cache type 1, holds the
    // root group's B-tree and local heap addresses, which libhdf5 uses instead of the root header's.
    const size_t cache_at = root_at + static_cast<size_t>(size_of_offsets);
    const size_t heap_at = cache_at + 8 + static_cast<size_t>(size_of_offsets);
    if (!read_at(base_offset, sb, heap_at + static_cast<size_t>(size_of_offsets))) {
      throw Failure("Truncated file: it ends inside the HDF5 superblock");
    }
    if (read_le(sb + cache_at, 4) == 1) info.root_cached_heap = read_le(sb + heap_at, size_of_offsets);
  }
  return info;
}

// ---------------------------------------------------------------------------------------------------------
// strata's own reading of object headers and global heaps, for variable-length string attributes
// (HDF5 file format specification, version 2 and 3 of the format: "Object Headers", "Attribute Message",
// "Datatype Message", "Dataspace Message", "Global Heap").

namespace {

constexpr uint64_t kMaxChunkBytes = uint64_t{16} << 20;
constexpr uint64_t kMaxHeapBytes = uint64_t{64} << 20;
constexpr int kMaxChunks = 1024;

class RawFile {
 public:
  explicit RawFile(const FileInfo& info) : info_(info), in_(info.path, std::ios::binary) {
    if (!in_) throw Failure(fmt::format("Cannot open it for reading: {}", std::strerror(errno)));
  }
  const FileInfo& info() const { return info_; }
  // `n` bytes at the file address `address` (relative to the base address), or Failure.
  std::vector<unsigned char> read(uint64_t address, uint64_t n, const std::string& what) {
    const uint64_t offset = info_.base + address;
    if (address > info_.size || offset < address || offset > info_.size || n > info_.size - offset) {
      throw Failure(fmt::format("Damaged HDF5 file: {} at address {} ({} bytes) lies outside the file", what, address, n));
    }
    std::vector<unsigned char> bytes(static_cast<size_t>(n));
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in_.gcount()) != n) throw Failure(fmt::format("Cannot read {} at address {}", what, address));
    return bytes;
  }

 private:
  const FileInfo& info_;
  std::ifstream in_;
};

// A bounds-checked cursor over bytes read from the file.
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

struct Message {
  int type = 0;
  int flags = 0;
  std::vector<unsigned char> data;
};

// Every message of the object header at `address`, continuation chunks included.
std::vector<Message> header_messages(RawFile& file, uint64_t address) {
  const int O = file.info().sizeof_offsets, L = file.info().sizeof_lengths;
  std::vector<Message> messages;
  std::vector<std::pair<uint64_t, uint64_t>> chunks;  // (address, length) of continuation chunks
  const std::vector<unsigned char> head = file.read(address, 4, "an object header");
  const bool v2 = std::memcmp(head.data(), "OHDR", 4) == 0;
  bool creation_order = false;

  auto parse_chunk = [&](const std::vector<unsigned char>& bytes, size_t begin, size_t end) {
    Cursor c(bytes, begin, end, "an object header chunk");
    const size_t header = v2 ? (creation_order ? 6 : 4) : 8;
    while (c.left() >= header) {
      Message m;
      uint64_t size = 0;
      if (v2) {
        m.type = static_cast<int>(c.take(1));
        size = c.take(2);
        m.flags = static_cast<int>(c.take(1));
        if (creation_order) c.skip(2);
      } else {
        m.type = static_cast<int>(c.take(2));
        size = c.take(2);
        m.flags = static_cast<int>(c.take(1));
        c.skip(3);
      }
      c.need(size);
      m.data.assign(bytes.begin() + static_cast<long>(c.at()), bytes.begin() + static_cast<long>(c.at() + size));
      c.skip(size);
      if (m.type == 0x10) {  // continuation: the address and length of another chunk
        Cursor d(m.data, 0, m.data.size(), "a continuation message");
        const uint64_t at = d.take(static_cast<size_t>(O));
        const uint64_t length = d.take(static_cast<size_t>(L));
        if (chunks.size() >= static_cast<size_t>(kMaxChunks) || length > kMaxChunkBytes) {
          throw Failure("Damaged HDF5 file: an object header has too many or too large continuation chunks");
        }
        chunks.emplace_back(at, length);
      }
      messages.push_back(std::move(m));
    }
  };

  if (v2) {
    // "OHDR", version, flags, [times], [attribute phase change], size of chunk 0, messages, checksum.
    const std::vector<unsigned char> prefix = file.read(address, 6, "an object header");
    if (prefix[4] != 2) throw Failure("Damaged HDF5 file: an object header of an unknown version");
    const int flags = prefix[5];
    creation_order = (flags & 0x04) != 0;
    uint64_t size_at = 6 + ((flags & 0x20) ? 16 : 0) + ((flags & 0x10) ? 4 : 0);
    const int width = 1 << (flags & 0x03);
    const std::vector<unsigned char> w = file.read(address + size_at, static_cast<uint64_t>(width), "an object header");
    const uint64_t chunk0 = read_le(w.data(), width);
    if (chunk0 > kMaxChunkBytes) throw Failure("Damaged HDF5 file: an object header chunk is too large");
    const uint64_t start = size_at + static_cast<uint64_t>(width);
    const std::vector<unsigned char> bytes = file.read(address, start + chunk0, "an object header");
    parse_chunk(bytes, static_cast<size_t>(start), static_cast<size_t>(start + chunk0));
  } else {
    // Version 1: version, reserved, message count, reference count, header size, padding to 8 bytes.
    const std::vector<unsigned char> prefix = file.read(address, 16, "an object header");
    if (prefix[0] != 1) throw Failure("Damaged HDF5 file: an object header of an unknown version");
    const uint64_t size = read_le(prefix.data() + 8, 4);
    if (size > kMaxChunkBytes) throw Failure("Damaged HDF5 file: an object header chunk is too large");
    const std::vector<unsigned char> bytes = file.read(address + 16, size, "an object header");
    parse_chunk(bytes, 0, bytes.size());
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto [at, length] = chunks[i];
    const std::vector<unsigned char> bytes = file.read(at, length, "an object header continuation");
    if (v2) {
      if (length < 8 || std::memcmp(bytes.data(), "OCHK", 4) != 0) {
        throw Failure("Damaged HDF5 file: an object header continuation lacks its signature");
      }
      parse_chunk(bytes, 4, static_cast<size_t>(length - 4));
    } else {
      parse_chunk(bytes, 0, bytes.size());
    }
  }
  return messages;
}

uint64_t align8(uint64_t n) { return (n + 7) / 8 * 8; }

// One global heap collection: its objects' sizes and where their data starts (file addresses).
struct HeapCollection {
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> objects;  // index -> (size, data address)
};

HeapCollection read_heap(RawFile& file, uint64_t address) {
  const int L = file.info().sizeof_lengths;
  const std::vector<unsigned char> head = file.read(address, 8 + static_cast<uint64_t>(L), "a global heap collection");
  if (std::memcmp(head.data(), "GCOL", 4) != 0 || head[4] != 1) {
    throw Failure(fmt::format("Damaged HDF5 file: no global heap collection at address {}", address));
  }
  const uint64_t size = read_le(head.data() + 8, L);
  if (size < head.size() || size > kMaxHeapBytes) {
    throw Failure(fmt::format("Damaged HDF5 file: the global heap collection at address {} claims {} bytes", address, size));
  }
  const std::vector<unsigned char> bytes = file.read(address, size, "a global heap collection");
  // As libhdf5's H5HG__cache_heap_deserialize walks it: objects one after the other, each an index, a
  // reference count, reserved bytes, a size and the data padded to 8 bytes; index 0 is free space whose
  // size counts its own header. libhdf5 only asserts that the sizes fit; here they must.
  HeapCollection heap;
  const uint64_t object_header = 8 + static_cast<uint64_t>(L);
  uint64_t at = head.size();
  std::set<uint64_t> seen;
  while (at < size) {
    if (size - at < object_header) break;  // the tail is free space
    const uint64_t index = read_le(bytes.data() + at, 2);
    const uint64_t object_size = read_le(bytes.data() + at + 8, L);
    const uint64_t need = index > 0 ? object_header + align8(object_size) : object_size;
    if (object_size > size || need > size - at || (index == 0 && need < object_header)) {
      throw Failure(fmt::format("Damaged HDF5 file: object {} of the global heap collection at address {} claims {} "
                                "bytes, which do not fit the collection",
                                index, address, object_size));
    }
    if (!seen.insert(index).second) {
      throw Failure(fmt::format("Damaged HDF5 file: object {} appears twice in the global heap collection at address {}",
                                index, address));
    }
    if (index > 0) heap.objects.emplace(index, std::make_pair(object_size, address + at + object_header));
    at += need;
  }
  return heap;
}

}  // namespace

namespace {

// libhdf5 1.10.8 overflows its buffers reading damaged chunked (compressed) datasets, whose chunk index and
// filter output strata cannot check cheaply; Keras writes contiguous datasets.
constexpr const char* kChunkedRefused =
    "Unsupported HDF5 file: a dataset stored in chunks (compressed?), which strata does not read; Keras writes "
    "contiguous datasets (h5repack -l CONTI converts a file)";

// The datatype at the cursor (a datatype message, or one nested in another); returns its size in bytes.
uint64_t check_datatype(Cursor& c, int depth) {
  if (depth > 8) throw Failure("Damaged HDF5 file: datatypes nested too deeply");
  const uint64_t class_version = c.take(1);
  const uint64_t bits = c.take(3);
  const uint64_t size = c.take(4);
  const int cls = static_cast<int>(class_version & 0x0f);
  const int version = static_cast<int>(class_version >> 4);
  if (version < 1 || version > 4) throw Failure("Damaged HDF5 file: a datatype of an unknown version");
  if (size > (uint64_t{1} << 30)) throw Failure("Damaged HDF5 file: a datatype claims an impossible size");
  switch (cls) {
    case 0:    // fixed-point: bit offset, bit precision
    case 4: {  // bitfield: the same
      const uint64_t offset = c.take(2), precision = c.take(2);
      if (size == 0 || offset + precision > size * 8) throw Failure("Damaged HDF5 file: an integer datatype is inconsistent");
      return size;
    }
    case 1: {  // floating point: bit offset, precision, exponent and mantissa locations and sizes, bias
      const uint64_t offset = c.take(2), precision = c.take(2);
      const uint64_t epos = c.take(1), esize = c.take(1), mpos = c.take(1), msize = c.take(1);
      c.take(4);
      const uint64_t sign = (bits >> 8) & 0xff;
      if (size == 0 || offset + precision > size * 8 || epos + esize > precision || mpos + msize > precision ||
          esize == 0 || esize > 32 || msize == 0 || msize > 64 || sign >= precision) {
        throw Failure("Damaged HDF5 file: a floating-point datatype is inconsistent");
      }
      return size;
    }
    case 2:  // time: bit precision
      c.take(2);
      return size;
    case 3:  // string: no properties
      if (size == 0) throw Failure("Damaged HDF5 file: a string datatype of size 0");
      return size;
    case 5: {  // opaque: a tag padded to 8 bytes, its length in the low bits
      const uint64_t tag = bits & 0xff;
      c.skip((tag + 7) / 8 * 8);
      return size;
    }
    case 7:  // reference: no properties
      return size;
    case 9:  // variable-length: the base type
      check_datatype(c, depth + 1);
      return size;
    default:
      throw Failure(fmt::format("Unsupported HDF5 file: a datatype of class {} (compound, enumeration or array), which "
                                "Keras weight files do not use",
                                cls));
  }
}

// Returns the number of elements of the dataspace at the cursor.
uint64_t check_dataspace(Cursor& c, int L) {
  const uint64_t version = c.take(1);
  const uint64_t rank = c.take(1);
  const uint64_t flags = c.take(1);
  bool null = false;
  if (version == 1) {
    c.skip(5);
    if (flags & 0x02) throw Failure("Unsupported HDF5 file: a dataspace with a permutation");
  } else if (version == 2) {
    const uint64_t kind = c.take(1);
    if (kind > 2) throw Failure("Damaged HDF5 file: a dataspace of an unknown kind");
    null = kind == 2;
  } else {
    throw Failure("Damaged HDF5 file: a dataspace of an unknown version");
  }
  if (rank > 32) throw Failure("Damaged HDF5 file: a dataspace of rank above 32");
  uint64_t count = null ? 0 : 1;
  for (uint64_t i = 0; i < rank; ++i) {
    const uint64_t d = c.take(static_cast<size_t>(L));
    if (d != 0 && count > (uint64_t{1} << 62) / d) throw Failure("Damaged HDF5 file: a dataspace too large");
    count *= d;
  }
  if (flags & 0x01) c.skip(rank * static_cast<uint64_t>(L));  // maximum dimensions
  return count;
}

void check_message(const Message& m, int O, int L) {
  Cursor c(m.data, 0, m.data.size(), fmt::format("a message of type {}", m.type));
  if (m.flags & 0x02) {  // shared: a reference to the message stored elsewhere
    if (m.type == 0x03 || m.type == 0x01 || m.type == 0x05 || m.type == 0x0B) {
      const uint64_t version = c.take(1);
      c.take(1);
      if (version == 1) c.skip(6);
      c.skip(static_cast<uint64_t>(O));
      return;
    }
  }
  switch (m.type) {
    case 0x01:
      check_dataspace(c, L);
      return;
    case 0x03:
      check_datatype(c, 0);
      return;
    case 0x04:  // old fill value: size, value
      c.skip(c.take(4));
      return;
    case 0x05: {  // fill value
      const uint64_t version = c.take(1);
      if (version == 1 || version == 2) {
        c.take(1);
        c.take(1);
        const uint64_t defined = c.take(1);
        if (version == 1 || defined) c.skip(c.take(4));
      } else if (version == 3) {
        const uint64_t flags = c.take(1);
        if (flags & 0x20) c.skip(c.take(4));
      } else {
        throw Failure("Damaged HDF5 file: a fill value message of an unknown version");
      }
      return;
    }
    case 0x06: {  // link
      if (c.take(1) != 1) throw Failure("Damaged HDF5 file: a link message of an unknown version");
      const uint64_t flags = c.take(1);
      uint64_t type = 0;
      if (flags & 0x08) type = c.take(1);
      if (flags & 0x04) c.skip(8);
      if (flags & 0x10) c.take(1);
      const uint64_t name_length = c.take(size_t{1} << (flags & 0x03));
      if (name_length == 0) throw Failure("Damaged HDF5 file: a link with an empty name");
      c.skip(name_length);
      if (type == 0) {
        c.skip(static_cast<uint64_t>(O));
      } else {
        c.skip(c.take(2));
      }
      return;
    }
    case 0x08: {  // layout
      const uint64_t version = c.take(1);
      if (version == 1 || version == 2) {
        const uint64_t rank = c.take(1);
        const uint64_t cls = c.take(1);
        c.skip(5);
        if (rank == 0 || rank > 33) throw Failure("Damaged HDF5 file: a layout of impossible rank");
        if (cls == 2) throw Failure(kChunkedRefused);
        if (cls != 0) c.skip(static_cast<uint64_t>(O));
        c.skip(rank * 4);
        if (cls == 0) c.skip(c.take(4));
      } else if (version == 3) {
        const uint64_t cls = c.take(1);
        if (cls == 0) {
          c.skip(c.take(2));
        } else if (cls == 1) {
          c.skip(static_cast<uint64_t>(O + L));
        } else if (cls == 2) {
          throw Failure(kChunkedRefused);
        } else {
          throw Failure("Damaged HDF5 file: a layout of an unknown class");
        }
      } else if (version == 4) {
        const uint64_t cls = c.take(1);
        if (cls == 0) {
          c.skip(c.take(2));
        } else if (cls == 1) {
          c.skip(static_cast<uint64_t>(O + L));
        } else if (cls == 2) {
          throw Failure(kChunkedRefused);
        } else {
          throw Failure("Unsupported HDF5 file: a virtual or unknown dataset layout");
        }
      } else {
        throw Failure("Damaged HDF5 file: a layout message of an unknown version");
      }
      return;
    }
    case 0x0B: {  // filter pipeline
      const uint64_t version = c.take(1);
      const uint64_t filters = c.take(1);
      if (filters > 32) throw Failure("Damaged HDF5 file: a filter pipeline of more than 32 filters");
      if (version == 1) {
        c.skip(6);
      } else if (version != 2) {
        throw Failure("Damaged HDF5 file: a filter pipeline of an unknown version");
      }
      for (uint64_t i = 0; i < filters; ++i) {
        const uint64_t id = c.take(2);
        const uint64_t name_length = (version == 1 || id >= 256) ? c.take(2) : 0;
        c.take(2);  // flags
        const uint64_t values = c.take(2);
        c.skip(version == 1 ? align8(name_length) : name_length);
        c.skip(values * 4);
        if (version == 1 && values % 2 == 1) c.skip(4);
      }
      return;
    }
    case 0x0C: {  // attribute: name, datatype, dataspace, then the data libhdf5 copies
      const uint64_t version = c.take(1);
      const uint64_t flags = c.take(1);
      const uint64_t name_size = c.take(2);
      const uint64_t type_size = c.take(2);
      const uint64_t space_size = c.take(2);
      if (version == 3) c.take(1);
      if (version < 1 || version > 3) throw Failure("Damaged HDF5 file: an attribute message of an unknown version");
      auto padded = [&](uint64_t n) { return version == 1 ? align8(n) : n; };
      if (name_size == 0) throw Failure("Damaged HDF5 file: an attribute without a name");
      c.need(name_size);
      if (m.data[c.at() + static_cast<size_t>(name_size) - 1] != '\0') {
        throw Failure("Damaged HDF5 file: an attribute name without its terminating zero");
      }
      c.skip(padded(name_size));
      c.need(type_size);
      uint64_t element = 0;
      {
        Cursor t(m.data, c.at(), c.at() + static_cast<size_t>(type_size), "an attribute's datatype");
        if (flags & 0x01) {
          t.skip(2 + static_cast<uint64_t>(O));
          throw Failure("Unsupported HDF5 file: an attribute with a shared datatype");
        }
        element = check_datatype(t, 0);
      }
      c.skip(padded(type_size));
      c.need(space_size);
      uint64_t count = 0;
      {
        Cursor d(m.data, c.at(), c.at() + static_cast<size_t>(space_size), "an attribute's dataspace");
        if (flags & 0x02) throw Failure("Unsupported HDF5 file: an attribute with a shared dataspace");
        count = check_dataspace(d, L);
      }
      c.skip(padded(space_size));
      if (element != 0 && count > c.left() / element) {
        throw Failure("Damaged HDF5 file: an attribute's data is larger than its message");
      }
      return;
    }
    case 0x11:  // symbol table: B-tree and local heap addresses
      c.skip(2 * static_cast<uint64_t>(O));
      return;
    default:
      return;
  }
}

}  // namespace

namespace {

// The local heap of an old-style group (its link names), as libhdf5's H5HL__cache_prefix_deserialize reads
// its prefix: "HEAP", version 0, 3 reserved bytes, the data segment's size, the free list's offset, the data
// segment's address. libhdf5 allocates the data segment by the size read there before it checks it against
// the file (a damaged size asked for 16 EB, fuzzing, tests/fuzz/README.md), so it must fit here first.
void check_local_heap(RawFile& file, uint64_t address) {
  const int O = file.info().sizeof_offsets, L = file.info().sizeof_lengths;
  const std::vector<unsigned char> prefix =
      file.read(address, 8 + 2 * static_cast<uint64_t>(L) + static_cast<uint64_t>(O), "a local heap");
  if (std::memcmp(prefix.data(), "HEAP", 4) != 0 || prefix[4] != 0) {
    throw Failure(fmt::format("Damaged HDF5 file: no local heap at address {}", address));
  }
  const uint64_t size = read_le(prefix.data() + 8, L);
  const uint64_t data = read_le(prefix.data() + 8 + 2 * L, O);
  const uint64_t file_size = file.info().size;
  const uint64_t addressable =
      file_size - std::min(file_size, file.info().base);  // addresses count from base
  if (size > kMaxHeapBytes || data > addressable || size > addressable - data) {
    throw Failure(
        fmt::format("Damaged HDF5 file: the local heap at address {} claims {} bytes at address {}, "
                    "outside the file's {} bytes",
                    address, size, data, file_size));
  }
  // Its free list, which libhdf5's H5HL__fl_deserialize follows block by block, allocating each, with no
  // check for a loop (fuzzing: a block pointing back at itself took 24 GB before the kernel killed the
  // process). Offset 1 (H5HL_FREE_NULL) ends the list.
  constexpr uint64_t kFreeNull = 1;
  uint64_t block = read_le(prefix.data() + 8 + L, L);
  if (block == kFreeNull) return;
  const std::vector<unsigned char> bytes = file.read(data, size, "a local heap's data");
  std::set<uint64_t> seen;
  while (block != kFreeNull) {
    if (block > size || 2 * static_cast<uint64_t>(L) > size - block) {
      throw Failure(
          fmt::format("Damaged HDF5 file: a free block of the local heap at address {} lies at offset {}, "
                      "outside its {} bytes",
                      address, block, size));
    }
    if (!seen.insert(block).second) {
      throw Failure(
          fmt::format("Damaged HDF5 file: the free list of the local heap at address {} loops back to "
                      "offset {}",
                      address, block));
    }
    const uint64_t next = read_le(bytes.data() + block, L);
    const uint64_t block_size = read_le(bytes.data() + block + L, L);
    if (block_size > size - block) {
      throw Failure(
          fmt::format("Damaged HDF5 file: a free block of the local heap at address {} claims {} bytes at "
                      "offset {} of its {}",
                      address, block_size, block, size));
    }
    block = next;
  }
}

}  // namespace

void check_object_header(const FileInfo& info, uint64_t address) {
  if (info.checked_headers.contains(address)) return;
  RawFile file(info);
  for (const Message& m : header_messages(file, address)) {
    check_message(m, info.sizeof_offsets, info.sizeof_lengths);
    if (m.type == 0x11 && !(m.flags & 0x02)) {  // symbol table: the B-tree's address, then the local heap's
      Cursor c(m.data, 0, m.data.size(), "a symbol table message");
      c.skip(static_cast<uint64_t>(info.sizeof_offsets));
      check_local_heap(file, c.take(static_cast<size_t>(info.sizeof_offsets)));
    }
  }
  if (address == info.root && info.root_cached_heap != 0) check_local_heap(file, info.root_cached_heap);
  info.checked_headers.insert(address);
}

void check_vlen_string_attribute(const FileInfo& info, uint64_t address, const std::string& name) {
  RawFile file(info);
  const int O = info.sizeof_offsets, L = info.sizeof_lengths;
  const std::string what = fmt::format("the attribute '{}'", name);
  for (const Message& m : header_messages(file, address)) {
    if (m.type != 0x0C) continue;  // attribute messages only
    if (m.flags & 0x02) continue;  // a shared message: not an attribute stored here
    Cursor c(m.data, 0, m.data.size(), "an attribute message");
    const uint64_t version = c.take(1);
    const uint64_t flags = c.take(1);
    const uint64_t name_size = c.take(2);
    const uint64_t type_size = c.take(2);
    const uint64_t space_size = c.take(2);
    if (version == 3) c.skip(1);  // the name's character set
    if (version < 1 || version > 3) throw Failure("Damaged HDF5 file: an attribute message of an unknown version");
    auto padded = [&](uint64_t n) { return version == 1 ? align8(n) : n; };
    c.need(name_size);
    const size_t name_at = c.at();
    std::string attribute_name(reinterpret_cast<const char*>(m.data.data() + name_at), static_cast<size_t>(name_size));
    if (const size_t nul = attribute_name.find('\0'); nul != std::string::npos) attribute_name.resize(nul);
    c.skip(padded(name_size));
    if (attribute_name != name) continue;
    if (flags & 0x03) throw Failure(fmt::format("Cannot check {}: its datatype or dataspace is shared", what));
    // Datatype: class in the low 4 bits of the first byte; 9 is variable-length.
    c.need(type_size);
    if (type_size < 8 || (m.data[c.at()] & 0x0f) != 9) {
      throw Failure(fmt::format("Damaged HDF5 file: {} is not stored as variable-length strings", what));
    }
    c.skip(padded(type_size));
    // Dataspace: version 1 (rank, flags, 5 reserved bytes) or 2 (rank, flags, type), then the dimensions.
    c.need(space_size);
    Cursor space(m.data, c.at(), c.at() + static_cast<size_t>(space_size), "a dataspace message");
    const uint64_t space_version = space.take(1);
    const uint64_t rank = space.take(1);
    space.take(1);  // flags
    uint64_t count = 1;
    if (space_version == 1) {
      space.skip(5);
    } else if (space_version == 2) {
      const uint64_t kind = space.take(1);
      if (kind == 2) count = 0;
    } else {
      throw Failure("Damaged HDF5 file: a dataspace message of an unknown version");
    }
    for (uint64_t i = 0; i < rank && count != 0; ++i) {
      const uint64_t d = space.take(static_cast<size_t>(L));
      if (d != 0 && count > kMaxStrings / d) throw Failure(fmt::format("Damaged HDF5 file: {} is too large", what));
      count *= d;
    }
    c.skip(padded(space_size));
    // The data: per string its length, then the global heap collection's address and the object's index.
    const size_t element = 4 + static_cast<size_t>(O) + 4;
    if (count > c.left() / element) {
      throw Failure(fmt::format("Damaged HDF5 file: {} holds {} strings but only {} bytes of data", what, count, c.left()));
    }
    std::map<uint64_t, HeapCollection> heaps;
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t length = c.take(4);
      const uint64_t heap_address = c.take(static_cast<size_t>(O));
      const uint64_t index = c.take(4);
      if (length == 0 || heap_address == 0) continue;  // libhdf5 reads nothing for these
      auto it = heaps.find(heap_address);
      if (it == heaps.end()) it = heaps.emplace(heap_address, read_heap(file, heap_address)).first;
      const auto object = it->second.objects.find(index);
      if (object == it->second.objects.end() || object->second.first != length) {
        throw Failure(fmt::format("Damaged HDF5 file: string {} of {} refers to {} bytes of global heap object {}, "
                                  "which {}",
                                  i, what, length, index,
                                  object == it->second.objects.end()
                                      ? std::string("does not exist")
                                      : fmt::format("holds {} bytes", object->second.first)));
      }
    }
    return;
  }
  // Not among the header's messages: stored densely (a fractal heap), which this check does not read.
  throw Failure(fmt::format("Cannot check {}: it is not stored in its object's header (dense attribute storage is not "
                            "read)",
                            what));
}

namespace {

uint64_t link_address(hid_t group, const H5L_info_t& info) {
#if H5_VERSION_GE(1, 12, 0)
  Handle file(checked(H5Iget_file_id(group), "Cannot locate a link"), H5Fclose);
  haddr_t address = HADDR_UNDEF;
  checked_status(H5VLnative_token_to_addr(file.get(), info.token, &address), "Cannot locate a link");
#else
  (void)group;
  const haddr_t address = info.u.address;
#endif
  if (address == HADDR_UNDEF) throw Failure("Damaged HDF5 file: a hard link without an address");
  return static_cast<uint64_t>(address);
}

uint64_t object_address(hid_t object, const std::string& what) {
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t info;
  checked_status(H5Oget_info3(object, &info, H5O_INFO_BASIC), "Cannot locate " + what);
  Handle file(checked(H5Iget_file_id(object), "Cannot locate " + what), H5Fclose);
  haddr_t address = HADDR_UNDEF;
  checked_status(H5VLnative_token_to_addr(file.get(), info.token, &address), "Cannot locate " + what);
#else
  H5O_info_t info;
  checked_status(H5Oget_info2(object, &info, H5O_INFO_BASIC), "Cannot locate " + what);
  const haddr_t address = info.addr;
#endif
  if (address == HADDR_UNDEF) throw Failure("Cannot locate " + what);
  return static_cast<uint64_t>(address);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

QuietErrors::QuietErrors() {
  if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0) saved_ = true;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() {
  H5Eclear2(H5E_DEFAULT);
  if (saved_) H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::reset() {
  if (id_ >= 0 && closer_ != nullptr && closer_(id_) < 0) H5Eclear2(H5E_DEFAULT);
  id_ = -1;
}

bool Handle::close() {
  if (id_ < 0) return true;
  const bool ok = closer_(id_) >= 0;
  id_ = -1;
  return ok;
}

// ---------------------------------------------------------------------------------------------------------
// Datasets.

std::vector<int64_t> Dataset::dims() const {
  Handle space(checked(H5Dget_space(handle_.get()), fmt::format("Cannot read the dataspace of {}", path_)), H5Sclose);
  const H5S_class_t cls = H5Sget_simple_extent_type(space.get());
  if (cls == H5S_SCALAR) return {};
  if (cls != H5S_SIMPLE) throw Failure(fmt::format("The dataset {} has no data (a null dataspace)", path_));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > kMaxRank) {
    throw Failure(fmt::format("The dataset {} has rank {} (at most {} is read)", path_, rank, kMaxRank));
  }
  std::array<hsize_t, kMaxRank> d{};
  checked_status(H5Sget_simple_extent_dims(space.get(), d.data(), nullptr) < 0 ? -1 : 0,
                 fmt::format("Cannot read the dimensions of {}", path_));
  std::vector<int64_t> out;
  for (int i = 0; i < rank; ++i) {
    if (d[i] > static_cast<hsize_t>(std::numeric_limits<int64_t>::max())) {
      throw Failure(fmt::format("The dataset {} has a dimension of {}", path_, d[i]));
    }
    out.push_back(static_cast<int64_t>(d[i]));
  }
  return out;
}

DataType Dataset::dtype() const {
  Handle type(checked(H5Dget_type(handle_.get()), fmt::format("Cannot read the type of {}", path_)), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());
  // Keras 3 stores bfloat16 as 2-byte values with the attribute dtype="bfloat16".
  if (size == 2 && H5Aexists(handle_.get(), "dtype") > 0) {
    Group self(Handle(checked(H5Oopen(handle_.get(), ".", H5P_DEFAULT), "Cannot reopen " + path_), H5Oclose), path_,
               file_);
    std::vector<std::string> value;
    try {
      value = self.read_strings("dtype");
    } catch (const Failure&) {
    }
    if (value.size() == 1 && value[0] == "bfloat16") return {"bfloat16", 2};
  }
  H5Eclear2(H5E_DEFAULT);
  switch (cls) {
    case H5T_FLOAT:
      if (size == 4 && has_fields(type.get(), 31, 23, 8, 0, 23)) return {"float32", 4};
      if (size == 2 && has_fields(type.get(), 15, 10, 5, 0, 10)) return {"float16", 2};
      if (size == 8) return {"float64", 8};
      return {fmt::format("a {}-byte float", size), size};
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type.get()) == H5T_SGN_2;
      return {fmt::format("{}int{}", is_signed ? "" : "u", 8 * size), size};
    }
    case H5T_STRING: return {"string", size};
    case H5T_BITFIELD: return {"bitfield", size};
    case H5T_OPAQUE: return {"opaque", size};
    case H5T_COMPOUND: return {"compound", size};
    case H5T_REFERENCE: return {"reference", size};
    case H5T_ENUM: return {"enum (bool?)", size};
    case H5T_VLEN: return {"variable-length", size};
    case H5T_ARRAY: return {"array", size};
    default: return {"an unknown type", size};
  }
}

bool Dataset::readable(const DataType& type) {
  return type.name == "float32" || type.name == "float16" || type.name == "bfloat16";
}

std::vector<float> Dataset::read_floats(int64_t count) const {
  const DataType type = dtype();
  if (!readable(type)) throw Failure(fmt::format("The dataset {} holds {}, not float32", path_, type.name));
  int64_t expected = 1;
  for (int64_t d : dims()) {
    if (d != 0 && expected > std::numeric_limits<int64_t>::max() / d) {
      throw Failure(fmt::format("The dataset {} is too large", path_));
    }
    expected *= d;
  }
  if (expected != count) {
    throw Failure(fmt::format("The dataset {} holds {} values, expected {}", path_, expected, count));
  }
  Handle plist(checked(H5Dget_create_plist(handle_.get()), "Cannot read the storage of " + path_), H5Pclose);
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout != H5D_CONTIGUOUS && layout != H5D_COMPACT) {
    H5Eclear2(H5E_DEFAULT);
    throw Failure(fmt::format("The dataset {} uses a storage layout this reader does not read (chunked or virtual)",
                              path_));
  }
  const int external = H5Pget_external_count(plist.get());
  if (external != 0) {
    H5Eclear2(H5E_DEFAULT);
    throw Failure(fmt::format("The dataset {} keeps its data in other files, which this reader does not follow", path_));
  }
  const uint64_t bytes = static_cast<uint64_t>(count) * type.size;
  const hsize_t stored = H5Dget_storage_size(handle_.get());
  if (stored < bytes) {
    H5Eclear2(H5E_DEFAULT);
    throw Failure(fmt::format("The dataset {} stores {} bytes of data, its shape needs {}", path_, stored, bytes));
  }
  std::vector<float> values(static_cast<size_t>(count));
  if (count == 0) return values;
  if (type.name == "float32") {
    checked_status(H5Dread(handle_.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
                   "Cannot read the data of " + path_);
    return values;
  }
  // 2-byte types: read the raw bits (no conversion) and widen them here.
  std::vector<uint16_t> raw(static_cast<size_t>(count));
  Handle file_type(checked(H5Dget_type(handle_.get()), "Cannot read the type of " + path_), H5Tclose);
  Handle memory_type(checked(H5Tcopy(file_type.get()), "Cannot copy the type of " + path_), H5Tclose);
  checked_status(H5Dread(handle_.get(), memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                 "Cannot read the data of " + path_);
  const bool big_endian = H5Tget_class(file_type.get()) != H5T_OPAQUE && H5Tget_order(file_type.get()) == H5T_ORDER_BE;
  H5Eclear2(H5E_DEFAULT);
  for (size_t i = 0; i < raw.size(); ++i) {
    uint16_t bits = raw[i];
    if (big_endian != (std::endian::native == std::endian::big)) bits = static_cast<uint16_t>((bits >> 8) | (bits << 8));
    values[i] = type.name == "float16" ? half_to_float(bits) : std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------------
// Groups.

std::string Group::child_path(const std::string& relative) const {
  return path_ == "/" ? relative : path_ + "/" + relative;
}

Kind Group::kind(const std::string& relative) const {
  Kind kind = Kind::kMissing;
  open_object(handle_.get(), relative, kind, file_.get());
  return kind;
}

Group Group::open_group(const std::string& relative) const {
  Kind kind = Kind::kMissing;
  Handle object = open_object(handle_.get(), relative, kind, file_.get());
  if (kind != Kind::kGroup) {
    throw Failure(fmt::format("Expected a group at {}, found {}", child_path(relative), kind_name(kind)));
  }
  return Group(std::move(object), child_path(relative), file_);
}

Dataset Group::open_dataset(const std::string& relative) const {
  Kind kind = Kind::kMissing;
  Handle object = open_object(handle_.get(), relative, kind, file_.get());
  if (kind != Kind::kDataset) {
    throw Failure(fmt::format("Expected a dataset at {}, found {}", child_path(relative), kind_name(kind)));
  }
  return Dataset(std::move(object), child_path(relative), file_);
}

std::vector<std::string> Group::children() const {
  H5G_info_t info;
  checked_status(H5Gget_info(handle_.get(), &info), "Cannot list the group " + path_);
  if (info.nlinks > kMaxLinks) {
    throw Failure(fmt::format("The group {} has {} links (at most {} are read)", path_, info.nlinks, kMaxLinks));
  }
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t length =
        H5Lget_name_by_idx(handle_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (length < 0) fail("Cannot read a link name in " + path_);
    if (static_cast<size_t>(length) > kMaxNameBytes) {
      throw Failure(fmt::format("The group {} has a link name of {} bytes", path_, length));
    }
    std::string name(static_cast<size_t>(length) + 1, '\0');
    if (H5Lget_name_by_idx(handle_.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) <
        0) {
      fail("Cannot read a link name in " + path_);
    }
    name.resize(static_cast<size_t>(length));
    names.push_back(std::move(name));
  }
  return names;
}

bool Group::holds_datasets(const std::string& relative, int depth) const {
  int budget = kWalkBudget;
  auto walk = [&](auto&& self, const Group& group, const std::string& rel, int levels) -> bool {
    if (--budget < 0) throw Failure(fmt::format("The group {} nests too many objects", group.child_path(rel)));
    const Kind k = group.kind(rel);
    if (k == Kind::kDataset) return true;
    if (k != Kind::kGroup || levels <= 0) return false;
    const Group child = group.open_group(rel);
    for (const std::string& name : child.children()) {
      if (self(self, child, name, levels - 1)) return true;
    }
    return false;
  };
  return walk(walk, *this, relative, depth);
}

bool Group::has_attribute(const std::string& name) const {
  const htri_t exists = H5Aexists(handle_.get(), name.c_str());
  if (exists < 0) fail(fmt::format("Cannot look for the attribute '{}' of {}", name, path_));
  return exists > 0;
}

std::vector<std::string> Group::read_strings(const std::string& name) const {
  const std::string what = fmt::format("the attribute '{}' of {}", name, path_);
  Handle attribute(checked(H5Aopen(handle_.get(), name.c_str(), H5P_DEFAULT), "Cannot open " + what), H5Aclose);
  Handle space(checked(H5Aget_space(attribute.get()), "Cannot read the dataspace of " + what), H5Sclose);
  const H5S_class_t cls = H5Sget_simple_extent_type(space.get());
  if (cls == H5S_NULL) return {};
  hsize_t count = 1;
  if (cls == H5S_SIMPLE) {
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 1) throw Failure(fmt::format("Expected a list of strings in {}, found rank {}", what, rank));
    if (rank == 1) {
      hsize_t d = 0;
      checked_status(H5Sget_simple_extent_dims(space.get(), &d, nullptr) < 0 ? -1 : 0, "Cannot read the size of " + what);
      count = d;
    }
  } else if (cls != H5S_SCALAR) {
    throw Failure(fmt::format("Expected a list of strings in {}", what));
  }
  if (count == 0) return {};  // Keras writes an empty list as an empty float64 array
  if (count > kMaxStrings) throw Failure(fmt::format("{} has {} strings (at most {} are read)", what, count, kMaxStrings));

  Handle type(checked(H5Aget_type(attribute.get()), "Cannot read the type of " + what), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) throw Failure(fmt::format("Expected strings in {}, found another type", what));
  const H5T_cset_t cset = H5Tget_cset(type.get());
  std::vector<std::string> out;
  if (H5Tis_variable_str(type.get()) > 0) {
    // libhdf5 1.10 trusts the file's global heap when it converts these strings: check them first.
    if (!file_) throw Failure(fmt::format("Cannot check {}: the file was not opened for reading", what));
    check_vlen_string_attribute(*file_, object_address(handle_.get(), what), name);
    Handle memory(checked(H5Tcopy(H5T_C_S1), "Cannot make a string type"), H5Tclose);
    checked_status(H5Tset_size(memory.get(), H5T_VARIABLE), "Cannot make a string type");
    checked_status(H5Tset_cset(memory.get(), cset), "Cannot make a string type");
    std::vector<char*> pointers(static_cast<size_t>(count), nullptr);
    if (H5Aread(attribute.get(), memory.get(), pointers.data()) < 0) {
      const std::string why = hdf5_message();
#if H5_VERSION_GE(1, 12, 0)
      H5Treclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
#else
      H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
#endif
      H5Eclear2(H5E_DEFAULT);
      throw Failure(why.empty() ? "Cannot read " + what : fmt::format("Cannot read {} (HDF5: {})", what, why));
    }
    size_t total = 0;
    bool too_long = false;
    for (char* p : pointers) {
      const size_t n = p == nullptr ? 0 : std::strlen(p);
      total += n;
      if (total > kMaxStringBytes) too_long = true;
      if (!too_long) out.emplace_back(p == nullptr ? "" : p, n);
    }
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
#else
    H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
#endif
    if (too_long) throw Failure(fmt::format("{} holds more than {} bytes of text", what, kMaxStringBytes));
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > kMaxStringBytes || count > kMaxStringBytes / size) {
    throw Failure(fmt::format("{} holds {} strings of {} bytes, more than this reader takes", what, count, size));
  }
  Handle memory(checked(H5Tcopy(H5T_C_S1), "Cannot make a string type"), H5Tclose);
  checked_status(H5Tset_size(memory.get(), size), "Cannot make a string type");
  checked_status(H5Tset_strpad(memory.get(), H5Tget_strpad(type.get())), "Cannot make a string type");
  checked_status(H5Tset_cset(memory.get(), cset), "Cannot make a string type");
  std::vector<char> buffer(static_cast<size_t>(count) * size, '\0');
  checked_status(H5Aread(attribute.get(), memory.get(), buffer.data()), "Cannot read " + what);
  const bool space_padded = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
  for (hsize_t i = 0; i < count; ++i) {
    std::string s(buffer.data() + i * size, size);
    if (space_padded) {
      s.erase(s.find_last_not_of(' ') + 1);
    } else if (const size_t nul = s.find('\0'); nul != std::string::npos) {
      s.resize(nul);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Group Group::create_group(const std::string& name) const {
  const hid_t id = checked(H5Gcreate2(handle_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           "Cannot create the group " + child_path(name));
  return Group(Handle(id, H5Gclose), child_path(name), file_);
}

void Group::write_floats(const std::string& name, const std::vector<int64_t>& dims, const float* data) const {
  const std::string what = child_path(name);
  std::vector<hsize_t> extent(dims.begin(), dims.end());
  Handle space(checked(dims.empty() ? H5Screate(H5S_SCALAR)
                                    : H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                       "Cannot make the dataspace of " + what),
               H5Sclose);
  Handle dataset(checked(H5Dcreate2(handle_.get(), name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT),
                         "Cannot create the dataset " + what),
                 H5Dclose);
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  if (count > 0) {
    checked_status(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                   "Cannot write the dataset " + what);
  }
  if (!dataset.close()) fail("Cannot write the dataset " + what);
}

// ---------------------------------------------------------------------------------------------------------
// Files.

namespace {

Handle file_access() {
  Handle fapl(checked(H5Pcreate(H5P_FILE_ACCESS), "Cannot make file access properties"), H5Pclose);
#if H5_VERSION_GE(1, 10, 7)
  // Locks fail on some file systems and gain nothing here: strata writes a fresh file under a temporary name.
  checked_status(H5Pset_file_locking(fapl.get(), false, true), "Cannot turn off file locking");
#endif
  return fapl;
}

}  // namespace

File File::open(const std::string& path) {
  auto info = std::make_shared<const FileInfo>(check_file(path));
  check_object_header(*info, info->root);  // libhdf5 reads the root group's header as it opens the file
  Handle fapl = file_access();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) fail("Cannot read it as an HDF5 file");
  return File(Handle(id, H5Fclose), std::move(info));
}

File File::create(const std::string& path) {
  Handle fapl = file_access();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get());
  if (id < 0) fail("Cannot create the file");
  return File(Handle(id, H5Fclose), nullptr);
}

Group File::root() const {
  return Group(Handle(checked(H5Gopen2(handle_.get(), "/", H5P_DEFAULT), "Cannot open the root group"), H5Gclose), "/",
               info_);
}

void File::close() {
  if (handle_.get() < 0) return;
  if (H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL) < 0) {
    const std::string why = hdf5_message();
    handle_.close();
    throw Failure(why.empty() ? "Cannot write the file" : fmt::format("Cannot write the file (HDF5: {})", why));
  }
  if (!handle_.close()) fail("Cannot close the file");
}

}  // namespace strata::detail::h5
