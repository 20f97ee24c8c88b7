// NumPy's .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor version, the header
// length (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and ending in '\n' so that
// the data starts on a multiple of 64 bytes, then the values in C order.
//
// The reader trusts nothing in the file: it checks the header's length, parses the dict strictly, checks
// that the shape's element count does not overflow and that the file holds exactly the bytes it needs,
// before allocating anything sized by the file.

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>

#include "strata/error.hpp"
#include "strata/npy.hpp"

namespace strata {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr uint32_t kMaxHeaderBytes = 65'536;  // numpy itself refuses headers above 10,000 bytes by default
constexpr size_t kMaxRank = 64;

// The header's dict: values are strings, booleans or tuples of integers; anything in brackets (a structured
// dtype's list of fields) is kept as kOther.
struct HeaderValue {
  enum Kind { kString, kBool, kTuple, kOther } kind = kString;
  std::string text;
  bool flag = false;
  std::vector<int64_t> tuple;
};

// A strict parser of the Python literal numpy writes (and of what numpy's own safe reader accepts for
// these three keys): single or double quoted strings without escapes, True/False, tuples of integers.
class HeaderParser {
 public:
  struct Error {
    std::string message;
  };

  explicit HeaderParser(std::string_view text) : text_(text) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> dict;
    skip_space();
    expect('{');
    skip_space();
    while (!peek('}')) {
      std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      HeaderValue value = parse_value();
      if (dict.contains(key)) throw error(fmt::format("the key '{}' appears twice", key));
      dict.emplace(std::move(key), std::move(value));
      skip_space();
      if (peek(',')) {
        ++at_;
        skip_space();
      } else if (!peek('}')) {
        throw error("expected ',' or '}'");
      }
    }
    ++at_;
    skip_space();
    if (at_ != text_.size()) throw error("text after the closing '}'");
    return dict;
  }

 private:
  Error error(const std::string& what) const { return Error{fmt::format("{} at character {}", what, at_)}; }

  bool peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  void expect(char c) {
    if (!peek(c)) throw error(fmt::format("expected '{}'", c));
    ++at_;
  }
  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  std::string parse_string() {
    if (!peek('\'') && !peek('"')) throw error("expected a quoted string");
    const char quote = text_[at_++];
    const size_t start = at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\' || text_[at_] == '\n') throw error("unsupported character in a string");
      ++at_;
    }
    if (at_ >= text_.size()) throw error("unterminated string");
    return std::string(text_.substr(start, at_++ - start));
  }
  int64_t parse_int() {
    const size_t start = at_;
    int64_t v = 0;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
      const int digit = text_[at_] - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) throw error("a dimension too large");
      v = v * 10 + digit;
      ++at_;
    }
    if (at_ == start) throw error("expected a non-negative integer");
    if (peek('L')) ++at_;  // Python 2 long suffix, as numpy's reader accepts
    return v;
  }
  // Skips a bracketed list, nested brackets and quoted strings included.
  void skip_brackets() {
    int depth = 0;
    do {
      if (at_ >= text_.size()) throw error("unterminated list");
      if (peek('\'') || peek('"')) {
        parse_string();
        continue;
      }
      if (peek('[') || peek('(')) {
        if (++depth > 64) throw error("lists nested too deeply");
      } else if (peek(']') || peek(')')) {
        --depth;
      }
      ++at_;
    } while (depth > 0);
  }
  HeaderValue parse_value() {
    HeaderValue value;
    if (peek('\'') || peek('"')) {
      value.kind = HeaderValue::kString;
      value.text = parse_string();
    } else if (text_.substr(at_, 4) == "True") {
      value.kind = HeaderValue::kBool;
      value.flag = true;
      at_ += 4;
    } else if (text_.substr(at_, 5) == "False") {
      value.kind = HeaderValue::kBool;
      at_ += 5;
    } else if (peek('(')) {
      value.kind = HeaderValue::kTuple;
      ++at_;
      skip_space();
      while (!peek(')')) {
        if (value.tuple.size() >= kMaxRank) throw error(fmt::format("more than {} dimensions", kMaxRank));
        value.tuple.push_back(parse_int());
        skip_space();
        if (peek(',')) {
          ++at_;
          skip_space();
        } else if (!peek(')')) {
          throw error("expected ',' or ')' in the shape");
        } else if (value.tuple.size() == 1) {
          // "(5)" is not a tuple in Python; numpy never writes it.
          throw error("a one-element shape must be written (n,)");
        }
      }
      ++at_;
    } else if (peek('[')) {
      value.kind = HeaderValue::kOther;
      skip_brackets();
    } else {
      throw error("expected a string, True, False or a tuple");
    }
    return value;
  }

  std::string_view text_;
  size_t at_ = 0;
};

