// load_model and model_from_json: the model config a file holds, read by model_from_config, and then its
// weights by Model::load_weights. Full-model HDF5 files keep the config as JSON text in the root attribute
// `model_config` (Keras 2's saving/hdf5_format.py, save_model_to_hdf5), beside `keras_version` and `backend`.

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "core/error_context.hpp"
#include "graph/functional_from_config.hpp"
#include "io/hdf5_file.hpp"
#include "strata/error.hpp"
#include "strata/saving.hpp"

namespace strata {
namespace {

using json = nlohmann::json;
namespace h5 = detail::h5;

// Keras's configs nest a few levels per model; nlohmann's copy, dump and comparison recurse, so a hostile
// file must not reach them deeper than this.
constexpr size_t kMaxNesting = 256;

void check_nesting(const json& root, const std::string& where) {
  std::vector<std::pair<const json*, size_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    const auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxNesting) {
      throw ValueError(fmt::format("{} The model config nests more than {} levels", where, kMaxNesting));
    }
    if (value->is_structured()) {
      for (const json& item : *value) stack.emplace_back(&item, depth + 1);
    }
  }
}

// "2.1.3" and "2.2.4-tf" are 2, "3.3.3" is 3; a config that does not say is Keras 3's.
int major_version(const std::string& version) {
  if (version.empty() || version[0] < '0' || version[0] > '9') return 3;
  return version[0] - '0';
}

// The model of `config`, with every error of the config (not of the file) prefixed by `where`.
Model build(const json& config, const detail::ConfigOrigin& origin, const std::string& where) {
  return detail::with_error_context(where + " ", [&] { return detail::model_from_config(config, origin); });
}

// Keras 2 flips convolution kernels written by the Theano backend when it loads them (preprocess_weights_for_
// loading, conv_utils.convert_kernel); strata does not, so it refuses them rather than compute another model.
void refuse_theano_kernels(const Model& model, const std::string& where) {
  for (const Layer& layer : model.layers()) {
    const std::string cls = layer.class_name();
    if (cls == "Conv1D" || cls == "Conv2D" || cls == "Conv3D" || cls == "Conv2DTranspose") {
      throw FileError(
          fmt::format("{} The file was written by Keras's Theano backend, whose {} kernels Keras flips "
                      "when it loads them (layer '{}'); strata reads TensorFlow-backend files only",
                      where, cls, layer.name()));
    }
  }
}

struct StoredModel {
  std::string config, keras_version, backend;
};

std::string first_string(const h5::Group& root, const std::string& name, const std::string& where) {
  const std::vector<std::string> values = root.read_strings(name);
  if (values.size() != 1) {
    throw FileError(fmt::format("{} Expected the root attribute {} to hold one string, it holds {}", where,
                                name, values.size()));
  }
  return values.front();
}

StoredModel read_hdf5(const std::string& path, const std::string& where) {
  h5::QuietErrors quiet;
  try {
    const h5::File file = h5::File::open(path);
    const h5::Group root = file.root();
    if (!root.has_attribute("model_config")) {
      throw FileError(
          fmt::format("{} The file holds no model (no root attribute model_config): it is a weights-only "
                      "file. Build the model in C++ and call Model::load_weights",
                      where));
    }
    StoredModel stored;
    stored.config = first_string(root, "model_config", where);
    if (root.has_attribute("keras_version"))
      stored.keras_version = first_string(root, "keras_version", where);
    if (root.has_attribute("backend")) stored.backend = first_string(root, "backend", where);
    return stored;
  } catch (const h5::Failure& e) {
    throw FileError(fmt::format("{} {}", where, e.what()));
  }
}

bool starts_with_bytes(const std::string& path, const std::string& magic) {
  std::ifstream in(path, std::ios::binary);
  std::string head(magic.size(), '\0');
  return in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == magic;
}

}  // namespace

Model load_model(const std::string& path, LoadModelOptions options) {
  const std::string where = fmt::format("[load_model \"{}\"]", path);
  if (starts_with_bytes(path, "PK\x03\x04")) {
    throw FileError(
        fmt::format("{} The file is a zip archive (a Keras 3 .keras file); strata reads full-model HDF5 "
                    "files (Keras 2 and tf.keras) so far",
                    where));
  }
  const StoredModel stored = read_hdf5(path, where);
  if (major_version(stored.keras_version) < 2) {
    throw FileError(
        fmt::format("{} The file was written by Keras {}; strata reads the files of Keras 2 and later", where,
                    stored.keras_version));
  }
  json config;
  try {
    config = json::parse(stored.config);
  } catch (const json::parse_error& e) {
    throw FileError(fmt::format("{} The root attribute model_config is not valid JSON: {}", where, e.what()));
  }
  check_nesting(config, where);
  Model model = build(config, {.keras_major = major_version(stored.keras_version)}, where);
  if (stored.backend == "theano") refuse_theano_kernels(model, where);
  if (options.load_weights) model.load_weights(path);
  return model;
}

Model model_from_json(const std::string& text) {
  const std::string where = "[model_from_json]";
  json config;
  try {
    config = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ValueError(fmt::format("{} The text is not valid JSON: {}", where, e.what()));
  }
  check_nesting(config, where);
  std::string version;
  if (config.is_object() && config.contains("keras_version") && config["keras_version"].is_string())
    version = config["keras_version"].get<std::string>();
  if (major_version(version) < 2) {
    throw ValueError(fmt::format(
        "{} The JSON was written by Keras {}; strata reads the models of Keras 2 and later", where, version));
  }
  return build(config, {.keras_major = major_version(version)}, where);
}

}  // namespace strata
