// The bad-input catalogue (issue 7 item 3): distinct misuses across graph building, compile, predict,
// weights, ONNX export, .npy files and plot_model. Each entry asserts the error's type and message, and
// then that nothing else changed: a model built before the misuse keeps its weights bit for bit, its
// compiled plan and a fresh compile still predict the same numbers, and the layer the misuse touched
// still works. Run one family with a tag, e.g. ./test_misuse_catalogue "[predict]"; list them with
// ./test_misuse_catalogue --list-tests. STRATA_MISUSE_PRINT=1 prints every message.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include <unistd.h>

#include "message_matcher.hpp"
#include "test_util.hpp"

namespace {

namespace L = strata::layers;
namespace fs = std::filesystem;

enum class Kind { kValue, kShape, kGraph, kFile, kAny };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kValue: return "ValueError";
    case Kind::kShape: return "ShapeError";
    case Kind::kGraph: return "GraphError";
    case Kind::kFile: return "FileError";
    default: return "Error";
  }
}

bool is_kind(const strata::Error& e, Kind k) {
  switch (k) {
    case Kind::kValue: return dynamic_cast<const strata::ValueError*>(&e) != nullptr;
    case Kind::kShape: return dynamic_cast<const strata::ShapeError*>(&e) != nullptr;
    case Kind::kGraph: return dynamic_cast<const strata::GraphError*>(&e) != nullptr;
    case Kind::kFile: return dynamic_cast<const strata::FileError*>(&e) != nullptr;
    default: return true;
  }
}

/// A small model the misuses run next to (and sometimes on): conv, batch norm, pooling, dense; two outputs.
struct Fixture {
  std::string dir;
  strata::Model model;
  strata::CompiledModel compiled;
  strata::Tensor input;
  std::vector<std::vector<strata::Tensor>> weights;
  std::vector<strata::Tensor> expected;

  static strata::Model make_model() {
    auto in = strata::Input({9, 9, 3}, "image");
    auto x = L::Conv2D(4, 3, {.activation = "relu", .name = "conv"})(in);
    x = L::BatchNormalization({.name = "bn"})(x);
    auto pooled = L::GlobalAveragePooling2D({.name = "gap"})(x);
    auto logits = L::Dense(5, {.name = "dense"})(pooled);
    strata::Model m(in, {logits, x}, "fixture");
    std::vector<strata::Tensor> bn = m.get_layer("bn").get_weights();
    for (size_t i = 0; i < bn.size(); ++i) bn[i] = strata::Tensor::random_uniform(bn[i].dims(), 50 + i, 0.5f, 1.5f);
    m.get_layer("bn").set_weights(bn);
    return m;
  }

  Fixture() : model(make_model()), compiled(model.compile()) {
    dir = (fs::temp_directory_path() / ("strata_misuse_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
    input = strata::Tensor::random_uniform({2, 9, 9, 3}, 7, -1.0f, 1.0f);
    for (strata::Layer layer : model.layers()) weights.push_back(layer.get_weights());
    expected = compiled.predict(std::vector<strata::Tensor>{input});
  }
  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }

  /// Nothing changed: same weights, same answers from the old plan and from a new one.
  void check_intact() const {
    const std::vector<strata::Layer> layers = model.layers();
    REQUIRE(layers.size() == weights.size());
    for (size_t i = 0; i < layers.size(); ++i) CHECK(layers[i].get_weights() == weights[i]);
    const auto again = compiled.predict(std::vector<strata::Tensor>{input});
    const auto fresh = model.compile().predict(std::vector<strata::Tensor>{input});
    REQUIRE(again.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      CHECK(again[i] == expected[i]);
      CHECK(strata_test::max_relative_error(fresh[i], expected[i]) <= 1e-6);
    }
  }
};

/// Runs `misuse`, requires a strata::Error of `kind` whose message contains every one of `parts`, then
/// requires the fixture intact.
void expect_misuse(Fixture& f, Kind kind, const std::vector<std::string>& parts, const std::function<void()>& misuse) {
  bool threw = false;
  try {
    misuse();
  } catch (const strata::Error& e) {
    threw = true;
    const std::string message = e.what();
    if (std::getenv("STRATA_MISUSE_PRINT")) {
      Kind actual = Kind::kAny;
      for (Kind k : {Kind::kValue, Kind::kShape, Kind::kGraph, Kind::kFile}) if (is_kind(e, k)) actual = k;
      std::printf("MISUSE %s (expected %s): %s\n", kind_name(actual), kind_name(kind), message.c_str());
    }
    INFO("message: " << message);
    CHECK(is_kind(e, kind));
    for (const std::string& part : parts) CHECK_THAT(message, Catch::Matchers::Contains(part));
  } catch (const std::exception& e) {
    FAIL("not a strata::Error but " << typeid(e).name() << ": " << e.what());
  }
  CHECK(threw);
  f.check_intact();
}

Fixture& fixture() {
  static Fixture f;
  return f;
}

#define MISUSE(family, title, kind, parts, body) \
  TEST_CASE(family " misuse: " title, "[misuse][" family "]") { expect_misuse(fixture(), kind, parts, [&] body); }

using V = std::vector<std::string>;

}  // namespace

