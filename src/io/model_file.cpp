// load_model and model_from_json: the model config a file holds, read by model_from_config, and then its
// weights by Model::load_weights. Full-model HDF5 files keep the config as JSON text in the root attribute
// `model_config` (Keras 2's saving/hdf5_format.py, save_model_to_hdf5), beside `keras_version` and `backend`.
// Keras 3's .keras files are zip archives (keras/src/saving/saving_lib.py, save_model): `config.json`,
// `metadata.json` (with `keras_version`) and `model.weights.h5` in the layout of `.weights.h5` files.

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "core/error_context.hpp"
#include "core/initializers.hpp"
#include "graph/functional.hpp"
#include "graph/functional_from_config.hpp"
#include "graph/keras3_config.hpp"
#include "io/hdf5_file.hpp"
#include "io/keras_archive_weights.hpp"
#include "io/zip_archive.hpp"
#include "layers/op_layer.hpp"
#include "strata/error.hpp"
#include "strata/saving.hpp"

namespace strata {
namespace {

using json = nlohmann::json;
namespace h5 = detail::h5;

// Keras's configs nest a few levels per model; nlohmann's copy, dump and comparison recurse, and each level
// costs memory while parsing, so the parser stops a hostile file as soon as it nests deeper than this.
constexpr int kMaxNesting = 256;

// `text` parsed, stopped past kMaxNesting levels. Throws Error (FileError when `in_file`, else ValueError)
// starting with `where` and naming `what` for text that is not JSON.
json parse_json(const std::string& text, const std::string& what, const std::string& where, bool in_file) {
  const auto fail = [&](const std::string& message) {
    if (in_file) throw FileError(fmt::format("{} {} {}", where, what, message));
    throw ValueError(fmt::format("{} {} {}", where, what, message));
  };
  const json::parser_callback_t bound = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxNesting) fail(fmt::format("nests more than {} levels", kMaxNesting));
    return true;
  };
  try {
    // Keras writes Python's NaN and Infinity tokens (an op's -inf); nlohmann reads them as marker strings.
    return json::parse(detail::with_nonfinite_markers(text), bound);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number past double
    fail(fmt::format("is not valid JSON: {}", e.what()));
  }
  return json();  // not reached: fail throws
}

// The first `limit` names, for messages.
std::string short_names(const std::vector<std::string>& names, size_t limit = 10) {
  std::vector<std::string> shown(names.begin(),
                                 names.begin() + static_cast<ptrdiff_t>(std::min(limit, names.size())));
  if (names.size() > limit) shown.push_back(fmt::format("... ({} in all)", names.size()));
  return fmt::format("{}", fmt::join(shown, ", "));
}

// "2.1.3" and "2.2.4-tf" are 2, "3.3.3" is 3; 0 when the file does not say.
int major_version(const std::string& version) {
  int major = 0;
  for (size_t i = 0; i < version.size() && i < 4 && version[i] >= '0' && version[i] <= '9'; ++i)
    major = major * 10 + (version[i] - '0');
  return major;
}

// The model of `config`, with every error of the config (not of the file) prefixed by `where`.
Model build(const json& config, const detail::ConfigOrigin& origin, const std::string& where) {
  try {
    return detail::with_error_context(where + " ", [&] { return detail::model_from_config(config, origin); });
  } catch (const json::exception& e) {
    // The reader checks each value's type before it reads it; this keeps a case it missed an error of the
    // library's kind rather than a crash.
    throw ValueError(
        fmt::format("{} The model config has a value of an unexpected type: {}", where, e.what()));
  }
}

// The model of `config` with the weights `load` reads into it. The layers' initializers draw nothing
// meanwhile (WeightsToBeLoaded: their random numbers were a third of loading a ResNet50, all overwritten); a
// load that leaves any variable unassigned builds the model again with its initializers and loads again.
Model build_with_weights(const json& config, const detail::ConfigOrigin& origin, const std::string& where,
                         const std::function<LoadWeightsReport(const Model&)>& load) {
  {
    std::optional<Model> model;
    {
      const detail::WeightsToBeLoaded skipped;
      model = build(config, origin, where);
    }
    const size_t variables = model->impl()->weights().size();
    if (load(*model).loaded.size() == variables) return *model;
  }
  Model model = build(config, origin, where);
  load(model);
  return model;
}

