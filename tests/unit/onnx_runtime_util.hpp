#pragma once
// Runs exported ONNX graphs outside strata: Debian's python3-onnx checker and ONNX Runtime (npm
// onnxruntime-node, CPU provider, installed into tests/ort by .ci/deps.sh) through tests/ort/run_ort.js,
// exchanging .npy files (float32, int32, int64 or bool). For the tests that export (tests/CMakeLists.txt
// gives them the paths and links ONNX's protobuf classes).
#include <fmt/format.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <strata/strata.hpp>

#include "test_util.hpp"

namespace strata_test {

namespace fs = std::filesystem;

inline fs::path work_dir() {
  const fs::path dir = fs::path(STRATA_ONNX_WORK_DIR);
  fs::create_directories(dir);
  return dir;
}

inline int run_command(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string quoted(const fs::path& p) {
  std::string text = p.string();
  text.insert(text.begin(), '\'');
  text.push_back('\'');
  return text;
}

inline onnx::ModelProto load_proto(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  onnx::ModelProto proto;
  REQUIRE(proto.ParseFromIstream(&in));
  return proto;
}

inline std::map<std::string, int> op_counts(const onnx::ModelProto& proto) {
  std::map<std::string, int> counts;
  for (const auto& node : proto.graph().node()) ++counts[node.op_type()];
  return counts;
}

inline std::string op_summary(const onnx::ModelProto& proto) {
  std::string text;
  for (const auto& [type, count] : op_counts(proto)) text += type + ":" + std::to_string(count) + " ";
  return text;
}

// Debian's python3-onnx checker with full_check (strict shape inference included).
inline void require_checker_passes(const fs::path& model) {
  // fmt rather than `+`: GCC 12 reports a false array-bounds error on the inlined concatenation.
  const std::string command = fmt::format(
      "{} -c \"import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" {}",
      STRATA_PYTHON3, quoted(model));
  INFO(command);
  REQUIRE(run_command(command) == 0);
}

// Runs the exported model in ONNX Runtime through tests/ort/run_ort.js, exchanging .npy files; one tensor
// per graph output.
inline std::vector<strata::Tensor> ort_predict(const fs::path& model,
                                               const std::vector<strata::Tensor>& inputs) {
  const fs::path node = STRATA_NODE;
  const fs::path ort_dir = STRATA_ORT_DIR;
  INFO("ONNX Runtime comes from npm: run `bash .ci/deps.sh` (it installs node and tests/ort/node_modules)");
  REQUIRE(fs::exists(node));
  REQUIRE(fs::exists(ort_dir / "node_modules" / "onnxruntime-node" / "package.json"));

  const int n_outputs = load_proto(model).graph().output_size();
  const std::string stem = model.stem().string();
  std::string command = quoted(node) + " " + quoted(ort_dir / "run_ort.js") + " " + quoted(model);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const fs::path file = work_dir() / (stem + ".in" + std::to_string(i) + ".npy");
    strata::save_npy(file.string(), inputs[i]);
    command += " --input " + quoted(file);
  }
  std::vector<fs::path> files;
  for (int i = 0; i < n_outputs; ++i) {
    files.push_back(work_dir() / (stem + ".out" + std::to_string(i) + ".npy"));
    fs::remove(files.back());
    command += " --output " + quoted(files.back());
  }
  INFO(command);
  REQUIRE(run_command(command) == 0);
  std::vector<strata::Tensor> outputs;
  for (const fs::path& file : files) outputs.push_back(strata::load_npy(file.string()));
  return outputs;
}

// Exports, checks and runs `model` in ONNX Runtime; integer and bool outputs must match strata's exactly,
// float32 ones within `tolerance`. Returns the exported graph.
inline onnx::ModelProto export_and_match(const strata::Model& model,
                                         const std::vector<strata::Tensor>& inputs,
                                         const std::string& file_name, double tolerance = 1e-6) {
  const fs::path path = work_dir() / (file_name + ".onnx");
  strata::export_onnx(model, path.string());
  require_checker_passes(path);
  const std::vector<strata::Tensor> expected = model.predict(inputs);
  const std::vector<strata::Tensor> got = ort_predict(path, inputs);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i);
    REQUIRE(got[i].dtype() == expected[i].dtype());
    REQUIRE(got[i].dims() == expected[i].dims());
    if (expected[i].dtype() == strata::DType::kFloat32) {
      CHECK(max_relative_error(got[i], expected[i]) <= tolerance);
    } else {
      CHECK(got[i] == expected[i]);
    }
  }
  return load_proto(path);
}

}  // namespace strata_test