// ---------------------------------------------------------------- graph building: layer arguments
MISUSE("build", "Conv2D with zero filters", Kind::kValue, (V{"[c (Conv2D)]", "filters", "received 0"}),
       { L::Conv2D(0, 3, {.name = "c"}); })
MISUSE("build", "Conv2D with a zero kernel", Kind::kValue, (V{"kernel_size", "(0, 0)"}), { L::Conv2D(4, 0); })
MISUSE("build", "Conv2D with negative strides", Kind::kValue, (V{"strides", "(1, -2)"}),
       { L::Conv2D(4, 3, {.strides = {1, -2}}); })
MISUSE("build", "Conv2D with strides and dilation both above 1", Kind::kValue, (V{"strides > 1"}),
       { L::Conv2D(4, 3, {.strides = 2, .dilation_rate = 2}); })
MISUSE("build", "Conv2D with padding 'SAME'", Kind::kValue, (V{"'SAME'", "valid, same"}),
       { L::Conv2D(4, 3, {.padding = "SAME"}); })
MISUSE("build", "Conv2D with a misspelt activation", Kind::kValue, (V{"'rleu'"}),
       { L::Conv2D(4, 3, {.activation = "rleu"}); })
MISUSE("build", "Conv2D with an unknown initializer", Kind::kValue, (V{"'glorot'"}),
       { L::Conv2D(4, 3, {.kernel_initializer = "glorot"}); })
MISUSE("build", "Conv2D whose filters groups do not divide", Kind::kValue, (V{"filters 10", "groups 4"}),
       { L::Conv2D(10, 3, {.groups = 4}); })
MISUSE("build", "Conv2D with zero groups", Kind::kValue, (V{"groups", "received 0"}), { L::Conv2D(4, 3, {.groups = 0}); })
MISUSE("build", "Conv2D on a rank-2 tensor", Kind::kShape, (V{"rank 4", "(None, 10)"}),
       { L::Conv2D(4, 3)(strata::Input({10})); })
MISUSE("build", "Conv2D whose output would be empty", Kind::kShape, (V{"would be 0"}),
       { L::Conv2D(4, 5)(strata::Input({4, 4, 3})); })
MISUSE("build", "Conv2D input channels not divisible by groups", Kind::kShape, (V{"divisible by groups"}),
       { L::Conv2D(4, 3, {.groups = 2})(strata::Input({8, 8, 3})); })
MISUSE("build", "a shared Conv2D called on other channels", Kind::kShape, (V{"value 3"}), {
  L::Conv2D shared(4, 3);
  shared(strata::Input({8, 8, 3}));
  shared(strata::Input({8, 8, 5}));
})
MISUSE("build", "a layer called on an empty SymbolicTensor", Kind::kValue, (V{"empty SymbolicTensor"}),
       { L::Conv2D(4, 3)(strata::SymbolicTensor()); })
