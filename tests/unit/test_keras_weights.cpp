// Model::load_weights and Model::save_weights against files in Keras's exact layouts, written at test time
// by tests/data/make_keras_weights.py with h5py (Debian python3-h5py): the Keras 3 `.weights.h5` format
// (Keras 3.0-3.9 with empty groups, and 3.10+ without), the legacy tf.keras 2 weights file, a tf.keras 2
// full-model file, and Keras 3's legacy writer. Every error is checked for its type, its message, and that
// no weight changed.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "layers/layer_impl.hpp"
#include "message_matcher.hpp"
#include "test_util.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using strata::None;
namespace fs = std::filesystem;

namespace {

const char* const kPython = "/usr/bin/python3";

std::string data_dir() { return std::string(STRATA_GOLDEN_DIR) + "/../data"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a command through the shell; returns its stdout and stderr. REQUIREs success.
std::string run(const std::string& command, const std::string& scratch) {
  const std::string out = scratch + "/command_output.txt";
  const int rc = std::system((command + " > '" + out + "' 2>&1").c_str());
  const std::string text = read_text(out);
  INFO(command << "\n" << text);
  REQUIRE(rc == 0);
  return text;
}

// The files the script writes, made once per process in a private directory removed at exit.
struct Fixtures {
  std::string dir;
  Fixtures() {
    dir = (fs::temp_directory_path() / fmt::format("strata_keras_weights_{}", static_cast<long>(getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    run(fmt::format("{} '{}/make_keras_weights.py' '{}'", kPython, data_dir(), dir), dir);
  }
  ~Fixtures() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string operator()(const std::string& name) const { return dir + "/" + name; }
};

const Fixtures& files() {
  static const Fixtures fixtures;
  return fixtures;
}

std::string dump(const std::string& path) {
  return run(fmt::format("{} '{}/make_keras_weights.py' --dump '{}'", kPython, data_dir(), path), files().dir);
}

// The subclassed layer of the "subclassed" case: two convolutions as attributes and a list of two layers.
class SqueezeExcite : public strata::CompositeLayerDefinition {
 public:
  SqueezeExcite()
      : reduce_(track("reduce", L::Conv2D(2, 1, {.activation = "relu"}))),
        expand_(track("expand", L::Conv2D(8, 1, {.activation = "sigmoid"}))) {
    track("extra", std::vector<strata::Layer>{norm_, dense_});
  }
  std::string class_name() const override { return "SqueezeExcite"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override {
    return dense_(norm_(x * expand_(reduce_(strata::ops::mean(x, {1, 2}, true)))));
  }

 private:
  L::Conv2D reduce_, expand_;
  L::BatchNormalization norm_;
  L::Dense dense_{8};
};

// The models of make_keras_weights.py's CASES, built after clear_session so that the names agree.
strata::Model build(const std::string& name) {
  strata::clear_session();
  if (name == "seed1") return seed_block_1();
  if (name == "seed2") return seed_block_2();
  if (name == "bn_dw_dense") {
    auto in = strata::Input({16, 16, 3});
    auto x = L::Conv2D(8, 3, {.padding = "same"})(in);
    x = L::BatchNormalization()(x);
    x = L::ReLU()(x);
    x = L::DepthwiseConv2D(3, {.padding = "same"})(x);
    x = L::BatchNormalization()(x);
    x = L::ReLU()(x);
    x = L::GlobalAveragePooling2D()(x);
    x = L::Dense(10, {.activation = "softmax"})(x);
    return strata::Model(in, x, "bn_dw_dense");
  }
  if (name == "nested") {
    auto inner_in = strata::Input({None, None, 3});
    auto y = L::BatchNormalization()(inner_in);
    y = L::Conv2D(4, 3, {.padding = "same", .activation = "relu"})(y);
    strata::Model inner(inner_in, y, "inner");
    auto in = strata::Input({8, 8, 3});
    auto x = L::GlobalAveragePooling2D()(inner(in));
    return strata::Model(in, L::Dense(2)(x), "outer");
  }
  if (name == "normalization") {
    auto in = strata::Input({4, 3});
    return strata::Model(in, L::Dense(2)(L::Normalization()(in)), "normalization");
  }
  if (name == "subclassed") {
    auto in = strata::Input({6, 6, 3});
    auto x = L::Conv2D(8, 3, {.padding = "same"})(in);
    x = strata::CompositeLayer(std::make_shared<SqueezeExcite>())(x);
    x = L::GlobalAveragePooling2D()(x);
    return strata::Model(in, L::Dense(2)(x), "subclassed");
  }
  if (name == "sequential") {
    return strata::Sequential({L::InputLayer({8, 8, 2}), L::Conv2D(3, 3), L::Flatten(), L::Dense(4)});
  }
  FAIL("unknown case " << name);
  return seed_block_1();
}

const std::vector<std::string> kCases = {"seed1",  "seed2",      "bn_dw_dense",
                                         "nested", "subclassed", "sequential"};

// The values the script wrote, in get_weights() order.
std::vector<strata::Tensor> expected_weights(const std::string& stem, size_t count) {
  std::vector<strata::Tensor> weights;
  for (size_t i = 0; i < count; ++i) weights.push_back(strata::load_npy(files()(fmt::format("{}.w{}.npy", stem, i))));
  return weights;
}

// Weights unlike any in the files, so that a load that did nothing is seen.
std::vector<strata::Tensor> scrambled(const strata::Model& model, uint64_t seed) {
  std::vector<strata::Tensor> weights = model.get_weights();
  for (auto& w : weights) w = strata::Tensor::random_uniform(w.dims(), seed++, 0.5f, 1.5f);
  return weights;
}

std::string scratch(const std::string& name) { return files()(name); }

template <class Fn>
std::string capture_stderr(Fn&& fn) {
  std::stringstream captured;
  std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
  try {
    fn();
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
  return captured.str();
}

}  // namespace

TEST_CASE("save_weights then load_weights into a fresh model gives bitwise-equal predictions", "[weights]") {
  for (const std::string& name : kCases) {
    INFO(name);
    strata::Model original = build(name);
    original.set_weights(scrambled(original, 11));
    const std::string path = scratch(name + ".roundtrip.weights.h5");
    original.save_weights(path);

    strata::Model fresh = build(name);
    const auto fresh_initial = fresh.get_weights();
    REQUIRE(fresh_initial != original.get_weights());
    const auto x = strata::load_npy(files()(name + ".x.npy"));
    const auto before = fresh.predict(x);  // a compiled plan exists: loading must make it rebuild
    fresh.load_weights(path);
    CHECK(fresh.get_weights() == original.get_weights());
    CHECK(fresh.predict(x) == original.predict(x));
    CHECK(fresh.predict(x) != before);
  }
}

TEST_CASE("save_weights writes Keras 3's layout: the same groups, datasets and bytes as Keras", "[weights]") {
  for (const std::string& name : kCases) {
    INFO(name);
    strata::Model model = build(name);
    model.set_weights(expected_weights(name, model.get_weights().size()));
    const std::string path = scratch(name + ".strata.weights.h5");
    model.save_weights(path);
    const std::string ours = dump(path);
    CHECK(ours == dump(files()(name + ".weights.h5")));
    INFO(ours);
    CHECK(ours.find("G vars\n") != std::string::npos);
  }
  // The paths themselves, for one model with nesting: class names in snake case, counted per model.
  strata::Model nested = build("nested");
  nested.save_weights(scratch("paths.weights.h5"));
  const std::string listing = dump(scratch("paths.weights.h5"));
  INFO(listing);
  CHECK(listing.find("D layers/functional/layers/batch_normalization/vars/3 <f4 (3,) None None") != std::string::npos);
  CHECK(listing.find("D layers/functional/layers/conv2d/vars/0 <f4 (3, 3, 3, 4) None None") != std::string::npos);
  CHECK(listing.find("D layers/dense/vars/1 <f4 (2,) None None") != std::string::npos);
  CHECK(listing.find("G layers/input_layer/vars") != std::string::npos);
}

namespace {

// A layer holding two Dense layers under attributes, as Keras 3's MultiHeadAttention holds `query_dense`:
// Keras stores its own variables at `<path>/vars`, then each held layer's at `<path>/<attribute>/vars`.
class TwoDense : public strata::detail::LayerImpl {
 public:
  TwoDense()
      : LayerImpl("TwoDense", "two"),
        first_(strata::layers::Dense(3, {.name = "first"}).impl()),
        second_(strata::layers::Dense(2, {.name = "second"}).impl()) {}
  std::vector<strata::Shape> compute_output_shapes(const std::vector<strata::Shape>& in) const override {
    return second_->compute_output_shapes(first_->compute_output_shapes(in));
  }
  void build(const std::vector<strata::Shape>& in) override {
    add_variable("gate", strata::Tensor({1}, {1.0f}));
    first_->build(in);
    first_->mark_built();
    second_->build(first_->compute_output_shapes(in));
    second_->mark_built();
  }
  std::vector<strata::ir::ValueId> lower(strata::ir::Graph& graph, const strata::detail::Node& node,
                                         const std::vector<strata::ir::ValueId>& in) const override {
    return second_->lower(graph, node, first_->lower(graph, node, in));
  }
  nlohmann::json config() const override { return nlohmann::json::object(); }
  std::vector<strata::detail::SublayerGroup> sublayers() const override {
    return {{"query_dense", false, {first_.get()}}, {"value_dense", false, {second_.get()}}};
  }
  std::vector<strata::detail::Variable> weights() const override {
    std::vector<strata::detail::Variable> all = variables();
    for (const auto* inner : {first_.get(), second_.get()}) {
      for (const auto& v : inner->weights()) all.push_back(v);
    }
    return all;
  }
  void set_weights(const std::vector<strata::Tensor>& values) override {
    set_variable_values({values[0]});
    first_->set_weights({values[1], values[2]});
    second_->set_weights({values[3], values[4]});
  }
  uint64_t weights_version() const override {
    return LayerImpl::weights_version() + first_->weights_version() + second_->weights_version();
  }

 private:
  std::shared_ptr<strata::detail::LayerImpl> first_, second_;
};

strata::Model two_dense_model() {
  auto x = strata::Input({4}, "x");
  auto y = strata::detail::call_layer(std::make_shared<TwoDense>(), {x}).front();
  return strata::Model(x, y);
}

}  // namespace

TEST_CASE("layers that hold layers keep their weights under Keras 3's attribute paths", "[weights]") {
  strata::clear_session();
  strata::Model model = two_dense_model();
  model.set_weights(scrambled(model, 11));
  const std::string path = scratch("two_dense.weights.h5");
  model.save_weights(path);
  const std::string listing = dump(path);
  INFO(listing);
  CHECK(listing.find("D layers/two_dense/vars/0 <f4 (1,) None None") != std::string::npos);
  CHECK(listing.find("D layers/two_dense/query_dense/vars/0 <f4 (4, 3) None None") != std::string::npos);
  CHECK(listing.find("D layers/two_dense/value_dense/vars/1 <f4 (2,) None None") != std::string::npos);

  strata::clear_session();
  strata::Model fresh = two_dense_model();
  fresh.load_weights(path);
  const std::vector<strata::Tensor> want = model.get_weights(), got = fresh.get_weights();
  REQUIRE(got.size() == 5);
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].values() == want[i].values());
  const strata::Tensor input = strata::Tensor::random_uniform({2, 4}, 3, -1.0f, 1.0f);
  CHECK(fresh.predict(input).values() == model.predict(input).values());
}

TEST_CASE("files written in Keras's layouts load and give the same predictions", "[weights]") {
  for (const std::string& name : kCases) {
    strata::Model reference = build(name);
    const auto expected = expected_weights(name, reference.get_weights().size());
    reference.set_weights(expected);
    const auto x = strata::load_npy(files()(name + ".x.npy"));
    const strata::Tensor want = reference.predict(x);
    for (const std::string kind : {".weights.h5", ".new.weights.h5", ".legacy.h5", ".full.h5", ".k3legacy.h5"}) {
      INFO(name << kind);
      strata::Model model = build(name);
      model.set_weights(scrambled(model, 3));
      model.load_weights(files()(name + kind));
      CHECK(model.get_weights() == expected);
      CHECK(model.predict(x) == want);
    }
  }
}

TEST_CASE("Normalization's integer count loads rounded; it is the only weight that takes integers",
          "[weights][normalization]") {
  strata::Model reference = build("normalization");
  const auto expected = expected_weights("normalization", 5);
  REQUIRE(expected[2].values().at(0) > 16777216.0f);  // above 2^24: the rounding is exercised
  reference.set_weights(expected);
  const auto x = strata::load_npy(files()("normalization.x.npy"));
  const strata::Tensor want = reference.predict(x);
  for (const std::string kind :
       {".weights.h5", ".new.weights.h5", ".legacy.h5", ".full.h5", ".k3legacy.h5"}) {
    INFO(kind);
    strata::Model model = build("normalization");
    model.load_weights(files()("normalization" + kind));
    CHECK(model.get_weights() == expected);
    CHECK(model.predict(x) == want);
  }
}

TEST_CASE("legacy files load by name too", "[weights]") {
  for (const std::string& name : kCases) {
    for (const std::string kind : {".legacy.h5", ".full.h5", ".k3legacy.h5"}) {
      INFO(name << kind);
      strata::Model model = build(name);
      const auto expected = expected_weights(name, model.get_weights().size());
      model.set_weights(scrambled(model, 5));
      model.load_weights(files()(name + kind), {.by_name = true});
      CHECK(model.get_weights() == expected);
    }
  }
}

TEST_CASE("float16, bfloat16, big-endian, Keras 2.13, user-block, newest-superblock and split-attribute files "
          "load exactly", "[weights]") {
  for (const auto& [file, stem] : std::vector<std::pair<std::string, std::string>>{
           {"seed1.float16.weights.h5", "seed1.float16"},
           {"seed1.bfloat16.weights.h5", "seed1.bfloat16"},
           {"seed1.bigendian.weights.h5", "seed1"},
           {"seed1.k213.weights.h5", "seed1"},
           {"seed1.userblock.weights.h5", "seed1"},
           {"seed1.latest.weights.h5", "seed1"},
           {"seed1.k3legacy_latest.h5", "seed1"},
           {"seed1.legacy_chunked.h5", "seed1"}}) {
    INFO(file);
    strata::Model model = build("seed1");
    const auto expected = expected_weights(stem, 6);
    model.load_weights(files()(file));
    CHECK(model.get_weights() == expected);
  }
}

TEST_CASE("the legacy order of a nested model puts its trainable weights first", "[weights]") {
  // The file lists gamma, beta, kernel, bias, moving_mean, moving_variance for the nested model; strata's
  // get_weights order is gamma, beta, moving_mean, moving_variance, kernel, bias.
  strata::Model model = build("nested");
  model.load_weights(files()("nested.legacy.h5"));
  const auto weights = model.get_layer("inner").get_weights();
  REQUIRE(weights.size() == 6);
  CHECK(weights[2] == strata::load_npy(files()("nested.w2.npy")));  // moving_mean
  CHECK(weights[4] == strata::load_npy(files()("nested.w4.npy")));  // conv kernel
  CHECK(weights[4].dims() == std::vector<int64_t>{3, 3, 3, 4});
}

TEST_CASE("ResNet50 and MobileNetV2 weight files of either kind load into the applications", "[weights][applications]") {
  // Keras 3 files: strata writes them with the paths counted over the 177 (ResNet50) and 156 (MobileNetV2)
  // layers; the legacy files: the script rewrites those, finding each layer's path with its own port of
  // Keras's naming, as tf.keras 2 legacy files (Keras's published application weights are of that kind).
  for (const std::string name : {"resnet50", "mobilenet_v2"}) {
    INFO(name);
    auto build_app = [&] {
      strata::clear_session();
      return name == "resnet50" ? strata::applications::ResNet50() : strata::applications::MobileNetV2();
    };
    strata::Model original = build_app();
    original.set_weights(scrambled(original, 40));
    const std::string keras3 = scratch(name + ".weights.h5");
    original.save_weights(keras3);
    std::ofstream listing(scratch(name + ".layers.txt"));
    for (const strata::Layer& layer : original.layers()) {
      listing << layer.class_name() << " " << layer.name();
      for (const auto& variable : layer.impl()->variables()) listing << " " << variable.name;
      listing << "\n";
    }
    listing.close();
    const std::string legacy = scratch(name + ".legacy.h5");
    run(fmt::format("{} '{}/make_keras_weights.py' --to-legacy '{}' '{}' '{}'", kPython, data_dir(), keras3,
                    scratch(name + ".layers.txt"), legacy),
        files().dir);
    for (const std::string& file : {keras3, legacy}) {
      INFO(file);
      strata::Model model = build_app();
      model.load_weights(file);
      CHECK(model.get_weights() == original.get_weights());
    }
    fs::remove(keras3);
    fs::remove(legacy);
  }
}

// ------------------------------------------------------------------------------------------------------------
// Errors: the type, the message, and no weight changed.

namespace {

// Loads `file` into a fresh `name` model with scrambled weights; REQUIREs a FileError matching `matcher` and
// that every weight is as before; the model still predicts.
template <class Matcher>
void expect_load_error(const std::string& name, const std::string& file, const Matcher& matcher,
                       strata::LoadWeightsOptions options = {}) {
  strata::Model model = build(name);
  model.set_weights(scrambled(model, 21));
  const auto before = model.get_weights();
  const auto x = strata::load_npy(files()(name + ".x.npy"));
  const auto prediction = model.predict(x);
  REQUIRE_THROWS_MATCHES(model.load_weights(file, options), strata::FileError, MessageThat(matcher));
  CHECK(model.get_weights() == before);
  CHECK(model.predict(x) == prediction);
}

}  // namespace

TEST_CASE("load_weights: a missing file", "[weights][errors]") {
  const std::string path = scratch("no_such_file.weights.h5");
  expect_load_error("seed1", path, Contains("[load_weights \"" + path + "\"] No such file"));
}

TEST_CASE("load_weights: a directory, a text file, a .keras archive without weights", "[weights][errors]") {
  expect_load_error("seed1", files().dir, Contains("It is a directory, not a file"));
  expect_load_error("seed1", files()("not_hdf5.h5"),
                    Contains("Not an HDF5 file: no HDF5 signature (it starts with bytes 74 68 69 73"));
  // A .keras archive is read for its model.weights.h5 (test_codegen.cpp loads one); this one has none.
  expect_load_error("seed1", files()("model.keras"),
                    Contains("The archive has no model.weights.h5 (it has config.json, metadata.json)"));
  const std::string empty = scratch("empty.h5");
  std::ofstream(empty).close();
  expect_load_error("seed1", empty, Contains("Not an HDF5 file: the file is empty"));
}

TEST_CASE("load_weights: chunked (compressed) datasets are refused", "[weights][errors]") {
  // libhdf5 1.10.8 overflows its buffers on damaged chunked datasets; Keras never writes them.
  expect_load_error("seed1", files()("seed1.gzip.weights.h5"),
                    Contains("Unsupported HDF5 file: a dataset stored in chunks (compressed?), which strata does not "
                             "read; Keras writes contiguous datasets (h5repack -l CONTI converts a file)"));
}

TEST_CASE("load_weights: an HDF5 file that holds no Keras weights", "[weights][errors]") {
  expect_load_error("seed1", files()("not_keras.h5"),
                    Contains("The file holds no Keras weights: neither Keras 3 groups ('layers', 'vars') nor a legacy "
                             "'layer_names' attribute"));
}

TEST_CASE("load_weights: a truncated file, cut anywhere", "[weights][errors]") {
  for (const std::string source : {"seed1.weights.h5", "seed1.legacy.h5", "seed1.latest.weights.h5",
                                    "seed1.userblock.weights.h5"}) {
    const std::string good = files()(source);
    const auto size = fs::file_size(good);
    const std::string cut = scratch("cut.h5");
    // One model for every cut: each failed load must leave its weights as they were (building one per cut
    // was most of this test's time under the sanitizers).
    strata::Model model = build("seed1");
    const auto before = model.get_weights();
    // Every cut point in the first 4 KB (the superblock and the metadata), then every 997 bytes.
    for (uintmax_t keep = 1; keep < size; keep += keep < 4096 ? 1 : 997) {
      fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
      fs::resize_file(cut, keep);
      INFO(source << " cut to " << keep << " of " << size << " bytes");
      REQUIRE_THROWS_AS(model.load_weights(cut), strata::FileError);
      REQUIRE(model.get_weights() == before);
    }
    fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, size / 2);
    expect_load_error("seed1", cut,
                      Contains(fmt::format("Truncated file: it has {} bytes, its HDF5 superblock says {}", size / 2, size)));
  }
}

TEST_CASE("load_weights: a damaged global heap under a string attribute is refused before libhdf5 reads it",
          "[weights][errors]") {
  // libhdf5 1.10.8 copies a heap object into a buffer sized by the attribute's length without comparing the
  // two: strata checks the heap itself first.
  expect_load_error("seed1", files()("seed1.heap_longer.h5"),
                    Contains("Damaged HDF5 file: string ") &&
                        Contains(" of the attribute 'layer_names' refers to ") &&
                        Contains(" bytes of global heap object 1, which holds "));
  expect_load_error("seed1", files()("seed1.heap_huge.h5"),
                    Contains("Damaged HDF5 file: object 1 of the global heap collection at address") &&
                        Contains("claims 1099511627776 bytes, which do not fit the collection"));
}

namespace {

// The bytes of the seed block's weights as strata saves them to `path`, for tests that damage them.
std::string saved_seed1_bytes(const std::string& path) {
  build("seed1").save_weights(path);
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("load_weights: a group's local heap with a damaged size is refused before libhdf5 allocates it",
          "[weights][errors]") {
  // libhdf5 1.10.8 allocates a group's local heap by the size its prefix claims before comparing it with the
  // file: fuzzing found a file that made it ask for 16 EB (tests/fuzz/README.md). strata checks the prefix
  // of every group it opens first. strata's own writer makes old-style groups, each with a local heap.
  const std::string good = scratch("local_heap.good.weights.h5"), bad = scratch("local_heap.bad.weights.h5");
  std::string bytes = saved_seed1_bytes(good);
  const std::string signature("HEAP\0", 5);
  size_t heaps = 0;
  for (size_t at = bytes.find(signature); at != std::string::npos; at = bytes.find(signature, at + 1)) {
    ++heaps;
    if (heaps == 2) {  // a group below the root (the root's header is read as the file opens)
      for (size_t k = 0; k < 8; ++k) bytes[at + 8 + k] = k == 7 ? '\x7f' : '\xff';
    }
  }
  REQUIRE(heaps >= 2);
  write_bytes(bad, bytes);
  expect_load_error("seed1", bad,
                    Contains("Damaged HDF5 file: the local heap at address ") &&
                        Contains("claims 9223372036854775807 bytes at address") &&
                        Contains("outside the file's"));
}

TEST_CASE("load_weights: the root group's local heap named in the superblock is checked too",
          "[weights][errors]") {
  // libhdf5 reads the root group's links through the local heap the superblock's root entry caches
  // (scratch pad of cache type 1), not the root header's symbol table message: fuzzing pointed it at a heap
  // claiming 13 PB. strata-written files have superblock version 0 with 8-byte addresses, so the cached
  // heap address lies at byte 88 (24 fixed bytes, 4 addresses, the entry's link name offset and header
  // address, cache type and reserved bytes, the B-tree address).
  const std::string good = scratch("root_cache.good.weights.h5"), bad = scratch("root_cache.bad.weights.h5");
  std::string bytes = saved_seed1_bytes(good);
  REQUIRE(bytes[8] == 0);                                          // superblock version 0
  REQUIRE(bytes.compare(72, 4, std::string("\1\0\0\0", 4)) == 0);  // cache type 1
  REQUIRE(bytes.compare(static_cast<size_t>(bytes[88] & 0xff) | (static_cast<size_t>(bytes[89] & 0xff) << 8),
                        4, "HEAP") == 0);
  const std::string outside("\x00\x00\x00\x01\x00\x00\x00\x00", 8);  // 2^24: past the file's end
  bytes.replace(88, 8, outside);
  write_bytes(bad, bytes);
  expect_load_error("seed1", bad, Contains("Damaged HDF5 file: a local heap at address 16777216"));
}

TEST_CASE("load_weights: a local heap whose free list loops is refused before libhdf5 follows it",
          "[weights][errors]") {
  // libhdf5 1.10.8 follows a local heap's free list allocating a record per block, with no check for a
  // loop: a fuzzed 19 KB file took 24 GB. Here the second heap's list starts at offset 8, whose block names
  // itself as the next.
  const std::string good = scratch("free_list.good.weights.h5"), bad = scratch("free_list.bad.weights.h5");
  std::string bytes = saved_seed1_bytes(good);
  auto put = [&](size_t at, uint64_t value) {
    for (size_t k = 0; k < 8; ++k) bytes[at + k] = static_cast<char>((value >> (8 * k)) & 0xff);
  };
  auto get = [&](size_t at) {
    uint64_t value = 0;
    for (size_t k = 8; k-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[at + k]);
    return value;
  };
  const std::string signature("HEAP\0", 5);
  const size_t first = bytes.find(signature), second = bytes.find(signature, first + 1);
  REQUIRE(second != std::string::npos);
  const uint64_t size = get(second + 8), data = get(second + 24);  // 8-byte lengths and offsets
  REQUIRE(size >= 24);
  put(second + 16, 8);  // the free list starts at offset 8
  put(data + 8, 8);     // whose block's next is itself
  put(data + 16, 16);
  write_bytes(bad, bytes);
  expect_load_error("seed1", bad,
                    Contains("Damaged HDF5 file: the free list of the local heap at address ") &&
                        Contains("loops back to offset 8"));
}

TEST_CASE("load_weights (Keras 3): a layer missing from the file", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.missing_layer.weights.h5"),
                    Contains("Layer 'conv2d_2' (Conv2D) is missing from the file: it expects 2 variables [kernel, bias] "
                             "at layers/conv2d_2/vars, the file has none there"));
}

TEST_CASE("load_weights (Keras 3): a variable missing from a layer", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.missing_bias.weights.h5"),
                    Contains("Layer 'conv2d_2' (Conv2D) expects 2 variables [kernel, bias], the file has 1 at "
                             "layers/conv2d_2/vars"));
}

TEST_CASE("load_weights (Keras 3): an extra layer in the file", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.extra_layer.weights.h5"),
                    Contains("The file has weights for a layer that model 'residual_block' does not have: "
                             "layers/conv2d_3 matches none of its layers [add, conv2d, conv2d_1, conv2d_2, input_layer]"));
}

TEST_CASE("load_weights (Keras 3): a variable of the wrong shape", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.wrong_shape.weights.h5"),
                    Contains("Layer 'conv2d_1' (Conv2D), variable 'kernel': expected shape (3, 3, 32, 64), the file has "
                             "shape (3, 3, 32, 32) at layers/conv2d_1/vars/0"));
}

TEST_CASE("load_weights (Keras 3): a variable of the wrong dtype", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.float64.weights.h5"),
                    Contains("Layer 'conv2d_1' (Conv2D), variable 'kernel': expected float32 values, the file has "
                             "float64 at layers/conv2d_1/vars/0"));
  expect_load_error("seed1", files()("seed1.int32.weights.h5"),
                    Contains("Layer 'conv2d_1' (Conv2D), variable 'bias': expected float32 values, the file has int32 "
                             "at layers/conv2d_1/vars/1"));
}

