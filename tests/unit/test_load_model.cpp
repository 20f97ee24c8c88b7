// load_model on full-model HDF5 files written by Keras 2 itself (tests/data/keras_models/README.md): every
// layer's output against the activations Keras computed, and the clear errors for the files strata cannot
// build.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "graph/node.hpp"
#include "hdf5_util.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/custom_layer.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace h5 = strata::detail::h5;

namespace {

const std::filesystem::path kDir = std::filesystem::path(STRATA_DATA_DIR) / "keras_models";

std::string path_of(const std::string& file) {
  return (kDir / file).string();
}

}  // namespace

TEST_CASE("load_model matches every layer's output Keras computed", "[load_model][keras]") {
  int files = 0, layers_checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    const std::string file = entry.path().filename().string();
    const std::string suffix = "_inputs_and_outputs.h5";
    if (!file.ends_with(suffix)) continue;
    const std::string stem = file.substr(0, file.size() - suffix.size());
    INFO(stem);
    const strata::Model model = strata::load_model(path_of(stem + "_model.h5"));
    const h5::File io = h5::File::open(entry.path().string());
    const h5::Group root = io.root();

    std::vector<strata::Tensor> inputs;
    for (const strata::SymbolicTensor& x : model.inputs()) {
      inputs.push_back(read_dataset(root.open_group("inputs"), x.node()->layer->name()));
    }
    // Keras's predictions (`outputs` may be training targets); older sets have only `outputs`.
    const std::string group = root.kind("predictions") == h5::Kind::kGroup ? "predictions" : "outputs";
    const std::string last = model.outputs().front().node()->layer->name();
    const strata::Tensor expected = read_dataset(root.open_group(group), last);
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const strata::Tensor got = model.compile({.backend = backend}).predict(inputs).front();
      REQUIRE(got.dims() == expected.dims());
      // Keras's TensorFlow float32 kernels against strata's: dot products of at most 50 terms, through one
      // recurrent step or an activation.
      CHECK(max_relative_error(got, expected) <= 1e-5);
    }
    // Every layer's own output, where Keras stored it.
    if (root.kind("activations") == h5::Kind::kGroup) {
      const h5::Group activations = root.open_group("activations");
      for (const std::string& name : activations.children()) {
        INFO(name);
        const strata::Model upto(model.inputs(), model.get_layer(name).output(), "upto_" + name);
        const strata::Tensor got = upto.predict(inputs).front();
        const strata::Tensor want = read_dataset(activations, name);
        REQUIRE(got.dims() == want.dims());
        CHECK(max_relative_error(got, want) <= 1e-5);
        ++layers_checked;
      }
    }
    // The check can fail: a perturbed input moves the output far beyond the tolerance.
    std::vector<strata::Tensor> moved = inputs;
    for (strata::Tensor& t : moved) t = perturbed(t);
    CHECK(max_relative_error(model.predict(moved).front(), expected) > 1e-3);
    ++files;
  }
  CHECK(files == 12);
  CHECK(layers_checked >= 20);
}

