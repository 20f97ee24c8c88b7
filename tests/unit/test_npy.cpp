// strata::load_npy and strata::save_npy: round trips, files written by numpy (tests/data/make_npy_files.py
// with Debian's python3-numpy), files strata writes read back by numpy, and every malformed file a clear
// FileError.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "message_matcher.hpp"
#include "test_util.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const char* const kPython = "/usr/bin/python3";

std::string data_dir() { return std::string(STRATA_GOLDEN_DIR) + "/../data"; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct Fixtures {
  std::string dir;
  Fixtures() {
    dir = (fs::temp_directory_path() / fmt::format("strata_npy_{}", static_cast<long>(getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    run(fmt::format("{} '{}/make_npy_files.py' write '{}'", kPython, data_dir(), dir));
  }
  ~Fixtures() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string run(const std::string& command) const {
    const std::string out = dir + "/command_output.txt";
    const int rc = std::system((command + " > '" + out + "' 2>&1").c_str());
    const std::string text = read_bytes(out);
    INFO(command << "\n" << text);
    REQUIRE(rc == 0);
    return text;
  }
  std::string operator()(const std::string& name) const { return dir + "/" + name; }
};

const Fixtures& files() {
  static const Fixtures fixtures;
  return fixtures;
}

// make_npy_files.py's values: arange(n) * 0.5 - 1.
strata::Tensor arange_tensor(std::vector<int64_t> dims) {
  std::vector<float> values(static_cast<size_t>(strata::element_count(dims)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(static_cast<double>(i) * 0.5 - 1.0);
  return strata::Tensor(std::move(dims), std::move(values));
}

bool same_bits(const strata::Tensor& a, const strata::Tensor& b) {
  return a.dims() == b.dims() && a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) == 0);
}

std::string hex(const strata::Tensor& t) {
  std::string s;
  const auto* p = reinterpret_cast<const unsigned char*>(t.data());
  for (int64_t i = 0; i < t.size() * 4; ++i) s += fmt::format("{:02x}", p[i]);
  return s;
}

// A .npy file of format 1.0 with this header text (padded as numpy pads it) and data.
std::string npy_bytes(std::string header, const std::string& data, int major = 1) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t unpadded = 6 + 2 + length_bytes + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string bytes = "\x93NUMPY";
  bytes += static_cast<char>(major);
  bytes += '\0';
  for (size_t i = 0; i < length_bytes; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + data;
}

template <class Matcher>
void expect_load_error(const std::string& path, const Matcher& matcher) {
  REQUIRE_THROWS_MATCHES(strata::load_npy(path), strata::FileError, MessageThat(matcher));
}

}  // namespace

TEST_CASE("save_npy then load_npy gives the same bits, for every rank and special value", "[npy]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float tiny = std::numeric_limits<float>::denorm_min();
  const std::vector<strata::Tensor> tensors = {
      strata::Tensor({2, 3}, {0.0f, -0.0f, inf, -inf, nan, tiny}),
      strata::Tensor({5}, {1, 2, 3, 4, 5}),
      strata::Tensor({}, {3.5f}),
      strata::Tensor::zeros({0, 4}),
      strata::Tensor::random_uniform({2, 7, 9, 3}, 4, -10.0f, 10.0f),
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = files()(fmt::format("roundtrip{}.npy", i));
    strata::save_npy(path, tensors[i]);
    INFO(tensors[i].shape().to_string());
    CHECK(same_bits(strata::load_npy(path), tensors[i]));
    // numpy's layout: the data starts at a multiple of 64 bytes, after a '\n'-terminated header.
    const std::string bytes = read_bytes(path);
    const size_t header_end = bytes.size() - static_cast<size_t>(tensors[i].size()) * 4;
    CHECK(header_end % 64 == 0);
    CHECK(bytes[header_end - 1] == '\n');
  }
  CHECK_THAT(read_bytes(files()("roundtrip0.npy")),
             StartsWith(std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
}

TEST_CASE("numpy reads what save_npy writes", "[npy]") {
  const std::vector<strata::Tensor> tensors = {arange_tensor({2, 3}), arange_tensor({7}), strata::Tensor({}, {-1.0f}),
                                               arange_tensor({0, 3}), strata::Tensor::random_uniform({3, 4, 5}, 9)};
  std::string command = fmt::format("{} '{}/make_npy_files.py' read", kPython, data_dir());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = files()(fmt::format("for_numpy{}.npy", i));
    strata::save_npy(path, tensors[i]);
    command += " '" + path + "'";
  }
  std::istringstream lines(files().run(command));
  for (const auto& t : tensors) {
    std::string line;
    REQUIRE(std::getline(lines, line));
    std::string shape = "(";
    for (size_t i = 0; i < t.dims().size(); ++i) shape += fmt::format("{}{}", i ? ", " : "", t.dims()[i]);
    shape += t.dims().size() == 1 ? ",)" : ")";
    CHECK(line == fmt::format("<f4 {} True {}", shape, hex(t)));
  }
}

TEST_CASE("load_npy reads files numpy writes: every rank, big-endian, format versions 2.0 and 3.0", "[npy]") {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
      {"f32_2x3", {2, 3}}, {"f32_vector", {7}},    {"f32_scalar", {}},  {"f32_empty", {0, 3}},
      {"f32_4d", {2, 3, 4, 5}}, {"f32_large", {64, 1000}}, {"f32_bigendian", {3, 2}}, {"f32_v2", {2, 3}},
      {"f32_v3", {2, 3}}};
  for (const auto& [name, dims] : cases) {
    INFO(name);
    CHECK(same_bits(strata::load_npy(files()(name + ".npy")), arange_tensor(dims)));
  }
}

TEST_CASE("load_npy reads numpy's int32 and int64 files, in either byte order", "[npy]") {
  const strata::Tensor i32 = strata::load_npy(files()("i32_2x3.npy"));
  CHECK(i32 == strata::Tensor::from_int32({2, 3}, {-3, -2, -1, 0, 1, 2}));
  CHECK(strata::load_npy(files()("i64_vector.npy")) == strata::Tensor::from_int64({5}, {-3, -2, -1, 0, 1}));
  CHECK(strata::load_npy(files()("i64_bigendian.npy")) ==
        strata::Tensor::from_int64({3, 2}, {-3, -2, -1, 0, 1, 2}));
}

TEST_CASE("save_npy writes integer tensors numpy reads back", "[npy]") {
  const strata::Tensor i32 = strata::Tensor::from_int32({2, 2}, {-7, 0, 2147483647, -2147483647 - 1});
  const strata::Tensor i64 = strata::Tensor::from_int64({3}, {-1, 4294967296, 9223372036854775807});
  strata::save_npy(files()("int32.npy"), i32);
  strata::save_npy(files()("int64.npy"), i64);
  CHECK(strata::load_npy(files()("int32.npy")) == i32);
  CHECK(strata::load_npy(files()("int64.npy")) == i64);
  const std::string read = files().run(fmt::format("{} '{}/make_npy_files.py' read '{}' '{}'", kPython,
                                                   data_dir(), files()("int32.npy"), files()("int64.npy")));
  CHECK(read ==
        "<i4 (2, 2) True f9ffffff00000000ffffff7f00000080\n"
        "<i8 (3,) True ffffffffffffffff0000000001000000ffffffffffffff7f\n");
}

TEST_CASE("bool tensors go to and from numpy's bool files", "[npy]") {
  CHECK(strata::load_npy(files()("b1_2x3.npy")) == strata::Tensor::from_bool({2, 3}, {1, 0, 0, 1, 0, 0}));
  const strata::Tensor mask = strata::Tensor::from_bool({4}, {1, 1, 0, 1});
  strata::save_npy(files()("mask.npy"), mask);
  CHECK(strata::load_npy(files()("mask.npy")) == mask);
  const std::string read = files().run(
      fmt::format("{} '{}/make_npy_files.py' read '{}'", kPython, data_dir(), files()("mask.npy")));
  CHECK(read == "|b1 (4,) True 01010001\n");
  CHECK_THROWS_MATCHES(strata::Tensor::from_bool({2}, {1, 2}), strata::ValueError,
                       MessageThat(Contains("expected bytes 0 or 1, received 2 at element 1")));
}

TEST_CASE("load_npy: another dtype is an error naming it", "[npy][errors]") {
  expect_load_error(files()("f64.npy"),
                    StartsWith("[load_npy \"" + files()("f64.npy") +
                               "\"] Expected dtype float32 ('<f4'), int32 ('<i4'), int64 ('<i8') "
                               "or bool ('|b1'), the file has float64 ('<f8'); convert it with "
                               "array.astype(numpy.float32)"));
  expect_load_error(files()("b1_bad_byte.npy"),
                    Contains("Malformed bool data: byte 2 of element 1 is not 0 or 1"));
  expect_load_error(files()("f16.npy"), Contains("the file has float16 ('<f2')"));
  expect_load_error(files()("i16.npy"), Contains("the file has int16 ('<i2')"));
  expect_load_error(files()("structured.npy"), Contains("Malformed header: 'descr' is not a string (a structured dtype?)"));
}

TEST_CASE("load_npy: Fortran order is an error", "[npy][errors]") {
  expect_load_error(files()("fortran.npy"),
                    Contains("Expected C order, the file is in Fortran order (fortran_order: True); save "
                             "numpy.ascontiguousarray(array) instead"));
}

TEST_CASE("load_npy: a truncated file, cut anywhere, and trailing bytes", "[npy][errors]") {
  const std::string good = read_bytes(files()("f32_2x3.npy"));
  const std::string cut = files()("cut.npy");
  for (size_t keep = 0; keep < good.size(); ++keep) {
    write_bytes(cut, good.substr(0, keep));
    INFO("cut to " << keep << " of " << good.size() << " bytes");
    REQUIRE_THROWS_AS(strata::load_npy(cut), strata::FileError);
  }
  write_bytes(cut, good.substr(0, good.size() - 4));
  expect_load_error(cut, Contains("Truncated file: shape (2, 3) needs 24 bytes of data, the file has 20"));
  write_bytes(cut, good.substr(0, 40));
  expect_load_error(cut, Contains("Truncated file: the header needs 118 bytes, the file has 30 after the preamble"));
  write_bytes(cut, good.substr(0, 9));
  expect_load_error(cut, Contains("Truncated file: it ends inside the .npy preamble"));
  write_bytes(cut, good + "junk");
  expect_load_error(cut, Contains("Malformed file: shape (2, 3) needs 24 bytes of data, the file has 4 more after them"));
}

TEST_CASE("load_npy: a missing file, an empty file, bad magic", "[npy][errors]") {
  expect_load_error(files()("absent.npy"), Contains("] No such file"));
  expect_load_error(files().dir, Contains("] It is not a regular file"));
  write_bytes(files()("empty.npy"), "");
  expect_load_error(files()("empty.npy"), Contains("Not a .npy file: the file is empty"));
  write_bytes(files()("magic.npy"), "PK\x03\x04 this is something else entirely");
  expect_load_error(files()("magic.npy"), Contains("Not a .npy file: it does not start with the magic \"\\x93NUMPY\""));
  std::string v4 = read_bytes(files()("f32_2x3.npy"));
  v4[6] = 4;
  write_bytes(files()("v4.npy"), v4);
  expect_load_error(files()("v4.npy"), Contains("Unsupported .npy format version 4.0 (this reader knows 1.0, 2.0 and 3.0)"));
}

TEST_CASE("load_npy: a malformed header", "[npy][errors]") {
  const std::string data(24, '\0');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", "expected a quoted string at character"},
      {"{'descr': '<f4', 'fortran_order': False}", "no 'shape' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': True}", "keys other than descr"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", "expected a string, True, False or a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "expected a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", "a one-element shape must be written (n,)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "'shape' is not a tuple"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", "the key 'descr' appears twice"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "a dimension too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", "the shape (4294967296, "
                                                                                       "4294967296) is too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} trailing", "text after the closing '}'"},
      {"not a dict", "expected '{'"},
  };
  for (const auto& [header, message] : cases) {
    INFO(header);
    write_bytes(files()("bad.npy"), npy_bytes(header, data));
    expect_load_error(files()("bad.npy"), Contains("Malformed header") && Contains(message));
  }
  // A header that does not end in a newline, and one that claims to be enormous.
  std::string no_newline = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data);
  no_newline[no_newline.size() - data.size() - 1] = ' ';
  write_bytes(files()("bad.npy"), no_newline);
  expect_load_error(files()("bad.npy"), Contains("Malformed header: it does not end with a newline"));
  std::string huge = npy_bytes("{}", "", 2);
  huge[8] = huge[9] = huge[10] = huge[11] = '\x7f';
  write_bytes(files()("bad.npy"), huge);
  expect_load_error(files()("bad.npy"), Contains("Malformed header: it claims 2139062143 bytes (at most 65536 are read)"));
}

TEST_CASE("save_npy: errors", "[npy][errors]") {
  REQUIRE_THROWS_MATCHES(strata::save_npy(files().dir, arange_tensor({2})), strata::FileError,
                         MessageThat(Contains("[save_npy \"" + files().dir + "\"] It is a directory")));
  const std::string nowhere = files()("no_such_dir/x.npy");
  REQUIRE_THROWS_MATCHES(strata::save_npy(nowhere, arange_tensor({2})), strata::FileError,
                         MessageThat(Contains("[save_npy \"" + nowhere + "\"] Cannot create the file")));
  REQUIRE_THROWS_MATCHES(strata::save_npy(files()("default.npy"), strata::Tensor()), strata::FileError,
                         MessageThat(Contains("The tensor is empty")));
  CHECK_FALSE(fs::exists(files()("default.npy")));
}
