#pragma once
// The models the `strata` tool knows by name (Keras's ResNet50 and MobileNetV2 and the seed notebook's two
// residual blocks, with the options that shape them) and the Keras model files it loads.

#include <cstdint>
#include <string>
#include <vector>

#include <strata/strata.hpp>

#include "args.hpp"

namespace strata_cli {

/// The help lines naming the models, for the tool's and each command's help.
std::string models_help();

/// The options every command that builds a model accepts (input size, top, pooling, classes, alpha), plus
/// `--weights` when `with_weights`.
std::vector<OptionSpec> model_options(bool with_weights);

/// Whether `name` names a model file (it has a slash or a dot, or a file of that name exists) rather than a
/// built-in model.
bool model_is_file(const std::string& name);

/// Builds the model `name` ("resnet50", "mobilenet_v2", "seed" or "seed2") with the options in `args`, or
/// loads the model file `name` (a name with a slash or a dot, or an existing file) with `strata::load_model`;
/// then loads `--weights` when given. Throws UsageError for an unknown model or an option the model does not
/// take; strata::Error from the library as it comes.
strata::Model build_model(const std::string& name, const Args& args);

/// The model's input dimensions with `batch` in front. Throws UsageError when a size is unknown.
std::vector<int64_t> input_dims(const strata::Model& model, int64_t batch);

/// Dimensions as NumPy prints a shape: "(2, 1000)".
std::string format_dims(const std::vector<int64_t>& dims);

}  // namespace strata_cli