// NumPy's name for a dtype descr, for messages: '<f8' -> float64.
std::string numpy_dtype_name(const std::string& descr) {
  if (descr.size() < 2) return descr;
  const std::string kind_size = (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '=')
                                    ? descr.substr(1)
                                    : descr;
  static const std::map<std::string, std::string> names = {
      {"f2", "float16"}, {"f4", "float32"}, {"f8", "float64"}, {"f16", "float128"}, {"i1", "int8"},
      {"i2", "int16"},   {"i4", "int32"},   {"i8", "int64"},   {"u1", "uint8"},     {"u2", "uint16"},
      {"u4", "uint32"},  {"u8", "uint64"},  {"b1", "bool"},    {"c8", "complex64"}, {"c16", "complex128"}};
  const auto it = names.find(kind_size);
  return it == names.end() ? "'" + descr + "'" : it->second;
}

// Reverses the bytes of each `size`-byte element of `data`.
void byteswap_elements(uint8_t* data, int64_t bytes, int64_t size) {
  for (int64_t at = 0; at + size <= bytes; at += size) std::reverse(data + at, data + at + size);
}

// The descr of `dtype` in this machine's byte order, as numpy writes it.
std::string descr_of(DType dtype) {
  const char order = std::endian::native == std::endian::little ? '<' : '>';
  switch (dtype) {
    case DType::kInt32:
      return std::string(1, order) + "i4";
    case DType::kInt64:
      return std::string(1, order) + "i8";
    case DType::kBool:
      return "|b1";
    case DType::kFloat32:
      break;
  }
  return std::string(1, order) + "f4";
}

std::string temporary_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}", path, static_cast<long>(getpid()), counter.fetch_add(1));
}

}  // namespace