// Keras 2 flips convolution kernels written by the Theano backend when it loads them (preprocess_weights_for_
// loading, conv_utils.convert_kernel); strata does not, so it refuses them rather than compute another model.
void refuse_theano_kernels(const detail::FunctionalImpl& model, const std::string& where) {
  for (const auto& layer : model.layers()) {
    if (const auto* nested = dynamic_cast<const detail::FunctionalImpl*>(layer.get())) {
      refuse_theano_kernels(*nested, where);
      continue;
    }
    const std::string& cls = layer->class_name();
    if (cls == "Conv1D" || cls == "Conv2D" || cls == "Conv3D" || cls == "Conv2DTranspose") {
      throw FileError(
          fmt::format("{} The file was written by Keras's Theano backend, whose {} kernels Keras flips "
                      "when it loads them (layer '{}'); strata reads TensorFlow-backend files only",
                      where, cls, layer->name()));
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

// Entry sizes past which an archive is refused: a config of thousands of layers is a few megabytes.
constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxMetadataBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxWeightsBytes = uint64_t{1} << 40;

// A file in `folder` (the temporary folder when empty), removed when this goes.
class TemporaryFile {
 public:
  // Created here, readable by this user only, under a name no one else holds (O_EXCL).
  TemporaryFile(const std::string& suffix, const std::string& where,
                const std::filesystem::path& folder = {}) {
    try {
      std::random_device random;
      const std::filesystem::path dir = folder.empty() ? std::filesystem::temp_directory_path() : folder;
      for (int attempt = 0; attempt < 16 && path_.empty(); ++attempt) {
        const std::string name =
            (dir / fmt::format("strata-{:08x}{:08x}{}", random(), random(), suffix)).string();
        const int fd = ::open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0) {
          ::close(fd);
          path_ = name;
        }
      }
    } catch (const std::exception& e) {
      throw FileError(fmt::format("{} Cannot make a temporary file: {}", where, e.what()));
    }
    if (path_.empty())
      throw FileError(fmt::format("{} Cannot make a temporary file in {}", where,
                                  folder.empty() ? std::string("the temporary folder") : folder.string()));
  }
  ~TemporaryFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The weights of a .keras archive: its model.weights.h5 entry, read through a private temporary file (HDF5
// opens files by name), with messages naming the entry instead of that file.
LoadWeightsReport load_archive_weights(const Model& model, const detail::ZipReader& archive,
                                       const std::string& path, const LoadWeightsOptions& options,
                                       const std::string& where) {
  if (!archive.contains("model.weights.h5")) {
    throw FileError(fmt::format(
        "{} The archive has no model.weights.h5 (it has {}){}", where, short_names(archive.names()),
        archive.contains("model.weights.npz") ? ": strata reads h5 weights, not npz" : ""));
  }
  const TemporaryFile weights(".weights.h5", where);
  archive.extract("model.weights.h5", weights.path(), kMaxWeightsBytes);
  try {
    return detail::load_hdf5_weights(model, weights.path(), options);
  } catch (const FileError& e) {
    std::string message = e.what();
    const std::string inside = path + "/model.weights.h5";
    for (size_t at = 0; (at = message.find(weights.path(), at)) != std::string::npos; at += inside.size())
      message.replace(at, weights.path().size(), inside);
    throw FileError(message);
  }
}

Model load_keras_archive(const std::string& path, const LoadModelOptions& options, const std::string& where) {
  const detail::ZipReader archive(path, where);
  if (!archive.contains("config.json")) {
    throw FileError(fmt::format("{} The archive has no config.json (it has {}): not a .keras file", where,
                                short_names(archive.names())));
  }
  std::string version;
  if (archive.contains("metadata.json")) {
    const json metadata =
        parse_json(archive.read("metadata.json", kMaxMetadataBytes), "metadata.json", where, true);
    if (metadata.is_object() && metadata.contains("keras_version") && metadata["keras_version"].is_string())
      version = metadata["keras_version"].get<std::string>();
  }
  const json config = parse_json(archive.read("config.json", kMaxConfigBytes), "config.json", where, true);
  const detail::ConfigOrigin origin{.keras_major = major_version(version)};
  if (!options.load_weights) return build(config, origin, where);
  return build_with_weights(config, origin, where, [&](const Model& model) {
    return load_archive_weights(model, archive, path, {}, where);
  });
}

bool starts_with_bytes(const std::string& path, const std::string& magic) {
  std::ifstream in(path, std::ios::binary);
  std::string head(magic.size(), '\0');
  return in.read(head.data(), static_cast<std::streamsize>(head.size())) && head == magic;
}
Model load_model_file(const std::string& path, const LoadModelOptions& options, const std::string& where) {
  if (detail::is_zip_file(path)) return load_keras_archive(path, options, where);
  const StoredModel stored = read_hdf5(path, where);
  if (major_version(stored.keras_version) == 1) {
    throw FileError(
        fmt::format("{} The file was written by Keras {}; strata reads the files of Keras 2 and later", where,
                    stored.keras_version));
  }
  const json config = parse_json(stored.config, "The root attribute model_config", where, true);
  const detail::ConfigOrigin origin{.keras_major = major_version(stored.keras_version)};
  const auto refuse_theano = [&](const Model& model) {
    if (stored.backend == "theano")
      refuse_theano_kernels(dynamic_cast<const detail::FunctionalImpl&>(*model.impl()), where);
  };
  if (!options.load_weights) {
    Model model = build(config, origin, where);
    refuse_theano(model);
    return model;
  }
  return build_with_weights(config, origin, where, [&](const Model& model) {
    refuse_theano(model);
    return model.load_weights(path);
  });
}

Model model_from_json_text(const std::string& text, const std::string& where) {
  const json config = parse_json(text, "The text", where, false);
  std::string version;
  if (config.is_object() && config.contains("keras_version") && config["keras_version"].is_string())
    version = config["keras_version"].get<std::string>();
  if (major_version(version) == 1) {
    throw ValueError(fmt::format(
        "{} The JSON was written by Keras {}; strata reads the models of Keras 2 and later", where, version));
  }
  return build(config, {.keras_major = major_version(version)}, where);
}

// Runs `read`; memory a hostile file asks for and the machine cannot give is the library's ResourceError.
template <class Read>
Model out_of_memory_as_error(const std::string& where, Read&& read) {
  try {
    return read();
  } catch (const std::bad_alloc&) {
    throw ResourceError(fmt::format("{} Out of memory while reading the model", where));
  }
}

}  // namespace

namespace detail {

bool is_zip_file(const std::string& path) {
  return starts_with_bytes(path, "PK\x03\x04");
}

LoadWeightsReport load_weights_from_archive(const Model& model, const std::string& path,
                                            const LoadWeightsOptions& options) {
  const std::string where = fmt::format("[load_weights \"{}\"]", path);
  return load_archive_weights(model, ZipReader(path, where), path, options, where);
}

}  // namespace detail

Model load_model(const std::string& path, LoadModelOptions options) {
  const std::string where = fmt::format("[load_model \"{}\"]", path);
  return out_of_memory_as_error(where, [&] { return load_model_file(path, options, where); });
}

Model model_from_json(const std::string& text) {
  const std::string where = "[model_from_json]";
  return out_of_memory_as_error(where, [&] { return model_from_json_text(text, where); });
}

}  // namespace strata

namespace strata {

namespace {

const detail::FunctionalImpl& model_impl(const std::shared_ptr<detail::LayerImpl>& impl,
                                         const std::string& where) {
  const auto* model = dynamic_cast<const detail::FunctionalImpl*>(impl.get());
  if (model == nullptr)
    throw ValueError(fmt::format("{} The model has no graph yet (a Sequential without input)", where));
  return *model;
}

// The Keras version whose format strata writes: Keras 3's saving layout of 3.0 to 3.9 (weights groups for
// every layer), which later Keras 3 releases read too.
constexpr const char* kWrittenKerasVersion = "3.6.0";

}  // namespace

std::string Model::to_json() const {
  const std::string where = "[to_json]";
  const detail::FunctionalImpl& model = model_impl(impl_, where);
  return detail::with_error_context(
      where + " ", [&] { return detail::keras_json_text(detail::keras3_model_entry(model)); });
}

void Model::save(const std::string& path) const {
  const std::string where = fmt::format("[save \"{}\"]", path);
  // Keras reads a file as an archive only when its name ends in .keras (saving_api.load_model).
  if (!path.ends_with(".keras")) {
    throw ValueError(
        fmt::format("{} Expected a path ending in .keras: Keras 3 reads only such files as model "
                    "archives",
                    where));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw FileError(where + " It is a directory");
  const detail::FunctionalImpl& model = model_impl(impl_, where);
  const std::string config = detail::with_error_context(
      where + " ", [&] { return detail::keras_json_text(detail::keras3_model_entry(model)); });
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &local);
  const std::string metadata = json{{"keras_version", kWrittenKerasVersion}, {"date_saved", date}}.dump();
  // The weights are staged beside the archive, where there is room for it, not in a small tmpfs.
  const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
  const TemporaryFile weights(".weights.h5", where, folder);
  save_weights(weights.path());
  // libzip writes the archive under a temporary name beside `path` and renames it when it is complete.
  detail::write_zip(path,
                    {{"metadata.json", metadata, ""},
                     {"config.json", config, ""},
                     {"model.weights.h5", "", weights.path()}},
                    where);
}

}  // namespace strata
