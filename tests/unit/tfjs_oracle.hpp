#pragma once
// The independent oracle: runs a strata model in TensorFlow.js's Layers API (Google's JavaScript port of
// Keras, npm @tensorflow/tfjs-layers 4.22 on the pure JavaScript CPU backend, installed into tests/tfjs by
// .ci/deps.sh). The model goes over as its Keras config (FunctionalImpl::config, what Keras's get_config
// writes) and its weights in Keras's order; tfjs builds its own model from the config and runs it with its
// own kernels, so nothing of strata's lowering, fusion or reference executor is shared.
// tests/tfjs/run_tfjs.js lists where tfjs differs from Keras 3; such models are refused (TfjsRefused), never
// compared.

#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/functional.hpp"
#include "numerics_util.hpp"

namespace strata_test {

/// Thrown when tfjs computes something in the model differently from Keras 3; the message names the layer.
struct TfjsRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace tfjs_detail {

inline void write_floats(std::ofstream& out, const strata::Tensor& t) {
  out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size() * sizeof(float)));
}

}  // namespace tfjs_detail

/// One model and its inputs, for `tfjs_predict_all`.
struct TfjsCase {
  strata::Model model;
  std::vector<strata::Tensor> inputs;
};

/// What tfjs computed for one case: the outputs (one tensor per model output), or why it refused the model
/// (it computes something in it differently from Keras 3, or lacks a class), naming the layer.
struct TfjsResult {
  std::vector<strata::Tensor> outputs;
  std::string refused;
};

namespace tfjs_detail {

// Each layer's weights under its path of names (a nested model's layers under the model's name): tfjs orders
// a nested model's weights trainable first, so they go to each inner layer instead.
inline void write_weights(const strata::detail::FunctionalImpl& model, nlohmann::json path,
                          nlohmann::json& manifest, std::ofstream& bin) {
  for (const auto& layer : model.layers()) {
    nlohmann::json here = path;
    here.push_back(layer->name());
    if (const auto* inner = dynamic_cast<const strata::detail::FunctionalImpl*>(layer.get())) {
      write_weights(*inner, here, manifest, bin);
      continue;
    }
    const std::vector<strata::Tensor> weights = strata::Layer(layer).get_weights();
    if (weights.empty()) continue;
    nlohmann::json shapes = nlohmann::json::array();
    for (const strata::Tensor& w : weights) {
      shapes.push_back(w.dims());
      write_floats(bin, w);
    }
    manifest.push_back({{"layer", here}, {"shapes", shapes}});
  }
}

inline void write_case(const std::filesystem::path& dir, const TfjsCase& c) {
  using nlohmann::json;
  const auto* impl = dynamic_cast<const strata::detail::FunctionalImpl*>(c.model.impl().get());
  if (impl == nullptr) throw std::runtime_error("tfjs_predict: not a model");
  std::filesystem::create_directories(dir);
  for (const char* stale : {"outputs.bin", "outputs.json", "refused.txt"})
    std::filesystem::remove(dir / stale);
  std::ofstream(dir / "model.json") << json{
      {"class_name", impl->class_name()},
      {"config", impl->config()}}.dump();
  json manifest = json::array();
  {
    std::ofstream bin(dir / "weights.bin", std::ios::binary);
    write_weights(*impl, json::array(), manifest, bin);
  }
  std::ofstream(dir / "weights.json") << manifest.dump();
  json input_shapes = json::array();
  {
    std::ofstream bin(dir / "inputs.bin", std::ios::binary);
    for (const strata::Tensor& t : c.inputs) {
      input_shapes.push_back(t.dims());
      write_floats(bin, t);
    }
  }
  std::ofstream(dir / "inputs.json") << input_shapes.dump();
}

inline TfjsResult read_case(const std::filesystem::path& dir) {
  TfjsResult result;
  if (std::ifstream refused{dir / "refused.txt"}) {
    result.refused.assign(std::istreambuf_iterator<char>(refused), std::istreambuf_iterator<char>());
    return result;
  }
  std::ifstream bin(dir / "outputs.bin", std::ios::binary);
  for (const auto& shape : nlohmann::json::parse(std::ifstream(dir / "outputs.json"))) {
    std::vector<int64_t> dims = shape.get<std::vector<int64_t>>();
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    bin.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(n * sizeof(float)));
    result.outputs.emplace_back(std::move(dims), std::move(values));
  }
  return result;
}

}  // namespace tfjs_detail