MISUSE("build", "DepthwiseConv2D with a zero depth multiplier", Kind::kValue, (V{"depth_multiplier"}),
       { L::DepthwiseConv2D(3, {.depth_multiplier = 0}); })
MISUSE("build", "SeparableConv2D with zero filters", Kind::kValue, (V{"filters"}), { L::SeparableConv2D(0, 3); })
MISUSE("build", "Dense with zero units", Kind::kValue, (V{"units"}), { L::Dense(0); })
MISUSE("build", "Dense with an unknown activation", Kind::kValue, (V{"'sigmod'"}), { L::Dense(3, {.activation = "sigmod"}); })
MISUSE("build", "MaxPooling2D with a zero pool", Kind::kValue, (V{"pool_size"}), { L::MaxPooling2D(0); })
MISUSE("build", "AveragePooling2D with padding 'full'", Kind::kValue, (V{"'full'"}),
       { L::AveragePooling2D(2, {.padding = "full"}); })
MISUSE("build", "MaxPooling2D window larger than the input", Kind::kShape, (V{"would be 0"}),
       { L::MaxPooling2D(5)(strata::Input({3, 3, 2})); })
MISUSE("build", "GlobalAveragePooling2D on a rank-2 tensor", Kind::kShape, (V{"rank"}),
       { L::GlobalAveragePooling2D()(strata::Input({10})); })
MISUSE("build", "add of incompatible shapes", Kind::kShape, (V{"[add", "incompatible shapes"}), {
  L::add({strata::Input({4, 4, 3}), strata::Input({5, 5, 3})});
})
MISUSE("build", "add of a single tensor", Kind::kValue, (V{"at least 2"}), { L::add({strata::Input({4, 4, 3})}); })
MISUSE("build", "subtract of three tensors", Kind::kValue, (V{"exactly 2"}), {
  auto a = strata::Input({4});
  L::subtract({a, a, a});
})
MISUSE("build", "concatenate of different spatial sizes", Kind::kShape, (V{"[concatenate"}), {
  L::concatenate({strata::Input({4, 4, 3}), strata::Input({5, 4, 3})});
})
MISUSE("build", "concatenate along an axis out of range", Kind::kShape, (V{"axis"}), {
  L::concatenate({strata::Input({4, 4, 3}), strata::Input({4, 4, 3})}, {.axis = 7});
})
MISUSE("build", "Activation with an unknown name", Kind::kValue, (V{"'nope'"}), { L::Activation("nope"); })
MISUSE("build", "ReLU with a negative max_value", Kind::kValue, (V{"max_value"}), { L::ReLU({.max_value = -1.0f}); })
MISUSE("build", "Softmax along an axis out of range", Kind::kValue, (V{"axis"}),
       { L::Softmax({.axis = 5})(strata::Input({4, 4, 3})); })
MISUSE("build", "BatchNormalization along an axis out of range", Kind::kValue, (V{"axis"}),
       { L::BatchNormalization({.axis = 9})(strata::Input({4, 4, 3})); })
MISUSE("build", "ZeroPadding2D with a negative margin", Kind::kValue, (V{"padding"}), { L::ZeroPadding2D(-1); })
MISUSE("build", "Cropping2D that crops everything", Kind::kShape, (V{"Cropping2D"}),
       { L::Cropping2D(2)(strata::Input({4, 4, 3})); })
MISUSE("build", "UpSampling2D by zero", Kind::kValue, (V{"size"}), { L::UpSampling2D(0); })
MISUSE("build", "UpSampling2D with an unknown interpolation", Kind::kValue, (V{"'cubic'"}),
       { L::UpSampling2D(2, {.interpolation = "cubic"}); })
MISUSE("build", "Reshape to another number of elements", Kind::kShape, (V{"Reshape"}),
       { L::Reshape({5, 5})(strata::Input({4, 4, 3})); })
