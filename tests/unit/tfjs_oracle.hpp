#pragma once
// The independent oracle: runs a strata model in TensorFlow.js's Layers API (Google's JavaScript port of
// Keras, npm @tensorflow/tfjs-layers 4.22 on the pure JavaScript CPU backend, installed into tests/tfjs by
// .ci/deps.sh). The model goes over as its Keras config (FunctionalImpl::config, what Keras's get_config
// writes) and its weights in Keras's order; tfjs builds its own model from the config and runs it with its
// own kernels, so nothing of strata's lowering, fusion or reference executor is shared.
// tests/tfjs/run_tfjs.js lists where tfjs differs from Keras 3; such models are refused (TfjsRefused), never
// compared.

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/functional.hpp"

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

/// The outputs tfjs computes for `model` on `inputs` (one tensor per model output). Throws TfjsRefused for
/// a model tfjs cannot run as Keras 3 would, std::runtime_error when node or tfjs fail.
inline std::vector<strata::Tensor> tfjs_predict(const strata::Model& model,
                                                const std::vector<strata::Tensor>& inputs) {
  namespace fs = std::filesystem;
  using nlohmann::json;
  const auto* impl = dynamic_cast<const strata::detail::FunctionalImpl*>(model.impl().get());
  if (impl == nullptr) throw std::runtime_error("tfjs_predict: not a model");
  const fs::path tfjs_dir = STRATA_TFJS_DIR;
  if (!fs::exists(tfjs_dir / "node_modules" / "@tensorflow" / "tfjs-layers" / "package.json")) {
    throw std::runtime_error(fmt::format(
        "tfjs_predict: tfjs is not installed in {}; run `bash .ci/deps.sh` as root", tfjs_dir.string()));
  }
  static std::atomic<int> calls{0};
  const fs::path dir =
      fs::path(STRATA_TFJS_WORK_DIR) / fmt::format("{}-{}-{}", model.name(), getpid(), calls++);
  fs::create_directories(dir);

  std::ofstream(dir / "model.json") << json{
      {"class_name", impl->class_name()},
      {"config", impl->config()}}.dump();
  json manifest = json::array();
  {
    std::ofstream bin(dir / "weights.bin", std::ios::binary);
    for (const strata::Layer& layer : model.layers()) {
      const std::vector<strata::Tensor> weights = layer.get_weights();
      if (weights.empty()) continue;
      json shapes = json::array();
      for (const strata::Tensor& w : weights) {
        shapes.push_back(w.dims());
        tfjs_detail::write_floats(bin, w);
      }
      manifest.push_back({{"layer", layer.name()}, {"shapes", shapes}});
    }
  }
  std::ofstream(dir / "weights.json") << manifest.dump();
  json input_shapes = json::array();
  {
    std::ofstream bin(dir / "inputs.bin", std::ios::binary);
    for (const strata::Tensor& t : inputs) {
      input_shapes.push_back(t.dims());
      tfjs_detail::write_floats(bin, t);
    }
  }
  std::ofstream(dir / "inputs.json") << input_shapes.dump();
  fs::remove(dir / "outputs.bin");

  const std::string command =
      fmt::format("'{}' '{}' '{}' 2>'{}'", STRATA_NODE, (tfjs_dir / "run_tfjs.js").string(), dir.string(),
                  (dir / "stderr.txt").string());
  const int status = std::system(command.c_str());
  std::ifstream err_file(dir / "stderr.txt");
  const std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) throw TfjsRefused(err);
  if (status != 0) throw std::runtime_error(fmt::format("tfjs_predict: {} failed: {}", command, err));

  std::ifstream bin(dir / "outputs.bin", std::ios::binary);
  std::vector<strata::Tensor> outputs;
  for (const auto& shape : json::parse(std::ifstream(dir / "outputs.json"))) {
    std::vector<int64_t> dims = shape.get<std::vector<int64_t>>();
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    bin.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(n * sizeof(float)));
    outputs.emplace_back(std::move(dims), std::move(values));
  }
  return outputs;
}

}  // namespace strata_test
