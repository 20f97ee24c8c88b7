#pragma once
// A small RAII layer over the HDF5 C API, just what the Keras weight files need. Every call is checked;
// HDF5's own error printing is off while strata uses the library, and its most specific message becomes
// part of ours. Before libhdf5 sees a file, `check_file` looks at it without libhdf5 (signature,
// superblock, size), and every size read from a file is checked before it sizes an allocation.
//
// This header includes <hdf5.h>, whose include path is private to the strata library: only src/io uses it.

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::detail::h5 {

/// A failure reading or writing an HDF5 file: what went wrong and, when HDF5 says, why. Callers wrap it in
/// a FileError that names the file.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The most strings a string attribute may hold (layer and weight name lists): far above any Keras file's.
inline constexpr hsize_t kMaxStrings = 1'000'000;

/// What strata reads of a file's superblock, for its own checks of the file's bytes (hdf5_checks.cpp).
struct FileInfo {
  std::string path;
  uint64_t size = 0;           // bytes in the file
  uint64_t base = 0;           // the base address: file addresses count from here
  int sizeof_offsets = 8;      // bytes of an address
  int sizeof_lengths = 8;      // bytes of a length
  uint64_t root = 0;           // the root group's object header
  uint64_t root_cached_heap =
      0;  // versions 0 and 1: the local heap the root entry's scratch pad names (0: none)
  mutable std::set<uint64_t> checked_headers;  // object headers check_object_header has passed
};

/// Checks, before any libhdf5 call, that `path` is a regular file holding the HDF5 signature (at offset 0
/// or at 512, 1024, ... after a user block) followed by a superblock of a version this reader knows, and
/// that the file is as long as that superblock says. Throws Failure saying what is missing, wrong or cut.
FileInfo check_file(const std::string& path);

/// Checks the object header at `address` without libhdf5 before libhdf5 decodes it: libhdf5 1.10.8 trusts the
/// sizes inside its messages (a damaged attribute, datatype or layout message makes it copy past its buffers,
/// found by corrupting files under ASan). Every message must fit its chunk, and the messages libhdf5 decodes
/// when strata opens an object or reads its attributes (dataspace, datatype, fill value, layout, filter
/// pipeline, attribute, link, symbol table) must be consistent with their own sizes; datatypes other than
/// integers, floats, strings, bitfields, opaque values, references and variable-length ones are refused.
/// Throws Failure.
void check_object_header(const FileInfo& file, uint64_t address);

/// Checks the variable-length string attribute `name` of the object whose header is at `address` without
/// libhdf5: libhdf5 1.10 copies a global heap object into a buffer sized by the attribute's own length field
/// without comparing the two, so a damaged file overflows the heap. This parses the object header, finds
/// the attribute, and checks that every string it references is an object of exactly that length inside a
/// well-formed global heap collection. Throws Failure when the attribute cannot be verified or is damaged.
void check_vlen_string_attribute(const FileInfo& file, uint64_t address, const std::string& name);

/// Turns off HDF5's automatic error printing on this thread while alive (HDF5 keeps that setting per
/// thread); restores the previous handler afterwards.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

/// Owns one HDF5 identifier and closes it.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  /// Closes now and reports whether HDF5 closed it cleanly.
  bool close();

 private:
  void reset();
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// What a link in a group leads to.
enum class Kind { kMissing, kGroup, kDataset, kOther };

/// The element type of a dataset as strata sees it.
struct DataType {
  /// NumPy's name: "float32", "float16", "float64", "int32", "bfloat16", "string", ...
  std::string name;
  /// Bytes per element.
  size_t size = 0;
};

class Dataset {
 public:
  Dataset(Handle handle, std::string path, std::shared_ptr<const FileInfo> file)
      : handle_(std::move(handle)), path_(std::move(path)), file_(std::move(file)) {}
  /// Path inside the file, for messages.
  const std::string& path() const { return path_; }
  /// The dimensions (empty for a scalar). Throws Failure for a null or non-simple dataspace or a rank above 32.
  std::vector<int64_t> dims() const;
  /// The element type.
  DataType dtype() const;
  /// True for the element types `read_floats` accepts: float32 (either byte order), float16 and Keras's
  /// bfloat16 (2-byte values marked with the attribute dtype="bfloat16"), each widened exactly.
  /// With `integers`, also signed and unsigned integers of 1 to 8 bytes, rounded to float32 (for a count
  /// Keras stores as an integer: Variable::counter).
  static bool readable(const DataType& type, bool integers = false);
  /// Reads all `count` elements as float32 (integers rounded, when `readable(dtype(), true)` holds). `count`
  /// must be the product of `dims()` (the caller has checked the shape against the model). Throws Failure
  /// when the stored data is missing or shorter than the shape needs, or for chunked, external or virtual
  /// storage (Keras writes contiguous datasets).
  std::vector<float> read_floats(int64_t count) const;

 private:
  Handle handle_;
  std::string path_;
  std::shared_ptr<const FileInfo> file_;
};

class Group {
 public:
  /// `file` is null for a file being written (whose attributes strata does not read).
  Group(Handle handle, std::string path, std::shared_ptr<const FileInfo> file)
      : handle_(std::move(handle)), path_(std::move(path)), file_(std::move(file)) {}
  /// Path inside the file ("/" for the root), for messages.
  const std::string& path() const { return path_; }
  /// What `relative` ("a" or "a/b/c") leads to, following hard links only; kOther for soft and external
  /// links or other objects. Empty, "." and ".." components are kMissing.
  Kind kind(const std::string& relative) const;
  /// Opens a group at `relative`. Throws Failure unless `kind(relative)` is kGroup.
  Group open_group(const std::string& relative) const;
  /// Opens a dataset at `relative`. Throws Failure unless `kind(relative)` is kDataset.
  Dataset open_dataset(const std::string& relative) const;
  /// The names of the links in this group, in name order. Throws Failure above 1,000,000 links.
  std::vector<std::string> children() const;
  /// True when `relative` leads to a dataset, or to a group with a dataset somewhere below it (looking at
  /// most `depth` levels down).
  bool holds_datasets(const std::string& relative, int depth = 16) const;

  /// True when the group has an attribute called `name`.
  bool has_attribute(const std::string& name) const;
  /// Reads an attribute holding strings (fixed or variable length, scalar or 1-D); an attribute with no
  /// elements, of any type, reads as an empty list (Keras writes `[]` as an empty float64 array).
  /// Throws Failure for other types or sizes beyond reason.
  std::vector<std::string> read_strings(const std::string& name) const;

  /// Creates a child group (one component).
  Group create_group(const std::string& name) const;
  /// Writes a float32 (little-endian) dataset, contiguous, as h5py writes a NumPy array.
  void write_floats(const std::string& name, const std::vector<int64_t>& dims, const float* data) const;

 private:
  std::string child_path(const std::string& relative) const;
  Handle handle_;
  std::string path_;
  std::shared_ptr<const FileInfo> file_;
};

class File {
 public:
  /// Opens for reading, after `check_file`. Throws Failure.
  static File open(const std::string& path);
  /// Creates (or fails if it exists) a new file. Throws Failure.
  static File create(const std::string& path);

  Group root() const;
  /// Flushes and closes, reporting write errors (a full disk, say). Throws Failure.
  void close();

 private:
  File(Handle handle, std::shared_ptr<const FileInfo> info) : handle_(std::move(handle)), info_(std::move(info)) {}
  Handle handle_;
  std::shared_ptr<const FileInfo> info_;
};

}  // namespace strata::detail::h5
