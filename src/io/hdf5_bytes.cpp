#include "io/hdf5_bytes.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace strata::detail::h5 {

uint64_t read_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::vector<unsigned char> RawFile::read(uint64_t address, uint64_t n, const std::string& what) {
  const uint64_t offset = info_.base + address;
  if (address > info_.size || offset < address || offset > info_.size || n > info_.size - offset) {
    throw Failure(fmt::format("Damaged HDF5 file: {} at address {} ({} bytes) lies outside the file", what,
                              address, n));
  }
  std::vector<unsigned char> bytes(static_cast<size_t>(n));
  in_.seekg(static_cast<std::streamoff>(offset));
  in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(n));
  if (static_cast<uint64_t>(in_.gcount()) != n)
    throw Failure(fmt::format("Cannot read {} at address {}", what, address));
  return bytes;
}

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
      m.data.assign(bytes.begin() + static_cast<long>(c.at()),
                    bytes.begin() + static_cast<long>(c.at() + size));
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
    const std::vector<unsigned char> w =
        file.read(address + size_at, static_cast<uint64_t>(width), "an object header");
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

}  // namespace strata::detail::h5
