#pragma once
// The file readers under fuzzing (issue 7 item 4), shared by the libFuzzer targets and by the corpus replay
// that ctest runs in every build. Each takes a file's bytes, writes them to a scratch file (the readers
// take paths) and reads it. A reader may throw strata::Error and nothing else; anything else (another
// exception, a crash, a sanitizer report) is a bug.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include <unistd.h>

#include <strata/strata.hpp>

namespace strata_fuzz {

inline std::string scratch_path(const char* suffix) {
  return "/tmp/strata_fuzz_" + std::to_string(::getpid()) + suffix;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

/// The .npy reader.
inline void read_npy(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path(".npy");
  write_file(path, data, size);
  const strata::Tensor t = strata::load_npy(path);
  // A tensor that loads must be whole: every value readable.
  volatile float sum = 0;
  for (int64_t i = 0; i < t.size(); ++i) sum = sum + t.data()[i];
}

/// The model the weights files are read into: each family of weights the readers know (kernel and bias,
/// batch norm's four vectors, a dense layer), in legacy (Keras 2) and Keras 3 layouts alike.
inline const strata::Model& weights_model() {
  static const strata::Model model = [] {
    namespace L = strata::layers;
    auto in = strata::Input({6, 6, 2}, "image");
    auto x = L::Conv2D(3, 3, {.name = "conv"})(in);
    x = L::BatchNormalization({.name = "bn"})(x);
    x = L::DepthwiseConv2D(3, {.name = "dw"})(x);
    x = L::GlobalAveragePooling2D({.name = "gap"})(x);
    return strata::Model(in, L::Dense(2, {.name = "dense"})(x), "fuzz");
  }();
  return model;
}

/// The Keras HDF5 weights reader (Model::load_weights): both formats, by order and, for an odd-sized
/// input, by name with skip_mismatch.
inline void read_keras_weights(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path(".weights.h5");
  write_file(path, data, size);
  const strata::Model& model = weights_model();
  model.load_weights(path, {.by_name = size % 2 == 1, .skip_mismatch = size % 2 == 1});
}

/// The model config reader (model_from_json): JSON text to a model, summarized so that every layer's shape
/// and parameter count is computed.
inline void read_model_json(const uint8_t* data, size_t size) {
  const strata::Model model = strata::model_from_json(std::string(reinterpret_cast<const char*>(data), size));
  volatile size_t length = model.summary_string().size();
  (void)length;
}

/// The .keras archive reader: zip entries, config.json and the weights file inside.
inline void read_keras_archive(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path(".keras");
  write_file(path, data, size);
  const strata::Model model = strata::load_model(path);
  volatile size_t length = model.summary_string().size();
  (void)length;
}

}  // namespace strata_fuzz
