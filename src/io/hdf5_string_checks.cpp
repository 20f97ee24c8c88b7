// strata's check of a variable-length string attribute (Keras's layer and weight name lists) before
// libhdf5 reads it: the attribute in its object header, and each string's object in its global heap
// collection.
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <set>

#include "io/hdf5_bytes.hpp"
#include "io/hdf5_file.hpp"

namespace strata::detail::h5 {
namespace {

// One global heap collection: its objects' sizes and where their data starts (file addresses).
struct HeapCollection {
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> objects;  // index -> (size, data address)
};

HeapCollection read_heap(RawFile& file, uint64_t address) {
  const int L = file.info().sizeof_lengths;
  const std::vector<unsigned char> head =
      file.read(address, 8 + static_cast<uint64_t>(L), "a global heap collection");
  if (std::memcmp(head.data(), "GCOL", 4) != 0 || head[4] != 1) {
    throw Failure(fmt::format("Damaged HDF5 file: no global heap collection at address {}", address));
  }
  const uint64_t size = read_le(head.data() + 8, L);
  if (size < head.size() || size > kMaxHeapBytes) {
    throw Failure(fmt::format("Damaged HDF5 file: the global heap collection at address {} claims {} bytes",
                              address, size));
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
      throw Failure(
          fmt::format("Damaged HDF5 file: object {} of the global heap collection at address {} claims {} "
                      "bytes, which do not fit the collection",
                      index, address, object_size));
    }
    if (!seen.insert(index).second) {
      throw Failure(fmt::format(
          "Damaged HDF5 file: object {} appears twice in the global heap collection at address {}", index,
          address));
    }
    if (index > 0) heap.objects.emplace(index, std::make_pair(object_size, address + at + object_header));
    at += need;
  }
  return heap;
}

}  // namespace

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
    if (version < 1 || version > 3)
      throw Failure("Damaged HDF5 file: an attribute message of an unknown version");
    auto padded = [&](uint64_t n) { return version == 1 ? align8(n) : n; };
    c.need(name_size);
    const size_t name_at = c.at();
    std::string attribute_name(reinterpret_cast<const char*>(m.data.data() + name_at),
                               static_cast<size_t>(name_size));
    if (const size_t nul = attribute_name.find('\0'); nul != std::string::npos) attribute_name.resize(nul);
    c.skip(padded(name_size));
    if (attribute_name != name) continue;
    if (flags & 0x03)
      throw Failure(fmt::format("Cannot check {}: its datatype or dataspace is shared", what));
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
      if (d != 0 && count > kMaxStrings / d)
        throw Failure(fmt::format("Damaged HDF5 file: {} is too large", what));
      count *= d;
    }
    c.skip(padded(space_size));
    // The data: per string its length, then the global heap collection's address and the object's index.
    const size_t element = 4 + static_cast<size_t>(O) + 4;
    if (count > c.left() / element) {
      throw Failure(fmt::format("Damaged HDF5 file: {} holds {} strings but only {} bytes of data", what,
                                count, c.left()));
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
        throw Failure(fmt::format(
            "Damaged HDF5 file: string {} of {} refers to {} bytes of global heap object {}, "
            "which {}",
            i, what, length, index,
            object == it->second.objects.end() ? std::string("does not exist")
                                               : fmt::format("holds {} bytes", object->second.first)));
      }
    }
    return;
  }
  // Not among the header's messages: stored densely (a fractal heap), which this check does not read.
  throw Failure(
      fmt::format("Cannot check {}: it is not stored in its object's header (dense attribute storage is not "
                  "read)",
                  what));
}

}  // namespace strata::detail::h5