TEST_CASE("load_weights (Keras 3): by_name is for legacy files, as in Keras", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.weights.h5"), Contains("by_name applies to legacy Keras 2 HDF5 files only"),
                    {.by_name = true});
}

TEST_CASE("load_weights (Keras 3): skip_mismatch skips the mismatched layer with a warning", "[weights]") {
  strata::Model model = build("seed1");
  model.set_weights(scrambled(model, 8));
  const auto before = model.get_weights();
  strata::LoadWeightsReport report;
  const std::string warnings = capture_stderr(
      [&] { report = model.load_weights(files()("seed1.wrong_shape.weights.h5"), {.skip_mismatch = true}); });
  INFO(warnings);
  CHECK_THAT(warnings, Contains("strata warning: [load_weights") && Contains("Skipping: Layer 'conv2d_1' (Conv2D)"));
  // The returned report says the same: what was loaded, and each skip with its reason.
  CHECK(report.loaded ==
        std::vector<std::string>{"conv2d/kernel", "conv2d/bias", "conv2d_2/kernel", "conv2d_2/bias"});
  REQUIRE(report.skipped.size() == 1);
  CHECK_THAT(report.skipped[0], Contains("Layer 'conv2d_1' (Conv2D), variable 'kernel'"));
  const auto expected = expected_weights("seed1", 6);
  const auto after = model.get_weights();
  CHECK(after[0] == expected[0]);
  CHECK(after[1] == expected[1]);
  CHECK(after[2] == before[2]);  // conv2d_1 kept its weights, both of them
  CHECK(after[3] == before[3]);
  CHECK(after[4] == expected[4]);
  CHECK(after[5] == expected[5]);
}