TEST_CASE("load_model names the file and what it cannot read", "[load_model][errors]") {
  const std::string missing = path_of("no_such_model.h5");
  CHECK_THROWS_MATCHES(strata::load_model(missing), strata::FileError,
                       MessageThat(StartsWith("[load_model \"" + missing + "\"]")));
  const std::string weights =
      (kDir.parent_path() / "keras_rnn" / "simple_rnn_tf_keras_2_weights.h5").string();
  CHECK_THROWS_MATCHES(
      strata::load_model(weights), strata::FileError,
      MessageThat(Contains("The file holds no model (no root attribute model_config): it is a "
                           "weights-only file")));
  const std::filesystem::path zip = std::filesystem::temp_directory_path() / "strata_test_archive.keras";
  std::ofstream(zip, std::ios::binary) << "PK\x03\x04 not really an archive";
  CHECK_THROWS_MATCHES(strata::load_model(zip.string()), strata::FileError,
                       MessageThat(Contains("Cannot read the zip archive")));
  std::filesystem::remove(zip);
  CHECK_THROWS_MATCHES(
      strata::load_model(path_of("simple_lstm_tf_keras_1_model.h5")), strata::FileError,
      MessageThat(Contains("The file was written by Keras 1.2.2; strata reads the files of Keras 2 "
                           "and later")));
  CHECK_THROWS_MATCHES(
      strata::load_model(path_of("conv1d_k2_s1_d1_cf_same_model.h5")), strata::ValueError,
      MessageThat(Contains("[conv0 (Conv1D)] config key 'data_format': expected \"channels_last\" "
                           "(strata cannot compute another value), received \"channels_first\"")));
  CHECK_THROWS_MATCHES(
      strata::load_model(path_of("keras-attention.h5")), strata::ShapeError,
      MessageThat(
          Contains("layer 'attention', node #0: [attention (Attention)] Expected a query of rank 3 "
                   "(batch, steps, features) with known features, received shape (None, 32): on (batch, "
                   "features) inputs Keras's matmul makes each sample attend to the other samples of "
                   "its batch, which strata does not compute")));
}

namespace {

// The two Lambdas of model_lambda.h5 are Python's `lambda x: x ** 2` and `lambda x: 3 * x` (their bytecode
// in the config); a user who knows that registers them.
class PythonLambda : public strata::CustomLayerDefinition {
 public:
  explicit PythonLambda(bool square) : square_(square) {}
  std::string class_name() const override { return "Lambda"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs.front();
  }
  void call(const std::vector<const strata::Tensor*>& inputs, const std::vector<const strata::Tensor*>&,
            strata::Tensor& output) const override {
    const strata::Tensor& x = *inputs.front();
    for (int64_t i = 0; i < x.size(); ++i)
      output.data()[i] = square_ ? x.data()[i] * x.data()[i] : 3.0f * x.data()[i];
  }

 private:
  bool square_;
};

}  // namespace

TEST_CASE("load_model builds a registered class: the Lambdas of a Keras file", "[load_model][custom]") {
  const std::string file = path_of("model_lambda.h5");
  CHECK_THROWS_MATCHES(strata::load_model(file), strata::ValueError,
                       MessageThat(Contains("layer 'lambda_3': the class 'Lambda' is not one strata has")));
  strata::register_custom_layer("Lambda", [](const std::string& config) {
    const bool square = nlohmann::json::parse(config).at("name") == "lambda_3";
    return std::make_shared<PythonLambda>(square);
  });
  const strata::Model model = strata::load_model(file);
  REQUIRE(model.layers().size() == 5);
  CHECK(model.layers()[2].class_name() == "Lambda");
  // dense_4(3 * dense_3(x) ** 2), written out with the file's weights.
  const strata::Tensor x = random_input({2, 784}, 5);
  const std::vector<strata::Tensor> w3 = model.get_layer("dense_3").get_weights(),
                                    w4 = model.get_layer("dense_4").get_weights();
  const int64_t hidden = w3[1].size(), classes = w4[1].size();
  std::vector<float> h(hidden);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t j = 0; j < hidden; ++j) {
      double s = w3[1].data()[j];
      for (int64_t i = 0; i < 784; ++i) s += double(x.data()[b * 784 + i]) * w3[0].data()[i * hidden + j];
      h[j] = 3.0f * std::pow(std::max(0.0f, float(s)), 2.0f);
    }
    std::vector<double> logits(classes);
    double peak = -1e300, total = 0.0;
    for (int64_t k = 0; k < classes; ++k) {
      logits[k] = w4[1].data()[k];
      for (int64_t j = 0; j < hidden; ++j) logits[k] += double(h[j]) * w4[0].data()[j * classes + k];
      peak = std::max(peak, logits[k]);
    }
    for (double& l : logits) total += std::exp(l - peak);
    const strata::Tensor y = model.predict(x);
    for (int64_t k = 0; k < classes; ++k) {
      CHECK(std::abs(y.data()[b * classes + k] - std::exp(logits[k] - peak) / total) < 1e-5);
    }
  }
}
