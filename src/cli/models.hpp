#pragma once
// The models the `strata` tool knows by name (Keras's applications and the seed notebook's two residual
// blocks, with the options that shape them) and the Keras model files it loads.

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

/// Builds the model `name` (an application such as "resnet50" or "inception_v3", "seed" or "seed2") with the
/// options in `args`, or loads the model file `name` (a name with a slash or a dot, or an existing file) with
/// `strata::load_model`; then loads `--weights` when given. Throws UsageError for an unknown model or an
/// option the model does not take; strata::Error from the library as it comes.
strata::Model build_model(const std::string& name, const Args& args);

/// `images` through the `preprocess_input` of the application named `application` (as MODEL names it:
/// "resnet50", "densenet121", ...) or of a Keras module that serves several ("resnet", "resnet_v2",
/// "densenet"). Throws UsageError for another name.
strata::Tensor preprocess_input(const std::string& application, const strata::Tensor& images);

/// Throws preprocess_input's UsageError unless `application` is empty or names an application; for checking
/// the option before any work.
void check_preprocess(const std::string& application);

/// The model's input dimensions with `batch` in front. Throws UsageError when a size is unknown.
std::vector<int64_t> input_dims(const strata::Model& model, int64_t batch);

/// Dimensions as NumPy prints a shape: "(2, 1000)".
std::string format_dims(const std::vector<int64_t>& dims);

}  // namespace strata_cli
