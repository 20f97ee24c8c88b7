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

// The applications by their names in the tool: Keras's function name in lower case (resnet50v2 for
// ResNet50V2; inception_v3 and mobilenet_v2 as Keras's modules), the same words for MODEL and `--preprocess`.
// MobileNet, MobileNetV2 and MobileNetV3 take --alpha.
struct Application {
  const char* name;
  const char* help;
  strata::Model (*build)(const apps::ApplicationOptions& options, float alpha);
  strata::Tensor (*preprocess)(const strata::Tensor& images);
  bool takes_alpha;
};

template <strata::Model (*Build)(apps::ApplicationOptions)>
strata::Model plain(const apps::ApplicationOptions& options, float /*alpha*/) {
  return Build(options);
}

strata::Model mobilenet(const apps::ApplicationOptions& o, float alpha) {
  return apps::MobileNet({.input_shape = o.input_shape,
                          .alpha = alpha,
                          .include_top = o.include_top,
                          .weights = o.weights,
                          .pooling = o.pooling,
                          .classes = o.classes});
}

strata::Model mobilenet_v2(const apps::ApplicationOptions& o, float alpha) {
  return apps::MobileNetV2({.input_shape = o.input_shape,
                            .alpha = alpha,
                            .include_top = o.include_top,
                            .weights = o.weights,
                            .pooling = o.pooling,
                            .classes = o.classes});
}

template <strata::Model (*Build)(apps::EfficientNetV2Options)>
strata::Model efficientnet_v2(const apps::ApplicationOptions& o, float /*alpha*/) {
  return Build({.include_top = o.include_top,
                .weights = o.weights,
                .input_shape = o.input_shape,
                .pooling = o.pooling,
                .classes = o.classes});
}

template <strata::Model (*Build)(apps::ConvNeXtOptions)>
strata::Model convnext(const apps::ApplicationOptions& o, float /*alpha*/) {
  return Build({.include_top = o.include_top,
                .weights = o.weights,
                .input_shape = o.input_shape,
                .pooling = o.pooling,
                .classes = o.classes});
}

// Keras defaults MobileNetV3's input to (None, None, 3); the tool needs sizes to run, so 224x224x3.
template <strata::Model (*Build)(apps::MobileNetV3Options)>
strata::Model mobilenet_v3(const apps::ApplicationOptions& o, float alpha) {
  return Build({.input_shape = o.input_shape.empty() ? std::vector<strata::Dim>{224, 224, 3} : o.input_shape,
                .alpha = alpha,
                .include_top = o.include_top,
                .weights = o.weights,
                .classes = o.classes,
                .pooling = o.pooling});
}