/// Runs every case in one tfjs process (loading tfjs takes half a second). Throws std::runtime_error when
/// node or tfjs fail (not for a refused model: see TfjsResult::refused).
inline std::vector<TfjsResult> tfjs_predict_all(const std::vector<TfjsCase>& cases) {
  namespace fs = std::filesystem;
  const fs::path tfjs_dir = STRATA_TFJS_DIR;
  if (!fs::exists(tfjs_dir / "node_modules" / "@tensorflow" / "tfjs-layers" / "package.json")) {
    throw std::runtime_error(fmt::format(
        "tfjs_predict: tfjs is not installed in {}; run `bash .ci/deps.sh` as root", tfjs_dir.string()));
  }
  static std::atomic<int> calls{0};
  const fs::path root = fs::path(STRATA_TFJS_WORK_DIR) / fmt::format("{}-{}", getpid(), calls++);
  std::string command = fmt::format("'{}' '{}'", STRATA_NODE, (tfjs_dir / "run_tfjs.js").string());
  std::vector<fs::path> dirs;
  for (const TfjsCase& c : cases) {
    dirs.push_back(root / fmt::format("{}-{}", dirs.size(), c.model.name()));
    tfjs_detail::write_case(dirs.back(), c);
    command += fmt::format(" '{}'", dirs.back().string());
  }
  command += fmt::format(" 2>'{}'", (root / "stderr.txt").string());
  if (std::system(command.c_str()) != 0) {
    std::ifstream err_file(root / "stderr.txt");
    const std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
    throw std::runtime_error(fmt::format("tfjs_predict: {} failed: {}", command, err));
  }
  std::vector<TfjsResult> results;
  for (const fs::path& dir : dirs) results.push_back(tfjs_detail::read_case(dir));
  fs::remove_all(root);  // a ResNet50's weights are 100 MB
  return results;
}

/// Each case's model (`c.build()`) with its weights set by `set_weights(model, seed)` and inputs of the dims
/// `c.inputs` uniform in [-1, 1), the seeds counting up from `seed`: the runs for `tfjs_predict_all`. The
/// same seeds make the same runs, so a failing case reproduces.
template <class Case>
std::vector<TfjsCase> tfjs_runs(const std::vector<Case>& cases, uint64_t seed,
                                const std::function<void(const strata::Model&, uint64_t)>& set_weights) {
  std::vector<TfjsCase> runs;
  for (const Case& c : cases) {
    strata::Model model = c.build();
    if (set_weights) set_weights(model, seed);
    std::vector<strata::Tensor> inputs;
    for (const auto& dims : c.inputs) inputs.push_back(random_input(dims, seed++));
    runs.push_back({model, inputs});
  }
  return runs;
}

/// The outputs tfjs computes for `model` on `inputs`. Throws TfjsRefused when tfjs refuses the model.
inline std::vector<strata::Tensor> tfjs_predict(const strata::Model& model,
                                                const std::vector<strata::Tensor>& inputs) {
  TfjsResult result = tfjs_predict_all({{model, inputs}}).at(0);
  if (!result.refused.empty()) throw TfjsRefused(result.refused);
  return result.outputs;
}

/// Runs each case (a struct with `what`, `build` and `inputs`) in tfjs and on both of strata's backends, and
/// checks every output within `tolerance` of tfjs's; then that the check can fail: the first input changed
/// by `perturb` (a sign flip, a shift) must move the first output more than 100 times the tolerance.
template <class Case>
void check_cases_against_tfjs(const std::vector<Case>& cases, uint64_t seed, double tolerance,
                              const std::function<float(float)>& perturb) {
  const std::vector<TfjsCase> runs = tfjs_runs(cases, seed, randomize_weights_keeping_scale);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO(cases[i].what << ": " << results[i].refused);
    REQUIRE(results[i].refused.empty());
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend);
      const std::vector<strata::Tensor> ours =
          runs[i].model.compile({.backend = backend}).predict(runs[i].inputs);
      REQUIRE(ours.size() == results[i].outputs.size());
      for (size_t o = 0; o < ours.size(); ++o) {
        INFO("output " << o);
        CHECK(max_relative_error(ours[o], results[i].outputs[o]) <= tolerance);
      }
    }
    std::vector<strata::Tensor> moved = runs[i].inputs;
    for (int64_t k = 0; k < moved[0].size(); ++k) moved[0].data()[k] = perturb(moved[0].data()[k]);
    CHECK(max_relative_error(runs[i].model.predict(moved).front(), results[i].outputs.front()) >
          100 * tolerance);
  }
}

}  // namespace strata_test