TEST_CASE("load_weights (legacy): a layer missing from the file", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.legacy_missing.h5"),
                    Contains("Layer count mismatch when loading weights from file. Model 'residual_block' expected 3 "
                             "layers with weights, found 2 saved layers with weights. Only in the file: []; only in the "
                             "model: [conv2d_2]"));
}

TEST_CASE("load_weights (legacy): an extra layer in the file", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.legacy_extra.h5"),
                    Contains("Layer count mismatch when loading weights from file. Model 'residual_block' expected 3 "
                             "layers with weights, found 4 saved layers with weights. Only in the file: [dense]; only "
                             "in the model: []"));
}

TEST_CASE("load_weights (legacy): a weight of the wrong shape", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.legacy_wrong_shape.h5"),
                    Contains("Layer 'conv2d_1' (Conv2D), variable 'kernel' (layer #1 with weights, 'conv2d_1' in the "
                             "file): expected shape (3, 3, 32, 64), the file has shape (3, 3, 32, 16) at "
                             "conv2d_1/conv2d_1/kernel:0"));
}

TEST_CASE("load_weights (legacy): a weight of the wrong dtype", "[weights][errors]") {
  expect_load_error("seed1", files()("seed1.legacy_float64.h5"),
                    Contains("Layer 'conv2d_2' (Conv2D), variable 'bias' (layer #2 with weights, 'conv2d_2' in the "
                             "file): expected float32 values, the file has float64 at conv2d_2/conv2d_2/bias:0"));
}

