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

bool Dataset::readable(const DataType& type, bool integers) {
  if (integers && (type.name.starts_with("int") || type.name.starts_with("uint")) && type.size <= 8)
    return true;
  return type.name == "float32" || type.name == "float16" || type.name == "bfloat16";
}

std::vector<float> Dataset::read_floats(int64_t count) const {
  const DataType type = dtype();
  if (!readable(type, true))
    throw Failure(fmt::format("The dataset {} holds {}, not float32", path_, type.name));
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
  if (type.name.find("int") != std::string::npos) {
    // HDF5 converts any integer to double exactly up to 2^53; the rounding to float32 happens here.
    std::vector<double> wide(static_cast<size_t>(count));
    checked_status(H5Dread(handle_.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide.data()),
                   "Cannot read the data of " + path_);
    for (size_t i = 0; i < wide.size(); ++i) values[i] = static_cast<float>(wide[i]);
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