MISUSE("build", "Reshape with two unknown dimensions", Kind::kValue, (V{"-1"}), { L::Reshape({-1, -1}); })
MISUSE("build", "Input with a negative dimension", Kind::kValue, (V{"[Input]", "(4, -3, 3)"}), { strata::Input({4, -3, 3}); })

// ---------------------------------------------------------------- graph building: models
MISUSE("model", "Model without outputs", Kind::kGraph, (V{"[Model \"empty\"]", "at least one output"}),
       { strata::Model(strata::Input({3}), strata::TensorList{}, "empty"); })
MISUSE("model", "Model without inputs", Kind::kGraph, (V{"at least one input"}), {
  auto in = strata::Input({3});
  strata::Model(strata::TensorList{}, L::Dense(2)(in), "no_inputs");
})
MISUSE("model", "Model whose input is not an Input", Kind::kGraph, (V{"strata::Input"}), {
  auto in = strata::Input({3});
  auto mid = L::Dense(2)(in);
  strata::Model(mid, L::Dense(2)(mid));
})
MISUSE("model", "Model with a disconnected graph", Kind::kGraph, (V{"Graph disconnected"}), {
  auto a = strata::Input({3});
  auto b = strata::Input({3});
  strata::Model(a, L::add({a, b}), "half");
})
MISUSE("model", "Model with two layers of one name", Kind::kGraph, (V{"\"twin\" is used 2 times"}), {
  auto in = strata::Input({3});
  auto x = L::Dense(2, {.name = "twin"})(in);
  strata::Model(in, L::Dense(2, {.name = "twin"})(x), "twins");
})
MISUSE("model", "Model given one input twice", Kind::kGraph, (V{"input"}), {
  auto in = strata::Input({3});
  strata::Model({in, in}, L::Dense(2)(in));
})
MISUSE("model", "get_layer of an unknown name", Kind::kGraph, (V{"no_such_layer"}),
       { fixture().model.get_layer("no_such_layer"); })
MISUSE("model", "a model called on a tensor of the wrong shape", Kind::kShape, (V{"fixture"}),
       { fixture().model.call_all({strata::Input({9, 9, 4})}); })
MISUSE("model", "a two-output model called as one tensor", Kind::kValue, (V{"2 outputs"}),
       { fixture().model(strata::Input({9, 9, 3})); })

// ---------------------------------------------------------------- compile
MISUSE("compile", "an unknown backend", Kind::kValue, (V{"[compile]", "'cuda'"}), { fixture().model.compile({.backend = "cuda"}); })
MISUSE("compile", "an unknown precision", Kind::kValue, (V{"[compile]", "precision 'float16'"}),
       { fixture().model.compile({.precision = "float16"}); })
MISUSE("compile", "a negative thread count", Kind::kValue, (V{"[compile]", "num_threads"}),
       { fixture().model.compile({.num_threads = -2}); })
MISUSE("compile", "far more threads than cores", Kind::kValue,
       (V{"[compile]", "num_threads at most", "per usable core", "received 100000"}),
       { fixture().model.compile({.num_threads = 100000}); })

// ---------------------------------------------------------------- predict
MISUSE("predict", "an input of the wrong rank", Kind::kShape, (V{"[predict] Input 0 ('image')", "received (2, 9, 9)"}),
       { fixture().compiled.predict(std::vector<strata::Tensor>{strata::Tensor::zeros({2, 9, 9})}); })
MISUSE("predict", "an input with the wrong channels", Kind::kShape, (V{"(2, 9, 9, 4)"}),
       { fixture().compiled.predict(std::vector<strata::Tensor>{strata::Tensor::zeros({2, 9, 9, 4})}); })
MISUSE("predict", "an input of the wrong image size", Kind::kShape, (V{"(2, 8, 9, 3)"}),
       { fixture().compiled.predict(std::vector<strata::Tensor>{strata::Tensor::zeros({2, 8, 9, 3})}); })
