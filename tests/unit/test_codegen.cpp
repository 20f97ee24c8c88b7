// strata::to_cpp: the source it writes for each kind of call (plain, shared, nested, several outputs, initial
// states, attention's keywords), names made C++ identifiers, long statements broken, and the errors for what
// it cannot write. That the sources compile and rebuild their models bit for bit is
// tests/codegen/test_codegen_generated.cpp's part.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "io/zip_archive.hpp"
#include "message_matcher.hpp"
#include "saving_fixtures.hpp"
#include "strata/codegen.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
namespace L = strata::layers;

namespace {

// The source with each statement broken over lines joined back into one.
std::string one_line(const std::string& cpp) {
  std::string joined;
  for (size_t i = 0; i < cpp.size(); ++i) {
    if (cpp[i] != '\n') {
      joined += cpp[i];
      continue;
    }
    while (i + 1 < cpp.size() && cpp[i + 1] == ' ') ++i;
    joined += ' ';
  }
  return joined;
}

}  // namespace

TEST_CASE("to_cpp writes a functional model as a person would", "[codegen]") {
  auto image = strata::Input({32, 32, 3}, "image");
  auto x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu", .name = "conv"})(image);
  const L::Dense shared(4, {.name = "proj"});
  auto a = shared(L::GlobalAveragePooling2D({.name = "avg"})(x));
  auto b = shared(L::GlobalMaxPooling2D({.name = "max"})(x));
  const strata::Model model(image, L::Add({.name = "sum"})({a, b}), "tiny");
  CHECK(strata::to_cpp(model, {.weights_file = "tiny.keras", .source = "tiny.keras"}) ==
        R"(// The Keras model "tiny" in strata's functional API, written by strata::to_cpp from
// tiny.keras.
// build_model() makes it with fresh weights; build_model_with_weights(path) also
// loads the weights of a .keras archive, a Keras 2 .h5 file or a .weights.h5 file.

#include <string>
#include <vector>

#include <strata/strata.hpp>

strata::Model build_model() {
  using namespace strata::layers;
  const strata::SymbolicTensor image = strata::Input({32, 32, 3}, {.name = "image"});
  const strata::SymbolicTensor conv =
      Conv2D(8, 3, {.padding = "same", .activation = "relu", .name = "conv"})(image);
  const strata::SymbolicTensor avg = GlobalAveragePooling2D({.name = "avg"})(conv);
  const strata::SymbolicTensor max = GlobalMaxPooling2D({.name = "max"})(conv);
  const auto proj_layer = Dense(4, {.name = "proj"});
  const strata::SymbolicTensor proj = proj_layer(avg);
  const strata::SymbolicTensor proj_1 = proj_layer(max);
  const strata::SymbolicTensor sum = Add({.name = "sum"})({proj, proj_1});
  strata::Model model({image}, {sum}, "tiny");
  return model;
}

strata::Model build_model_with_weights(const std::string& path = "tiny.keras") {
  strata::Model model = build_model();
  model.load_weights(path);
  return model;
}
)");
}

TEST_CASE("to_cpp writes a Sequential as one, nested models as functions, every call form", "[codegen]") {
  const std::string cpp =
      strata::to_cpp(everything_model(), {.function = "make", .namespace_name = "gen::v1"});
  CHECK_THAT(cpp, Contains("namespace gen::v1 {\n"));
  CHECK_THAT(cpp, Contains("}  // namespace gen::v1\n"));
  CHECK_THAT(cpp, Contains("strata::Model build_inner() {"));
  CHECK_THAT(cpp,
             Contains("strata::Sequential build_head() {\n  using namespace strata::layers;\n"
                      "  strata::Sequential model({\n      InputLayer({5, 4}, {.name = \"head_in\"}),\n"));
  CHECK_THAT(cpp, Contains("  const auto inner = build_inner();\n"
                           "  const strata::SymbolicTensor inner_1 = inner(shared);\n"
                           "  const strata::SymbolicTensor inner_2 = inner(shared_1);\n"));
  CHECK_THAT(cpp, Contains("(head_1, head_2,\n          {.use_causal_mask = true});"));
  CHECK_THAT(cpp, Contains("GRU(4, {.name = \"gru\"})(mha, {h});"));
  CHECK_THAT(cpp, Contains("strata::Model make() {"));
  CHECK_THAT(cpp, Contains("strata::Model make_with_weights(const std::string& path) {"));

  // Several outputs: a vector, its elements used by index; unknown sizes as strata::None.
  auto seq = strata::Input({strata::None, 3}, "seq");
  const auto lstm = L::LSTM(2, {.return_state = true, .name = "lstm"}).call_all(seq);
  auto key = strata::Input({4, 3}, "key");
  auto mask = strata::Input({7, 4}, "mask");
  auto query = strata::Input({7, 3}, "query");
  auto attended = L::MultiHeadAttention(1, 2, {.name = "att"})
                      .call_with_scores(query, key, {.key = key, .attention_mask = mask});
  const strata::Model states({seq, query, key, mask}, {lstm[1], lstm[2], attended[1]}, "states");
  const std::string text = strata::to_cpp(states);
  CHECK_THAT(text, Contains("  using strata::None;\n"));
  CHECK_THAT(text, Contains("strata::Input({None, 3}, {.name = \"seq\"});"));
  CHECK_THAT(text, Contains("const std::vector<strata::SymbolicTensor> lstm =\n"
                            "      LSTM(2, {.return_state = true, .name = \"lstm\"}).call_all(seq);"));
  CHECK_THAT(text,
             Contains(".call_with_scores(query, key,\n          {.key = key, .attention_mask = mask});"));
  CHECK_THAT(
      text,
      Contains("strata::Model model({seq, query, key, mask}, {lstm[1], lstm[2], att[1]}, \"states\");"));
}

