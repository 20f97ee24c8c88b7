// strata's own reading of an HDF5 file before libhdf5 reads it: the superblock and length (check_file),
// and every object header libhdf5 will decode with its messages and, for a group, its local heap
// (check_object_header). libhdf5 1.10.8 trusts sizes it reads from the file; damaged ones made it overflow
// buffers, ask for exabytes or loop until memory ran out (tests/fuzz/README.md).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "io/hdf5_bytes.hpp"
#include "io/hdf5_file.hpp"

namespace strata::detail::h5 {
namespace {

std::string hex_bytes(const unsigned char* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{}{:02x}", i ? " " : "", p[i]);
  return s;
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
      hint =
          "; it is a zip archive, as a Keras .keras model file is: extract its model.weights.h5 and load "
          "that";
    } else if (n >= 6 && std::memcmp(head, "\x93NUMPY", 6) == 0) {
      hint = "; it is a NumPy .npy file (see strata::load_npy)";
    }
    throw Failure(fmt::format("Not an HDF5 file: no HDF5 signature (it starts with bytes {}){}",
                              hex_bytes(head, n), hint));
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
    throw Failure(
        fmt::format("Unsupported HDF5 file: superblock version {} (this reader knows 0 to 3)", version));
  }
  for (const int bytes : {size_of_offsets, size_of_lengths}) {
    if (bytes != 2 && bytes != 4 && bytes != 8) {
      throw Failure(
          fmt::format("Damaged HDF5 file: the superblock gives addresses or lengths {} bytes (expected 2, "
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
    throw Failure(
        fmt::format("Truncated file: it has {} bytes, its HDF5 superblock says {}", size, stored_eof));
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

namespace {

// libhdf5 1.10.8 overflows its buffers reading damaged chunked (compressed) datasets, whose chunk index and
// filter output strata cannot check cheaply; Keras writes contiguous datasets.
constexpr const char* kChunkedRefused =
    "Unsupported HDF5 file: a dataset stored in chunks (compressed?), which strata does not read; Keras "
    "writes "
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
      if (size == 0 || offset + precision > size * 8)
        throw Failure("Damaged HDF5 file: an integer datatype is inconsistent");
      return size;
    }
    case 1: {  // floating point: bit offset, precision, exponent and mantissa locations and sizes, bias
      const uint64_t offset = c.take(2), precision = c.take(2);
      const uint64_t epos = c.take(1), esize = c.take(1), mpos = c.take(1), msize = c.take(1);
      c.take(4);
      const uint64_t sign = (bits >> 8) & 0xff;
      if (size == 0 || offset + precision > size * 8 || epos + esize > precision ||
          mpos + msize > precision || esize == 0 || esize > 32 || msize == 0 || msize > 64 ||
          sign >= precision) {
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
      throw Failure(
          fmt::format("Unsupported HDF5 file: a datatype of class {} (compound, enumeration or array), which "
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
      } else if (version == 3 || version == 4) {
        const uint64_t cls = c.take(1);
        if (cls == 0) {
          c.skip(c.take(2));
        } else if (cls == 1) {
          c.skip(static_cast<uint64_t>(O + L));
        } else if (cls == 2) {
          throw Failure(kChunkedRefused);
        } else {
          // Version 4 added the virtual class (3), which strata does not read.
          throw Failure(version == 3 ? "Damaged HDF5 file: a layout of an unknown class"
                                     : "Unsupported HDF5 file: a virtual or unknown dataset layout");
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
      if (version < 1 || version > 3)
        throw Failure("Damaged HDF5 file: an attribute message of an unknown version");
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

}  // namespace strata::detail::h5