MISUSE("predict", "two inputs for a one-input model", Kind::kValue, (V{"expects 1 input tensor", "received 2"}), {
  const auto x = strata::Tensor::zeros({2, 9, 9, 3});
  fixture().compiled.predict(std::vector<strata::Tensor>{x, x});
})
MISUSE("predict", "no inputs at all", Kind::kValue, (V{"expects 1 input tensor", "received 0"}), { fixture().compiled.predict(std::vector<strata::Tensor>{}); })
MISUSE("predict", "an empty batch", Kind::kShape, (V{"is empty", "(0, 9, 9, 3)"}), { fixture().compiled.predict(std::vector<strata::Tensor>{strata::Tensor::zeros({0, 9, 9, 3})}); })
MISUSE("predict", "a negative batch_size", Kind::kValue, (V{"batch_size"}),
       { fixture().model.predict(std::vector<strata::Tensor>{fixture().input}, {.batch_size = -1}); })
MISUSE("predict", "the one-tensor predict of a two-output model", Kind::kValue, (V{"2 outputs"}),
       { fixture().model.predict(fixture().input); })

// ---------------------------------------------------------------- weights
MISUSE("weights", "set_weights with too few tensors", Kind::kValue, (V{"[conv (Conv2D)]"}), {
  fixture().model.get_layer("conv").set_weights({fixture().weights[1][0]});
})
MISUSE("weights", "set_weights with a wrong shape", Kind::kValue, (V{"[conv (Conv2D)]"}), {
  fixture().model.get_layer("conv").set_weights({strata::Tensor::zeros({3, 3, 3, 5}), strata::Tensor::zeros({4})});
})
MISUSE("weights", "set_weights on a layer without weights", Kind::kValue, (V{"gap"}), {
  fixture().model.get_layer("gap").set_weights({strata::Tensor::zeros({4})});
})
MISUSE("weights", "load_weights of a missing file", Kind::kFile, (V{"[load_weights", "No such file"}),
       { fixture().model.load_weights(fixture().path("missing.weights.h5")); })
MISUSE("weights", "load_weights of a text file", Kind::kFile, (V{"[load_weights", "no HDF5 signature"}),
       { fixture().model.load_weights(fixture().write("text.weights.h5", "not an HDF5 file\n")); })
MISUSE("weights", "load_weights of an empty file", Kind::kFile, (V{"[load_weights", "the file is empty"}),
       { fixture().model.load_weights(fixture().write("empty.h5", "")); })
MISUSE("weights", "load_weights of a directory", Kind::kFile, (V{"[load_weights", "It is a directory"}), { fixture().model.load_weights(fixture().dir); })
MISUSE("weights", "load_weights of another model's file", Kind::kFile, (V{"[load_weights", "Layer 'conv' (Conv2D)", "(1, 1, 3, 2)"}), {
  auto in = strata::Input({9, 9, 3});
  strata::Model other(in, L::Dense(2)(L::Flatten()(L::Conv2D(2, 1)(in))), "other");
  other.save_weights(fixture().path("other.weights.h5"));
  fixture().model.load_weights(fixture().path("other.weights.h5"));
})
MISUSE("weights", "load_weights of a file with a layer's kernel of another shape", Kind::kFile, (V{"[load_weights", "(3, 3, 3, 6"}), {
  auto in = strata::Input({9, 9, 3});
  auto x = L::Conv2D(6, 3, {.activation = "relu", .name = "conv"})(in);
  x = L::BatchNormalization({.name = "bn"})(x);
  strata::Model other(in, {L::Dense(5, {.name = "dense"})(L::GlobalAveragePooling2D({.name = "gap"})(x)), x}, "fixture");
  other.save_weights(fixture().path("wider.weights.h5"));
  fixture().model.load_weights(fixture().path("wider.weights.h5"));
})
MISUSE("weights", "save_weights into a missing directory", Kind::kFile, (V{"[save_weights", "Cannot create the file"}),
       { fixture().model.save_weights(fixture().path("no/such/dir/m.weights.h5")); })
MISUSE("weights", "save_weights onto a directory", Kind::kFile, (V{"[save_weights", "It is a directory"}),
       { fixture().model.save_weights(fixture().dir); })