TEST_CASE("to_cpp makes names C++ identifiers, one per tensor, and keeps trainable flags", "[codegen]") {
  auto in = strata::Input({3}, "1st input");
  auto x = L::Dense(2, {.name = "class"})(in);
  x = L::Dense(2, {.name = "dense/a-b"})(x);
  x = L::Dense(2, {.name = "model"})(x);
  const strata::Model model(in, L::Dense(2, {.name = "x__y_"})(x), "names \"quoted\"");
  model.get_layer("class").set_trainable(false);
  const std::string cpp = strata::to_cpp(model);
  CHECK_THAT(
      cpp,
      Contains("const strata::SymbolicTensor t1st_input = strata::Input({3}, {.name = \"1st input\"});"));
  CHECK_THAT(cpp,
             Contains("const strata::SymbolicTensor class_ = Dense(2, {.name = \"class\"})(t1st_input);"));
  CHECK_THAT(cpp,
             Contains("const strata::SymbolicTensor dense_a_b = Dense(2, {.name = \"dense/a-b\"})(class_);"));
  CHECK_THAT(cpp,
             Contains("const strata::SymbolicTensor model_ = Dense(2, {.name = \"model\"})(dense_a_b);"));
  CHECK_THAT(cpp, Contains("const strata::SymbolicTensor x_y = Dense(2, {.name = \"x__y_\"})(model_);"));
  CHECK_THAT(cpp, Contains("strata::Model model({t1st_input}, {x_y}, \"names \\\"quoted\\\"\");"));
  CHECK_THAT(cpp, Contains("  model.get_layer(\"class\").set_trainable(false);\n"));
}

TEST_CASE("to_cpp keeps clear of class names, macros and reserved identifiers, and keeps call order",
          "[codegen]") {
  const std::string cpp = strata::to_cpp(codegen_corner_model());
  // A dtype on a Sequential's InputLayer; names that are a layer class, a macro, a keyword, the model.
  CHECK_THAT(cpp, Contains("InputLayer({6}, {.dtype = \"int32\", .name = \"ids_in\"}),"));
  CHECK_THAT(cpp, Contains("const strata::SymbolicTensor NULL_ = strata::Input({24}, {.name = \"NULL\"});"));
  CHECK_THAT(cpp, Contains("const strata::SymbolicTensor Dense_ = Dense(24, {.name = \"Dense\"})(class_);"));
  CHECK_THAT(cpp, Contains("const auto model_layer = Dense(24, {.name = \"model\"});"));
  CHECK(cpp.find("__") == std::string::npos);
  // The shared layer's calls in their own order: the one on Dense_ first, though the other is ready sooner.
  CHECK(cpp.find("model_layer(Dense_)") < cpp.find("model_layer(NULL_)"));
  // A wrapped layer that is not trainable (the statement broken over lines: joined here).
  const std::string joined = one_line(cpp);
  CHECK_THAT(joined, Contains("TimeDistributed([] { auto layer = Dense(3, {.name = \"frozen\"}); "
                              "layer.set_trainable(false); return layer; }(), {.name = \"td\"})"));

  CHECK_THROWS_MATCHES(strata::to_cpp(seed_block_1(), {.function = "main"}), strata::ValueError,
                       MessageThat(Contains("received \"main\"")));
  CHECK_THROWS_MATCHES(strata::to_cpp(strata::Sequential({L::Dense(2)})), strata::ValueError,
                       MessageThat(Contains("[to_cpp] The model has no graph yet")));
}