TEST_CASE("load_weights (legacy): by_name without skip_mismatch fails on the first mismatch", "[weights][errors]") {
  expect_load_error("bn_dw_dense", files()("bn_dw_dense.by_name.h5"),
                    Contains("Weight count mismatch for layer 'conv2d' (Conv2D) (layer #1 in the file): the layer "
                             "expects 2 weights [kernel, bias], the file has 1 [conv2d/kernel:0]"),
                    {.by_name = true});
}

TEST_CASE("load_weights (legacy): by_name with skip_mismatch loads what matches and warns about the rest",
          "[weights]") {
  strata::Model model = build("bn_dw_dense");
  model.set_weights(scrambled(model, 30));
  const auto before = model.get_weights();
  strata::LoadWeightsReport report;
  const std::string warnings = capture_stderr([&] {
    report = model.load_weights(files()("bn_dw_dense.by_name.h5"), {.by_name = true, .skip_mismatch = true});
  });
  CHECK(report.loaded.size() == 8);   // the two batch normalizations' four variables each
  CHECK(report.skipped.size() == 3);  // conv2d's count, dense's kernel and bias
  INFO(warnings);
  CHECK_THAT(warnings, Contains("Skipping: Weight count mismatch for layer 'conv2d' (Conv2D)"));
  CHECK_THAT(warnings, Contains("Skipping: Layer 'dense' (Dense), variable 'kernel' (layer #7 in the file): expected "
                                "shape (8, 10), the file has shape (8, 5)"));
  CHECK_THAT(warnings, Contains("variable 'bias'"));
  const auto expected = expected_weights("bn_dw_dense", before.size());
  const auto after = model.get_weights();
  // get_weights order: conv2d (2), batch_normalization (4), depthwise_conv2d (2), batch_normalization_1 (4),
  // dense (2).
  REQUIRE(after.size() == 14);
  for (size_t i : {0, 1}) CHECK(after[i] == before[i]);     // conv2d: weight count mismatch, skipped
  for (size_t i : {2, 3, 4, 5}) CHECK(after[i] == expected[i]);
  for (size_t i : {6, 7}) CHECK(after[i] == before[i]);     // depthwise_conv2d: not in the file
  for (size_t i : {8, 9, 10, 11}) CHECK(after[i] == expected[i]);
  for (size_t i : {12, 13}) CHECK(after[i] == before[i]);   // dense: shapes differ, skipped
}

