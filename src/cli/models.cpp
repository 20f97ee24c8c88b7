#include "models.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace strata_cli {
namespace {

namespace L = strata::layers;
namespace apps = strata::applications;

// The seed notebook's first block (as tests/unit/test_util.hpp builds it): a 1x1 projected shortcut.
strata::Model seed_block_1(int64_t size) {
  auto inputs = strata::Input({size, size, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  residual = L::Conv2D(64, 1)(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, "residual_block");
}

// The seed notebook's second block: a max-pooled main path and a strided 1x1 shortcut.
strata::Model seed_block_2(int64_t size) {
  auto inputs = strata::Input({size, size, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, "residual_block_2");
}

void reject(const Args& args, const std::string& option, const std::string& model) {
  if (args.has(option))
    throw UsageError(fmt::format("option '--{}' does not apply to model '{}'", option, model));
}

}  // namespace

std::string models_help() {
  return "  resnet50      Keras's ResNet50 (25.6 M parameters, 224x224x3 by default)\n"
         "  mobilenet_v2  Keras's MobileNetV2 (3.5 M parameters at alpha 1.0, 224x224x3 by default)\n"
         "  seed          the seed notebook's first residual block (32x32x3 by default)\n"
         "  seed2         the seed notebook's second residual block, max-pooled (32x32x3 by default)\n"
         "  FILE          a whole model Keras saved (m.keras from Keras 3, m.h5 from Keras 2), with its "
         "weights\n";
}

std::vector<OptionSpec> model_options(bool with_weights) {
  std::vector<OptionSpec> specs;
  if (with_weights) {
    specs.push_back(
        {"weights", "FILE",
         "Keras weights to load (Keras 3 .weights.h5 or legacy HDF5); default: seeded initial weights"});
  }
  specs.push_back({"input-size", "N", "square input of N x N x 3 (resnet50, mobilenet_v2: at least 32)"});
  specs.push_back({"no-top", "", "resnet50, mobilenet_v2: leave out the classifier (include_top=False)"});
  specs.push_back(
      {"pooling", "avg|max", "resnet50, mobilenet_v2 with --no-top: global pooling of the output"});
  specs.push_back({"classes", "N", "resnet50, mobilenet_v2: classes of the classifier (default 1000)"});
  specs.push_back({"alpha", "A", "mobilenet_v2: width multiplier (default 1.0)"});
  return specs;
}

bool model_is_file(const std::string& name) {
  return name.find('/') != std::string::npos || name.find('.') != std::string::npos ||
         std::filesystem::exists(name);
}

strata::Model build_model(const std::string& name, const Args& args) {
  const std::string weights = args.get("weights");
  if (model_is_file(name)) {
    for (const char* option : {"input-size", "no-top", "pooling", "classes", "alpha"})
      reject(args, option, name);
    strata::Model model = strata::load_model(name);
    if (!weights.empty()) model.load_weights(weights);
    return model;
  }
  if (name == "resnet50" || name == "mobilenet_v2") {
    std::vector<strata::Dim> input_shape;
    if (args.has("input-size")) {
      const int64_t size = args.get_int("input-size", 224, 1);
      input_shape = {size, size, 3};
    }
    const bool include_top = !args.has("no-top");
    if (include_top) reject(args, "pooling", name + " without --no-top");
    const int classes = static_cast<int>(args.get_int("classes", 1000, 1));
    if (name == "resnet50") {
      reject(args, "alpha", name);
      return apps::ResNet50({.include_top = include_top,
                             .weights = weights,
                             .input_shape = input_shape,
                             .pooling = args.get("pooling"),
                             .classes = classes});
    }
    return apps::MobileNetV2({.input_shape = input_shape,
                              .alpha = args.get_positive_float("alpha", 1.0f),
                              .include_top = include_top,
                              .weights = weights,
                              .pooling = args.get("pooling"),
                              .classes = classes});
  }
  if (name == "seed" || name == "seed2") {
    for (const char* option : {"no-top", "pooling", "classes", "alpha"}) reject(args, option, name);
    const int64_t size = args.get_int("input-size", 32, 4);
    strata::Model model = name == "seed" ? seed_block_1(size) : seed_block_2(size);
    if (!weights.empty()) model.load_weights(weights);
    return model;
  }
  throw UsageError(
      fmt::format("unknown model '{}' (expected resnet50, mobilenet_v2, seed, seed2 or a model file)", name));
}

std::vector<int64_t> input_dims(const strata::Model& model, int64_t batch) {
  const strata::Shape shape = model.inputs().at(0).shape();
  std::vector<int64_t> dims{batch};
  for (int axis = 1; axis < shape.rank(); ++axis) {
    if (!shape[axis]) throw UsageError("the model's input size is unknown; give --input-size");
    dims.push_back(*shape[axis]);
  }
  return dims;
}

std::string format_dims(const std::vector<int64_t>& dims) {
  if (dims.size() == 1) return fmt::format("({},)", dims[0]);
  return fmt::format("({})", fmt::join(dims, ", "));
}

}  // namespace strata_cli