TEST_CASE("to_cpp writes keras.ops calls as strata::ops calls, named as the model names them",
          "[codegen][ops]") {
  strata::clear_session();  // the ops' automatic names: add, multiply, ...
  const std::string cpp = strata::to_cpp(ops_model());
  const std::string joined = one_line(cpp);
  CHECK_THAT(joined, Contains("#include <limits>"));
  CHECK_THAT(joined, Contains("strata::ops::named(\"add\", strata::ops::add(dense, 0.5))"));
  CHECK_THAT(joined, Contains("strata::ops::named(\"multiply\", strata::ops::multiply(add, 2))"));
  CHECK_THAT(joined, Contains("strata::ops::named(\"subtract\", strata::ops::subtract(3.0, multiply))"));
  CHECK_THAT(joined, Contains("strata::ops::mean(where, 1, true)"));
  CHECK_THAT(joined, Contains("strata::ops::transpose(where, {0, 2, 1})"));
  CHECK_THAT(joined, Contains("strata::ops::reshape(matmul, {-1, 36})"));
  CHECK_THAT(joined, Contains("strata::ops::cast(less, \"float32\")"));
  CHECK_THAT(joined, Contains("strata::ops::maximum(sum, -std::numeric_limits<double>::infinity())"));
  CHECK_THAT(joined, Contains("strata::ops::clip(maximum, 0.0, 3.0)"));
  CHECK_THAT(joined, Contains("strata::ops::concatenate({reshape, squeeze, clip}, -1)"));
}

namespace {

class Doubler : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "Doubler"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs[0];
  }
  void call(const std::vector<const strata::Tensor*>& inputs, const std::vector<const strata::Tensor*>&,
            strata::Tensor& out) const override {
    out = *inputs[0];
  }
};

}  // namespace

TEST_CASE("to_cpp names what it cannot write", "[codegen][errors]") {
  auto in = strata::Input({4}, "in");
  const strata::Model custom(in, strata::CustomLayer(std::make_shared<Doubler>(), {.name = "twice"})(in),
                             "c");
  CHECK_THROWS_MATCHES(
      strata::to_cpp(custom), strata::ValueError,
      MessageThat(Contains("[twice (Doubler)] to_cpp writes built-in layers and models only")));
  CHECK_THROWS_MATCHES(strata::ops::named("x", strata::layers::Dense(2)(in)), strata::ValueError,
                       MessageThat(Contains("Expected the output of an op")));
  CHECK_THROWS_MATCHES(strata::to_cpp(seed_block_1(), {.function = "2fast"}), strata::ValueError,
                       MessageThat(Contains("Expected the function name to be a C++ identifier") &&
                                   Contains("received \"2fast\"")));
  CHECK_THROWS_MATCHES(strata::to_cpp(seed_block_1(), {.function = "class"}), strata::ValueError,
                       MessageThat(Contains("received \"class\"")));
  CHECK_THROWS_MATCHES(strata::to_cpp(seed_block_1(), {.namespace_name = "a::"}), strata::ValueError,
                       MessageThat(Contains("Expected the namespace as C++ identifiers joined by '::'")));

  // A layer both inside a nested model and called by the outer one would become two layers.
  auto a = strata::Input({4}, "a");
  const L::Dense both(4, {.name = "both"});
  const strata::Model inner(a, both(a), "inner");
  auto b = strata::Input({4}, "b");
  const strata::Model outer(b, both(inner(b)), "outer");
  CHECK_THROWS_MATCHES(strata::to_cpp(outer), strata::ValueError,
                       MessageThat(Contains("[both (Dense)] to_cpp cannot write a layer that models")));
}

TEST_CASE("load_weights reads a .keras archive's weights, as Keras 3's load_weights",
          "[codegen][load_weights]") {
  const strata::Model model = seed_block_1();
  randomize_weights(model, 3);
  const std::string path = (std::filesystem::temp_directory_path() / "strata_codegen_weights.keras").string();
  model.save(path);
  const strata::Model fresh = seed_block_1();
  const strata::LoadWeightsReport report = fresh.load_weights(path);
  CHECK(report.loaded.size() == 6);
  const std::vector<strata::Tensor> want = model.get_weights(), got = fresh.get_weights();
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(want[i] == got[i]);
  // A mismatch names the entry inside the archive.
  auto in = strata::Input({32, 32, 3});
  const strata::Model other(in, L::Conv2D(5, 3)(in), "other");
  CHECK_THROWS_MATCHES(other.load_weights(path), strata::FileError,
                       MessageThat(Contains(path + "/model.weights.h5")));
  // An archive whose weights entry is itself an archive is not followed: the entry must be HDF5.
  const std::string outer = (std::filesystem::temp_directory_path() / "strata_codegen_nested.keras").string();
  std::ifstream archive(path, std::ios::binary);
  const std::string inner((std::istreambuf_iterator<char>(archive)), std::istreambuf_iterator<char>());
  strata::detail::write_zip(outer, {{"config.json", "{}", ""}, {"model.weights.h5", inner, ""}}, "[test]");
  CHECK_THROWS_MATCHES(fresh.load_weights(outer), strata::FileError,
                       MessageThat(Contains(outer + "/model.weights.h5") && Contains("Not an HDF5 file")));
  std::filesystem::remove(outer);
  std::filesystem::remove(path);
}