const Application kApplications[] = {
    {"vgg16", "Keras's VGG16 (138.4 M parameters, 224x224x3 by default)", plain<apps::VGG16>,
     apps::vgg16::preprocess_input, false},
    {"vgg19", "Keras's VGG19 (143.7 M)", plain<apps::VGG19>, apps::vgg19::preprocess_input, false},
    {"resnet50", "Keras's ResNet50 (25.6 M parameters, 224x224x3 by default)", plain<apps::ResNet50>,
     apps::resnet::preprocess_input, false},
    {"resnet101", "Keras's ResNet101 (44.7 M)", plain<apps::ResNet101>, apps::resnet::preprocess_input,
     false},
    {"resnet152", "Keras's ResNet152 (60.4 M)", plain<apps::ResNet152>, apps::resnet::preprocess_input,
     false},
    {"resnet50v2", "Keras's ResNet50V2 (25.6 M)", plain<apps::ResNet50V2>, apps::resnet_v2::preprocess_input,
     false},
    {"resnet101v2", "Keras's ResNet101V2 (44.7 M)", plain<apps::ResNet101V2>,
     apps::resnet_v2::preprocess_input, false},
    {"resnet152v2", "Keras's ResNet152V2 (60.4 M)", plain<apps::ResNet152V2>,
     apps::resnet_v2::preprocess_input, false},
    {"densenet121", "Keras's DenseNet121 (8.1 M)", plain<apps::DenseNet121>, apps::densenet::preprocess_input,
     false},
    {"densenet169", "Keras's DenseNet169 (14.3 M)", plain<apps::DenseNet169>,
     apps::densenet::preprocess_input, false},
    {"densenet201", "Keras's DenseNet201 (20.2 M)", plain<apps::DenseNet201>,
     apps::densenet::preprocess_input, false},
    {"inception_v3", "Keras's InceptionV3 (23.9 M, 299x299x3 by default, at least 75x75)",
     plain<apps::InceptionV3>, apps::inception_v3::preprocess_input, false},
    {"inception_resnet_v2", "Keras's InceptionResNetV2 (55.9 M, 299x299x3 by default, at least 75x75)",
     plain<apps::InceptionResNetV2>, apps::inception_resnet_v2::preprocess_input, false},
    {"xception", "Keras's Xception (22.9 M, 299x299x3 by default, at least 71x71)", plain<apps::Xception>,
     apps::xception::preprocess_input, false},
    {"mobilenet", "Keras's MobileNet (4.3 M at alpha 1.0)", mobilenet, apps::mobilenet::preprocess_input,
     true},
    {"mobilenet_v2", "Keras's MobileNetV2 (3.5 M parameters at alpha 1.0, 224x224x3 by default)",
     mobilenet_v2, apps::mobilenet_v2::preprocess_input, true},
    {"mobilenetv3small", "Keras's MobileNetV3Small (2.6 M at alpha 1.0; takes pixels in [0, 255])",
     mobilenet_v3<apps::MobileNetV3Small>, apps::mobilenet_v3::preprocess_input, true},
    {"mobilenetv3large", "Keras's MobileNetV3Large (5.5 M at alpha 1.0; takes pixels in [0, 255])",
     mobilenet_v3<apps::MobileNetV3Large>, apps::mobilenet_v3::preprocess_input, true},
    {"efficientnetb0", "Keras's EfficientNetB0 (5.3 M, 224x224x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB0>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb1", "Keras's EfficientNetB1 (7.9 M, 240x240x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB1>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb2", "Keras's EfficientNetB2 (9.2 M, 260x260x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB2>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb3", "Keras's EfficientNetB3 (12.3 M, 300x300x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB3>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb4", "Keras's EfficientNetB4 (19.5 M, 380x380x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB4>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb5", "Keras's EfficientNetB5 (30.6 M, 456x456x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB5>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb6", "Keras's EfficientNetB6 (43.3 M, 528x528x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB6>, apps::efficientnet::preprocess_input, false},
    {"efficientnetb7", "Keras's EfficientNetB7 (66.7 M, 600x600x3 by default; takes pixels in [0, 255])",
     plain<apps::EfficientNetB7>, apps::efficientnet::preprocess_input, false},
    {"efficientnetv2b0", "Keras's EfficientNetV2B0 (7.2 M, 224x224x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2B0>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2b1", "Keras's EfficientNetV2B1 (8.2 M, 240x240x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2B1>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2b2", "Keras's EfficientNetV2B2 (10.2 M, 260x260x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2B2>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2b3", "Keras's EfficientNetV2B3 (14.5 M, 300x300x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2B3>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2s", "Keras's EfficientNetV2S (21.6 M, 384x384x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2S>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2m", "Keras's EfficientNetV2M (54.4 M, 480x480x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2M>, apps::efficientnet_v2::preprocess_input, false},
    {"efficientnetv2l", "Keras's EfficientNetV2L (119.0 M, 480x480x3 by default; takes pixels in [0, 255])",
     efficientnet_v2<apps::EfficientNetV2L>, apps::efficientnet_v2::preprocess_input, false},
    {"nasnetmobile", "Keras's NASNetMobile (5.3 M, 224x224x3 by default, at least 32x32)",
     plain<apps::NASNetMobile>, apps::nasnet::preprocess_input, false},
    {"nasnetlarge", "Keras's NASNetLarge (88.9 M, 331x331x3 by default, at least 32x32)",
     plain<apps::NASNetLarge>, apps::nasnet::preprocess_input, false},
    {"convnext_tiny", "Keras's ConvNeXtTiny (28.6 M, 224x224x3 by default; takes pixels in [0, 255])",
     convnext<apps::ConvNeXtTiny>, apps::convnext::preprocess_input, false},
    {"convnext_small", "Keras's ConvNeXtSmall (50.2 M, 224x224x3 by default; takes pixels in [0, 255])",
     convnext<apps::ConvNeXtSmall>, apps::convnext::preprocess_input, false},
    {"convnext_base", "Keras's ConvNeXtBase (88.6 M, 224x224x3 by default; takes pixels in [0, 255])",
     convnext<apps::ConvNeXtBase>, apps::convnext::preprocess_input, false},
    {"convnext_large", "Keras's ConvNeXtLarge (197.8 M, 224x224x3 by default; takes pixels in [0, 255])",
     convnext<apps::ConvNeXtLarge>, apps::convnext::preprocess_input, false},
    {"convnext_xlarge", "Keras's ConvNeXtXLarge (350.2 M, 224x224x3 by default; takes pixels in [0, 255])",
     convnext<apps::ConvNeXtXLarge>, apps::convnext::preprocess_input, false},
};

const Application* find_application(const std::string& name) {
  for (const Application& app : kApplications) {
    if (name == app.name) return &app;
  }
  return nullptr;
}

std::string application_names() {
  std::string names;
  for (const Application& app : kApplications) names += std::string(names.empty() ? "" : ", ") + app.name;
  return names;
}

void reject(const Args& args, const std::string& option, const std::string& model) {
  if (args.has(option))
    throw UsageError(fmt::format("option '--{}' does not apply to model '{}'", option, model));
}

}  // namespace

std::string models_help() {
  std::string help;
  for (const Application& app : kApplications) help += fmt::format("  {:<20} {}\n", app.name, app.help);
  return help +
         "  seed                 the seed notebook's first residual block (32x32x3 by default)\n"
         "  seed2                the seed notebook's second residual block, max-pooled (32x32x3 by default)\n"
         "  FILE                 a whole model Keras saved (m.keras from Keras 3, m.h5 from Keras 2), with "
         "its weights\n";
}

std::vector<OptionSpec> model_options(bool with_weights) {
  std::vector<OptionSpec> specs;
  if (with_weights) {
    specs.push_back(
        {"weights", "FILE",
         "Keras weights to load (Keras 3 .weights.h5 or legacy HDF5); default: seeded initial weights"});
  }
  specs.push_back({"input-size", "N",
                   "square input of N x N x 3 (applications: at least 32, xception 71, the inceptions 75)"});
  specs.push_back({"no-top", "", "applications: leave out the classifier (include_top=False)"});
  specs.push_back({"pooling", "avg|max", "applications with --no-top: global pooling of the output"});
  specs.push_back({"classes", "N", "applications: classes of the classifier (default 1000)"});
  specs.push_back({"alpha", "A", "mobilenet, mobilenet_v2: width multiplier (default 1.0)"});
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
  if (const Application* app = find_application(name)) {
    std::vector<strata::Dim> input_shape;
    if (args.has("input-size")) {
      const int64_t size = args.get_int("input-size", 224, 1);
      input_shape = {size, size, 3};
    }
    const bool include_top = !args.has("no-top");
    if (include_top) reject(args, "pooling", name + " without --no-top");
    if (!app->takes_alpha) reject(args, "alpha", name);
    const float alpha = app->takes_alpha ? args.get_positive_float("alpha", 1.0f) : 1.0f;
    return app->build({.include_top = include_top,
                       .weights = weights,
                       .input_shape = input_shape,
                       .pooling = args.get("pooling"),
                       .classes = static_cast<int>(args.get_int("classes", 1000, 1))},
                      alpha);
  }
  if (name == "seed" || name == "seed2") {
    for (const char* option : {"no-top", "pooling", "classes", "alpha"}) reject(args, option, name);
    const int64_t size = args.get_int("input-size", 32, 4);
    strata::Model model = name == "seed" ? seed_block_1(size) : seed_block_2(size);
    if (!weights.empty()) model.load_weights(weights);
    return model;
  }
  throw UsageError(
      fmt::format("unknown model '{}' (expected an application ({}), seed, seed2 or a model file)", name,
                  application_names()));
}

namespace {

// Keras's modules whose preprocess_input serves several applications, by the module's name (as Python
// spells `keras.applications.resnet_v2.preprocess_input`); the other modules share their model's name.
struct PreprocessModule {
  const char* name;
  strata::Tensor (*preprocess)(const strata::Tensor& images);
};
const PreprocessModule kPreprocessModules[] = {
    {"resnet", apps::resnet::preprocess_input},
    {"resnet_v2", apps::resnet_v2::preprocess_input},
    {"densenet", apps::densenet::preprocess_input},
    {"efficientnet", apps::efficientnet::preprocess_input},
    {"efficientnet_v2", apps::efficientnet_v2::preprocess_input},
    {"convnext", apps::convnext::preprocess_input},
    {"mobilenet_v3", apps::mobilenet_v3::preprocess_input},
    {"nasnet", apps::nasnet::preprocess_input},
};

using Preprocess = strata::Tensor (*)(const strata::Tensor& images);

Preprocess preprocessing(const std::string& name) {
  if (const Application* app = find_application(name)) return app->preprocess;
  for (const PreprocessModule& module : kPreprocessModules) {
    if (name == module.name) return module.preprocess;
  }
  std::string modules;
  for (const PreprocessModule& module : kPreprocessModules) {
    modules += std::string(modules.empty() ? "" : ", ") + module.name;
  }
  throw UsageError(
      fmt::format("option '--preprocess' expects an application ({}) or a Keras module ({}), "
                  "received '{}'",
                  application_names(), modules, name));
}

}  // namespace

strata::Tensor preprocess_input(const std::string& application, const strata::Tensor& images) {
  return preprocessing(application)(images);
}

void check_preprocess(const std::string& application) {
  if (!application.empty()) preprocessing(application);
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