TEST_CASE("save_weights: errors, and an existing file is replaced only by a complete one", "[weights][errors]") {
  strata::Model model = build("seed1");
  REQUIRE_THROWS_MATCHES(model.save_weights(files().dir), strata::FileError,
                         MessageThat(Contains("[save_weights \"" + files().dir + "\"] It is a directory")));
  const std::string nowhere = scratch("no_such_dir/model.weights.h5");
  REQUIRE_THROWS_MATCHES(model.save_weights(nowhere), strata::FileError,
                         MessageThat(Contains("[save_weights \"" + nowhere + "\"] Cannot create the file")));
  CHECK_FALSE(fs::exists(scratch("no_such_dir")));
  // Overwriting keeps the layout and leaves no temporary file behind.
  const std::string path = scratch("overwrite.weights.h5");
  model.save_weights(path);
  model.set_weights(scrambled(model, 2));
  model.save_weights(path);
  strata::Model fresh = build("seed1");
  fresh.load_weights(path);
  CHECK(fresh.get_weights() == model.get_weights());
  for (const auto& entry : fs::directory_iterator(files().dir)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

// Issue 13, item 5: loading nothing at all is never a silent success.
TEST_CASE("load_weights: a file of another architecture that would load nothing is an error",
          "[weights][errors]") {
  auto in = strata::Input({8});
  strata::Model other(in, L::Dense(4, {.name = "head"})(L::Dense(8, {.name = "trunk"})(in)), "other");
  const auto before = other.get_weights();
  // by_name: no layer of the file (conv2d, conv2d_1, conv2d_2) has a name of this model.
  for (bool skip : {false, true}) {
    INFO("skip_mismatch " << skip);
    REQUIRE_THROWS_MATCHES(
        other.load_weights(files()("seed1.legacy.h5"), {.by_name = true, .skip_mismatch = skip}),
        strata::FileError,
        MessageThat(Contains("Nothing would be loaded: no weight of the file matches a weight of "
                             "model 'other'") &&
                    Contains("Model layers with weights: [trunk, head]")));
  }
  CHECK(other.get_weights() == before);
  // Every weight skipped is nothing loaded too.
  strata::Model seed = build("seed1");
  REQUIRE_THROWS_MATCHES(
      capture_stderr([&] {
        seed.load_weights(files()("bn_dw_dense.legacy.h5"), {.by_name = true, .skip_mismatch = true});
      }),
      strata::FileError, MessageThat(Contains("Nothing would be loaded") && Contains("skipped)")));
}