Tensor load_npy(const std::string& path) {
  const std::string prefix = fmt::format("[load_npy \"{}\"]", path);
  auto fail = [&](const std::string& what) { return FileError(fmt::format("{} {}", prefix, what)); };
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw fail("No such file");
  if (!fs::is_regular_file(status)) throw fail("It is not a regular file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw fail(fmt::format("Cannot get its size: {}", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(fmt::format("Cannot open it for reading: {}", std::strerror(errno)));

  // Magic, version, header length.
  unsigned char preamble[12] = {};
  const size_t got = static_cast<size_t>(in.read(reinterpret_cast<char*>(preamble), 8).gcount());
  if (got < kMagicSize || std::memcmp(preamble, kMagic, kMagicSize) != 0) {
    throw fail(got == 0 ? "Not a .npy file: the file is empty"
                        : "Not a .npy file: it does not start with the magic \"\\x93NUMPY\"");
  }
  if (got < 8) throw fail("Truncated file: it ends inside the .npy preamble");
  const int major = preamble[6], minor = preamble[7];
  if (!((major == 1 || major == 2 || major == 3) && minor == 0)) {
    throw fail(fmt::format("Unsupported .npy format version {}.{} (this reader knows 1.0, 2.0 and 3.0)", major, minor));
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (static_cast<size_t>(in.read(reinterpret_cast<char*>(preamble + 8), static_cast<std::streamsize>(length_bytes))
                              .gcount()) != length_bytes) {
    throw fail("Truncated file: it ends inside the .npy preamble");
  }
  uint32_t header_length = preamble[8] | (preamble[9] << 8);
  if (major != 1) header_length |= static_cast<uint32_t>(preamble[10]) << 16 | static_cast<uint32_t>(preamble[11]) << 24;
  const uintmax_t header_start = 8 + length_bytes;
  if (header_length > kMaxHeaderBytes) {
    throw fail(fmt::format("Malformed header: it claims {} bytes (at most {} are read)", header_length, kMaxHeaderBytes));
  }
  if (header_length > size - header_start) {
    throw fail(fmt::format("Truncated file: the header needs {} bytes, the file has {} after the preamble", header_length,
                           size - header_start));
  }
  std::string header(header_length, '\0');
  in.read(header.data(), header_length);
  if (static_cast<uint32_t>(in.gcount()) != header_length) throw fail("Truncated file: it ends inside the header");
  if (header.empty() || header.back() != '\n') throw fail("Malformed header: it does not end with a newline");

  std::map<std::string, HeaderValue> dict;
  try {
    dict = HeaderParser(header).parse();
  } catch (const HeaderParser::Error& e) {
    throw fail(fmt::format("Malformed header: {} in {:?}", e.message, header));
  }
  for (const char* key : {"descr", "fortran_order", "shape"}) {
    if (!dict.contains(key)) throw fail(fmt::format("Malformed header: no '{}' key in {:?}", key, header));
  }
  if (dict.size() != 3) throw fail(fmt::format("Malformed header: keys other than descr, fortran_order and shape in {:?}", header));
  const HeaderValue& descr = dict["descr"];
  const HeaderValue& fortran = dict["fortran_order"];
  const HeaderValue& shape = dict["shape"];
  if (descr.kind != HeaderValue::kString) throw fail("Malformed header: 'descr' is not a string (a structured dtype?)");
  if (fortran.kind != HeaderValue::kBool) throw fail("Malformed header: 'fortran_order' is not True or False");
  if (shape.kind != HeaderValue::kTuple) throw fail("Malformed header: 'shape' is not a tuple");

  // float32, int32 or int64 in either byte order ('=' is the writer's own, read as this machine's), or bool
  // ('|b1': one byte, no order).
  const std::string& d = descr.text;
  // numpy writes bool as '|b1' (one byte has no order) and the others with an order.
  const bool ordered = d.size() == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=') && d.substr(1) != "b1";
  const bool known_order = ordered || d == "|b1";
  const std::string kind = known_order ? d.substr(1) : "";
  if (kind != "f4" && kind != "i4" && kind != "i8" && kind != "b1") {
    throw fail(fmt::format(
        "Expected dtype float32 ('<f4'), int32 ('<i4'), int64 ('<i8') or bool ('|b1'), the file has "
        "{} ('{}'); convert it with array.astype(numpy.float32)",
        numpy_dtype_name(d), d));
  }
  const DType dtype = kind == "f4"   ? DType::kFloat32
                      : kind == "i4" ? DType::kInt32
                      : kind == "i8" ? DType::kInt64
                                     : DType::kBool;
  const bool big_endian = d[0] == '>' || (d[0] == '=' && std::endian::native == std::endian::big);
  if (fortran.flag) {
    throw fail("Expected C order, the file is in Fortran order (fortran_order: True); save "
               "numpy.ascontiguousarray(array) instead");
  }
  const int64_t element_bytes = dtype_size(dtype);
  int64_t count = 1;
  for (int64_t d : shape.tuple) {
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / element_bytes / d) {
      throw fail(fmt::format("Malformed header: the shape {} is too large", to_shape(shape.tuple).to_string()));
    }
    count *= d;
  }
  const uintmax_t data_bytes = static_cast<uintmax_t>(count) * static_cast<uintmax_t>(element_bytes);
  const uintmax_t available = size - header_start - header_length;
  if (available < data_bytes) {
    throw fail(fmt::format("Truncated file: shape {} needs {} bytes of data, the file has {}",
                           to_shape(shape.tuple).to_string(), data_bytes, available));
  }
  if (available > data_bytes) {
    throw fail(fmt::format("Malformed file: shape {} needs {} bytes of data, the file has {} more after them",
                           to_shape(shape.tuple).to_string(), data_bytes, available - data_bytes));
  }
  Tensor tensor = Tensor::zeros(shape.tuple, dtype);
  auto* data = static_cast<uint8_t*>(tensor.raw_data());
  in.read(reinterpret_cast<char*>(data), static_cast<std::streamsize>(data_bytes));
  if (static_cast<uintmax_t>(in.gcount()) != data_bytes) throw fail("Truncated file: reading the data failed");
  if (big_endian != (std::endian::native == std::endian::big)) {
    byteswap_elements(data, static_cast<int64_t>(data_bytes), element_bytes);
  }
  if (dtype == DType::kBool) {
    for (uintmax_t i = 0; i < data_bytes; ++i) {
      if (data[i] > 1)
        throw fail(fmt::format("Malformed bool data: byte {} of element {} is not 0 or 1", data[i], i));
    }
  }
  return tensor;
}

void save_npy(const std::string& path, const Tensor& tensor) {
  const std::string prefix = fmt::format("[save_npy \"{}\"]", path);
  if (tensor.size() != element_count(tensor.dims())) {
    throw FileError(fmt::format("{} The tensor is empty (a default-constructed Tensor has no values)", prefix));
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.dims().size(); ++i) {
    shape += fmt::format("{}{}", i ? ", " : "", tensor.dims()[i]);
  }
  shape += tensor.dims().size() == 1 ? ",)" : ")";
  // As numpy's write_array_header_1_0: the dict, spaces, then '\n' so that the data starts at a multiple of 64.
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   descr_of(tensor.dtype()), shape);
  const size_t unpadded = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65'535) throw FileError(fmt::format("{} The header is too long for format 1.0", prefix));

  std::string bytes(kMagic, kMagicSize);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;

  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw FileError(fmt::format("{} It is a directory", prefix));
  const std::string temporary = temporary_name(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw FileError(fmt::format("{} Cannot create the file: {}", prefix, std::strerror(errno)));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    // In this machine's byte order, which the descr names.
    out.write(static_cast<const char*>(tensor.raw_data()), static_cast<std::streamsize>(tensor.nbytes()));
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      throw FileError(fmt::format("{} Cannot write the file: {}", prefix, std::strerror(errno)));
    }
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw FileError(fmt::format("{} Cannot move the written file into place: {}", prefix, ec.message()));
  }
}

}  // namespace strata
