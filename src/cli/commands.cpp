#include "commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

#include <strata/strata.hpp>

#include "models.hpp"

namespace strata_cli {
namespace {

namespace apps = strata::applications;

std::vector<OptionSpec> with_model_options(std::vector<OptionSpec> own, bool with_weights) {
  std::vector<OptionSpec> all = model_options(with_weights);
  all.insert(all.end(), own.begin(), own.end());
  return all;
}

// The first positional argument is the model; the rest are the command's own.
strata::Model model_from(const Args& args) {
  if (args.positional().empty()) throw UsageError("missing MODEL (resnet50, mobilenet_v2, seed or seed2)");
  return build_model(args.positional()[0], args);
}

std::string compile_description(const strata::CompileOptions& options) {
  const std::string threads =
      options.num_threads == 0
          ? fmt::format("all {} cores", std::max(1u, std::thread::hardware_concurrency()))
          : fmt::format("{} thread{}", options.num_threads, options.num_threads == 1 ? "" : "s");
  return fmt::format("{}, {}", options.precision, threads);
}

strata::CompileOptions compile_options(const Args& args) {
  const std::string precision = args.get("precision", "float32");
  if (precision != "float32" && precision != "bfloat16") {
    throw UsageError(
        fmt::format("option '--precision' expects float32 or bfloat16, received '{}'", precision));
  }
  return {.num_threads = static_cast<int>(args.get_int("threads", 0, 0)), .precision = precision};
}

const OptionSpec kThreads{"threads", "T", "threads per forward pass (default 0: all cores)"};
const OptionSpec kPrecision{"precision", "P", "float32 (default) or bfloat16 (needs a CPU with AVX512-BF16)"};

// 25636712 -> "25,636,712", as the summary prints counts.
std::string thousands(int64_t value) {
  std::string digits = std::to_string(value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

int run_summary(const Args& args) {
  args.expect_positional(1, "MODEL");
  const strata::Model model = model_from(args);
  std::fputs(model
                 .summary_string({.line_length = static_cast<int>(args.get_int("line-length", 0, 0)),
                                  .show_trainable = args.has("show-trainable"),
                                  .show_costs = args.has("show-costs")})
                 .c_str(),
             stdout);
  return 0;
}

int run_predict(const Args& args) {
  args.expect_positional(1, "MODEL");
  if (!args.has("input")) throw UsageError("missing --input X.npy");
  if (!args.has("output")) throw UsageError("missing --output Y.npy");
  // Every option is checked before the model is built, so a typo costs no time.
  const std::string preprocess = args.get("preprocess");
  check_preprocess(preprocess);
  const int64_t top = args.get_int("top", 0, 1);
  const int64_t batch = args.get_int("batch", 0, 1);
  const strata::CompileOptions options = compile_options(args);

  const strata::Model model = model_from(args);
  strata::Tensor input = strata::load_npy(args.get("input"));
  if (!preprocess.empty()) input = preprocess_input(preprocess, input);
  const strata::Tensor output = model.compile(options).predict(input, {.batch_size = batch});
  // Decoded before anything is written, so a failure (an output that is not (batch, 1000)) leaves no file.
  const auto rows = top > 0 ? apps::decode_predictions(output, static_cast<int>(top))
                            : std::vector<std::vector<apps::Prediction>>{};
  strata::save_npy(args.get("output"), output);
  fmt::print("{} {} -> {} {}\n", args.get("input"), format_dims(input.dims()), args.get("output"),
             format_dims(output.dims()));
  for (size_t i = 0; i < rows.size(); ++i) {
    fmt::print("sample {}:\n", i);
    for (const apps::Prediction& p : rows[i])
      fmt::print("  {:>3}  {:<30} {:.4f}\n", p.index, p.name, p.score);
  }
  return 0;
}

int run_export(const Args& args) {
  args.expect_positional(2, "MODEL and OUT.onnx");
  const strata::OnnxExportOptions options{.opset = static_cast<int>(args.get_int("opset", 17, 1)),
                                          .dynamic_batch = !args.has("fixed-batch")};
  const strata::Model model = model_from(args);
  const std::string path = args.positional()[1];
  strata::export_onnx(model, path, options);
  fmt::print("wrote {} ({}, {} parameters)\n", path, model.name(), thousands(model.count_params()));
  return 0;
}

int run_plot(const Args& args) {
  args.expect_positional(2, "MODEL and OUT.png|svg|dot");
  const strata::PlotOptions options{.show_shapes = args.has("show-shapes"),
                                    .show_dtype = args.has("show-dtype"),
                                    .show_layer_names = !args.has("hide-layer-names"),
                                    .rankdir = args.get("rankdir", "TB"),
                                    .dpi = static_cast<int>(args.get_int("dpi", 200, 1))};
  const strata::Model model = model_from(args);
  const std::string path = args.positional()[1];
  strata::plot_model(model, path, options);
  fmt::print("wrote {} ({}, {} layers)\n", path, model.name(), model.layers().size());
  return 0;
}

int run_codegen(const Args& args) {
  args.expect_positional(1, "MODEL");
  const std::string source = args.positional()[0];
  const strata::Model model = model_from(args);
  // A file's weights come from the file; a built-in model's from --weights, when given.
  const bool is_file = model_is_file(source);
  const std::string weights = args.get("weights", is_file ? source : "");
  const std::string text = strata::to_cpp(model, {.function = args.get("function", "build_model"),
                                                  .weights_file = weights,
                                                  .namespace_name = args.get("namespace", ""),
                                                  .source = is_file ? source : "strata's " + source});
  if (!args.has("output")) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  const std::string path = args.get("output");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) throw strata::FileError(fmt::format("[codegen] Cannot write \"{}\"", path));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (std::fclose(file) != 0 || !written)
    throw strata::FileError(fmt::format("[codegen] Cannot write \"{}\"", path));
  fmt::print("wrote {} ({}, {} layers)\n", path, model.name(), model.layers().size());
  return 0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

int run_bench(const Args& args) {
  using clock = std::chrono::steady_clock;
  args.expect_positional(1, "MODEL");
  const int64_t batch = args.get_int("batch", 1, 1);
  const int64_t warmup = args.get_int("warmup", 3, 0);
  const int64_t repetitions = args.get_int("repetitions", 10, 1);
  strata::CompileOptions options = compile_options(args);
  options.release_weights = args.has("release-weights");
  const strata::Model model = model_from(args);
  const strata::CompiledModel compiled = model.compile(options);
  const std::vector<int64_t> dims = input_dims(model, batch);
  const strata::Tensor input = strata::Tensor::random_uniform(dims, /*seed=*/1);

  // The first predict builds the plan for this shape; it is timed apart, then the warm-up runs.
  const auto compile_start = clock::now();
  compiled.predict(input);
  const double first_ms = std::chrono::duration<double, std::milli>(clock::now() - compile_start).count();
  for (int64_t i = 0; i < warmup; ++i) compiled.predict(input);
  std::vector<double> times;
  for (int64_t i = 0; i < repetitions; ++i) {
    const auto start = clock::now();
    compiled.predict(input);
    times.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
  }
  const double ms = median(times);
  const double gflop = 2.0 * static_cast<double>(model.multiply_accumulates()) * batch * 1e-9;

  if (args.has("plan")) std::fputs(compiled.plan_string(batch).c_str(), stdout);
  fmt::print("model      {} {}, {}\n", model.name(), format_dims(dims), compile_description(options));
  fmt::print("first run  {:.2f} ms ({})\n", first_ms,
             options.release_weights ? "the plan was built by compile" : "builds the plan");
  fmt::print("time       median {:.3f} ms per batch over {} runs after {} warm-up (min {:.3f}, max {:.3f})\n",
             ms, repetitions, warmup, *std::min_element(times.begin(), times.end()),
             *std::max_element(times.begin(), times.end()));
  fmt::print(
      "throughput {:.1f} samples/s, {:.1f} GFLOP/s ({:.3f} GFLOP per batch in convolutions and dense "
      "layers)\n",
      1e3 * static_cast<double>(batch) / ms, gflop / (ms * 1e-3), gflop);
  if (args.has("profile")) {
    fmt::print("\n");
    std::fputs(compiled.profile({input}, static_cast<int>(repetitions)).to_string().c_str(), stdout);
  }
  return 0;
}

// `Conv2D(filters, kernel_size, strides=1, ...)`: what layer_arguments says, written as Python would.
std::string signature(const std::string& class_name) {
  std::vector<std::string> parts;
  for (const strata::LayerArgument& a : strata::layer_arguments(class_name)) {
    parts.push_back(a.default_value.empty() ? a.name : a.name + "=" + a.default_value);
  }
  return fmt::format("{}({})", class_name, fmt::join(parts, ", "));
}

int run_layers(const Args& args) {
  const std::vector<std::string> classes =
      args.positional().empty() ? strata::registered_layer_classes() : args.positional();
  for (const std::string& name : classes) std::fputs((signature(name) + "\n").c_str(), stdout);
  return 0;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"summary", "MODEL [options]", "print the Keras-style summary table of a model",
       "Prints the table Keras's model.summary() prints: each layer, its output shape and parameters, and "
       "the\n"
       "totals.\n",
       with_model_options({{"show-costs", "", "add multiply-accumulates and activation bytes per sample"},
                           {"show-trainable", "", "add Keras's Trainable column"},
                           {"line-length", "N", "total width of the table"}},
                          false),
       run_summary},
      {"predict", "MODEL --input X.npy --output Y.npy [--weights W.h5] [--batch N] [options]",
       "run a model on a NumPy array and write the result as another",
       "Reads X.npy (float32, C order, NHWC with the batch first, e.g. (2, 224, 224, 3)), runs a forward "
       "pass\n"
       "and writes the output to Y.npy. Without --weights the model has its seeded initial weights, the "
       "same\n"
       "on every run.\n",
       with_model_options({{"input", "X.npy", "the input array (float32, batch first, NHWC)"},
                           {"output", "Y.npy", "where to write the output array"},
                           {"batch", "N", "run the input in slices of N samples (Keras's batch_size)"},
                           {"preprocess", "MODEL",
                            "apply that application's preprocess_input first (resnet50, densenet121, ...)"},
                           {"top", "K", "also print the top K ImageNet classes of each sample"},
                           kThreads,
                           kPrecision},
                          true),
       run_predict},
      {"export", "MODEL [--weights W.h5] OUT.onnx [options]", "write a model as an ONNX file",
       "Writes the graph and weights as an ONNX model (NHWC inputs and outputs, as strata's; see "
       "docs/onnx.md).\n",
       with_model_options({{"opset", "N", "ONNX opset (default 17)"},
                           {"fixed-batch", "", "fix the batch to 1 instead of a symbolic N"}},
                          true),
       run_export},
      {"plot", "MODEL OUT.png|OUT.svg|OUT.dot [options]", "draw a model's graph with Graphviz",
       "Writes the graph as Keras's plot_model draws it: DOT text, or PNG or SVG through Graphviz's dot\n"
       "(Debian package graphviz).\n",
       with_model_options({{"show-shapes", "", "show each layer's output shape"},
                           {"show-dtype", "", "show the dtype"},
                           {"hide-layer-names", "", "show class names only"},
                           {"rankdir", "TB|LR", "top to bottom (default) or left to right"},
                           {"dpi", "N", "resolution of PNG output (default 200)"}},
                          false),
       run_plot},
      {"bench", "MODEL [--batch N] [--threads T] [options]", "time forward passes",
       "Compiles the model, runs one pass to build the plan, then the warm-up passes, then times the\n"
       "repetitions on a seeded random input and prints the median time per batch and the GFLOP/s of the\n"
       "convolutions and dense layers (2 FLOP per multiply-accumulate).\n",
       with_model_options({{"batch", "N", "samples per forward pass (default 1)"},
                           kThreads,
                           kPrecision,
                           {"warmup", "N", "untimed passes before timing (default 3)"},
                           {"repetitions", "N", "timed passes (default 10)"},
                           {"profile", "", "also print the per-primitive profile (CompiledModel::profile)"},
                           {"plan", "", "also print the compiled plan (CompiledModel::plan_string)"},
                           {"release-weights", "",
                            "compile with release_weights (free the Keras-layout weights; --plan shows "
                            "what was freed)"}},
                          false),
       run_bench},
      {"codegen", "MODEL [-o OUT.cpp] [--function NAME] [--namespace NS] [options]",
       "write the C++ source that rebuilds a model with strata's functional API",
       "Prints (or writes to OUT.cpp) a C++ source defining `NAME()`, which builds the model layer by layer\n"
       "with its layers' names and arguments (a strata::Model, or a strata::Sequential for a Sequential),\n"
       "and `NAME_with_weights(path)`, which also loads its weights (by default from MODEL when it is a\n"
       "file, else from --weights when given).\n",
       with_model_options({{"output", "OUT.cpp", "write the source here instead of to standard output", 'o'},
                           {"function", "NAME", "the function that builds the model (default build_model)"},
                           {"namespace", "NS", "put the functions in this namespace"}},
                          true),
       run_codegen},
      {"layers",
       "[CLASS...]",
       "list the Keras layer classes strata has, with their arguments",
       "Prints each layer class strata can make (from C++ or from a Keras config), one per line, as a\n"
       "signature: the constructor's arguments, then the options with their defaults as C++ writes them\n"
       "(`{}` for pooling strides means the pool size). Keras's keys are the same names.\n"
       "With CLASS names, only those. The same list drives get_config and from_config.\n",
       {},
       run_layers},
  };
  return all;
}

std::string command_help(const Command& command) {
  std::vector<OptionSpec> options = command.options;
  options.push_back({"help", "", "show this help"});
  const std::string models =
      command.usage.find("MODEL") != std::string::npos ? "\nMODEL is one of:\n" + models_help() : "";
  return fmt::format("usage: strata {} {}\n\n{}{}\noptions:\n{}", command.name, command.usage,
                     command.description, models, format_options(options));
}

}  // namespace strata_cli