// ---------------------------------------------------------------- .npy
MISUSE("npy", "load_npy of a missing file", Kind::kFile, (V{"[load_npy", "No such file"}), { strata::load_npy(fixture().path("none.npy")); })
MISUSE("npy", "load_npy of a text file", Kind::kFile, (V{"[load_npy", "magic"}),
       { strata::load_npy(fixture().write("text.npy", "hello, not numpy")); })
MISUSE("npy", "load_npy of an empty file", Kind::kFile, (V{"[load_npy", "the file is empty"}), { strata::load_npy(fixture().write("empty.npy", "")); })
MISUSE("npy", "load_npy of a truncated header", Kind::kFile, (V{"[load_npy", "the header needs 118 bytes"}),
       { strata::load_npy(fixture().write("short.npy", std::string("\x93NUMPY\x01\x00\x76\x00{'descr': '<f4'", 23))); })
MISUSE("npy", "load_npy of a file shorter than its shape", Kind::kFile, (V{"[load_npy", "needs 64 bytes of data"}), {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }";
  header.resize(117, ' ');
  header += '\n';
  strata::load_npy(fixture().write("truncated.npy", std::string("\x93NUMPY\x01\x00\x76\x00", 10) + header + "abcd"));
})
MISUSE("npy", "load_npy of a directory", Kind::kFile, (V{"[load_npy", "not a regular file"}), { strata::load_npy(fixture().dir); })
MISUSE("npy", "save_npy onto a directory", Kind::kFile, (V{"[save_npy", "It is a directory"}),
       { strata::save_npy(fixture().dir, fixture().input); })
MISUSE("npy", "save_npy into a missing directory", Kind::kFile, (V{"[save_npy", "Cannot create the file"}),
       { strata::save_npy(fixture().path("no/such/x.npy"), fixture().input); })
MISUSE("npy", "save_npy of an empty tensor", Kind::kFile, (V{"The tensor is empty"}),
       { strata::save_npy(fixture().path("e.npy"), strata::Tensor()); })

// ---------------------------------------------------------------- ONNX export
MISUSE("onnx", "an opset below 13", Kind::kValue, (V{"opset 9", "13"}),
       { strata::export_onnx(fixture().model, fixture().path("m.onnx"), {.opset = 9}); })
MISUSE("onnx", "a path in a missing directory", Kind::kFile, (V{"no_such_dir/m.onnx"}),
       { strata::export_onnx(fixture().model, fixture().path("no_such_dir/m.onnx")); })
MISUSE("onnx", "a path that is a directory", Kind::kFile, (V{"export_onnx"}), { strata::export_onnx(fixture().model, fixture().dir); })

// ---------------------------------------------------------------- plot_model
MISUSE("plot", "an unknown file type", Kind::kValue, (V{"Unknown file type 'jpg'"}),
       { strata::plot_model(fixture().model, fixture().path("m.jpg")); })
MISUSE("plot", "an unknown rankdir", Kind::kValue, (V{"Unknown rankdir 'XY'"}),
       { strata::plot_model(fixture().model, fixture().path("m.dot"), {.rankdir = "XY"}); })
MISUSE("plot", "a path in a missing directory", Kind::kFile, (V{"plot_model"}),
       { strata::plot_model(fixture().model, fixture().path("nowhere/m.dot")); })
MISUSE("plot", "a zero dpi", Kind::kValue, (V{"dpi"}), { strata::plot_model(fixture().model, fixture().path("m.dot"), {.dpi = 0}); })

// ---------------------------------------------------------------- tensors
MISUSE("tensor", "a Tensor whose values do not fill its dims", Kind::kValue, (V{"need 6 values, received 5"}),
       { strata::Tensor({2, 3}, std::vector<float>(5, 1.0f)); })
MISUSE("tensor", "a random tensor with a negative dimension", Kind::kValue, (V{"-1"}),
       { strata::Tensor::random_uniform({2, -1}, 1); })
