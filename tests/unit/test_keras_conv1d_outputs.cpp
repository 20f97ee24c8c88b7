// Conv1D against outputs Keras itself computed (Keras 2.3.1, tests/data/keras_conv1d/README.md): causal,
// valid and same padding, kernel sizes 2 to 4, strides 1 to 3, dilation 1 and 2, with Keras's own weight
// files loaded by Model::load_weights. The independent oracle for causal padding, which tfjs lacks.
#include <filesystem>
#include <regex>

#include "hdf5_util.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace L = strata::layers;

TEST_CASE("Conv1D matches the outputs Keras computed", "[conv1d][keras]") {
  const std::filesystem::path dir = std::filesystem::path(STRATA_DATA_DIR) / "keras_conv1d";
  const std::regex name(R"((causal_)?conv1d_k(\d)_s(\d)_d(\d)_cl(_same|_valid)?_weights\.h5)");
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, name)) continue;
    const bool causal = m[1].matched;
    const std::string padding = causal ? "causal" : m[5].str().substr(1);
    const int k = std::stoi(m[2]), s = std::stoi(m[3]), d = std::stoi(m[4]);
    const std::string stem = file.substr(0, file.size() - std::string("_weights.h5").size());
    INFO(stem);
    for (const char* backend : {"onednn", "reference"}) {
      auto x = strata::Input({16, 3});
      strata::Model model(x, L::Conv1D(4, k,
                                       {.strides = s,
                                        .padding = padding,
                                        .dilation_rate = d,
                                        .activation = causal ? "tanh" : "sigmoid",
                                        .name = "conv0"})(x));
      model.load_weights(entry.path().string());
      const std::string io = (dir / (stem + "_inputs_and_outputs.h5")).string();
      const strata::Tensor input = read_dataset(io, "inputs/conv0_input");
      const strata::Tensor expected = read_dataset(io, "outputs/conv0");
      const strata::Tensor got = model.compile({.backend = backend}).predict(input);
      INFO(backend);
      REQUIRE(got.dims() == expected.dims());
      // Keras's float32 TensorFlow kernels against strata's: a dot product of at most 12 terms.
      CHECK(max_relative_error(got, expected) <= float32_tolerance(12));
      // The check can fail: the same model on a perturbed input (every value moved; a strided window skips
      // some steps) is far off.
      strata::Tensor moved = input;
      for (int64_t i = 0; i < moved.size(); ++i) moved.data()[i] += 0.5f;
      CHECK(max_relative_error(model.compile({.backend = backend}).predict(moved), expected) > 1e-2);
    }
    ++cases;
  }
  CHECK(cases == 36);
}
