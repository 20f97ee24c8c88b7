// The `strata` command-line tool (issue 5 item 5), run as a user runs it: each command on the seed block (or
// a summary of ResNet50, which builds no plan), its output files read back with the library, --help, and
// every kind of mistake giving a message on stderr and a non-zero status rather than a crash.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.hpp"

namespace fs = std::filesystem;
using Catch::Contains;
using Catch::StartsWith;

namespace {

struct Run {
  int status = -1;  // the exit status; -1 when the program did not exit normally (a crash)
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory for this test program's files, removed at exit.
const fs::path& work_dir() {
  static const struct Dir {
    fs::path path = fs::temp_directory_path() / ("strata_test_cli_" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } dir;
  return dir.path;
}

std::string in_work_dir(const std::string& name) {
  return (work_dir() / name).string();
}

// Runs `strata ARGS` through the shell, capturing stdout and stderr.
Run strata_cli(const std::string& args) {
  const fs::path out = work_dir() / "stdout.txt", err = work_dir() / "stderr.txt";
  const std::string command =
      std::string("'") + STRATA_CLI + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int raw = std::system(command.c_str());
  Run run;
  run.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = read_file(out);
  run.err = read_file(err);
  UNSCOPED_INFO("strata " << args << "\nstdout:\n" << run.out << "\nstderr:\n" << run.err);
  return run;
}

// A seed block with weights of its own (not the initial ones), saved where the tool can load them.
strata::Model saved_seed_block(const std::string& weights_path) {
  strata::Model model = strata_test::seed_block_1();
  uint64_t seed = 7;
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    for (strata::Tensor& w : weights) w = strata::Tensor::random_uniform(w.dims(), seed++, -0.3f, 0.3f);
    if (!weights.empty()) layer.set_weights(weights);
  }
  model.save_weights(weights_path);
  return model;
}

}  // namespace

TEST_CASE("strata --help lists the commands and models; each command has --help", "[cli]") {
  const Run tool = strata_cli("--help");
  CHECK(tool.status == 0);
  for (const char* word :
       {"summary", "predict", "export", "plot", "bench", "resnet50", "mobilenet_v2", "seed"}) {
    CHECK_THAT(tool.out, Contains(word));
  }
  for (const char* command : {"summary", "predict", "export", "plot", "bench", "layers"}) {
    const Run help = strata_cli(std::string(command) + " --help");
    CHECK(help.status == 0);
    CHECK_THAT(help.out, Contains(std::string("usage: strata ") + command));
    CHECK_THAT(help.out, Contains("--help"));
    CHECK(help.err.empty());
  }
  CHECK_THAT(strata_cli("predict --help").out, Contains("--weights FILE"));
  CHECK_THAT(strata_cli("bench -h").out, Contains("--threads T"));
}

TEST_CASE("strata layers lists every registered class with its arguments", "[cli]") {
  const Run all = strata_cli("layers");
  CHECK(all.status == 0);
  std::vector<std::string> lines;
  std::istringstream in(all.out);
  for (std::string line; std::getline(in, line);) lines.push_back(line.substr(0, line.find('(')));
  CHECK(lines == strata::registered_layer_classes());
  CHECK_THAT(all.out, Contains("\nDense(units, activation=\"linear\", use_bias=true, "
                               "kernel_initializer=\"glorot_uniform\", bias_initializer=\"zeros\")\n"));
  const Run two = strata_cli("layers MaxPooling2D ReLU");
  CHECK(two.status == 0);
  CHECK(two.out ==
        "MaxPooling2D(pool_size=2, strides={}, padding=\"valid\")\n"
        "ReLU(max_value=std::nullopt, negative_slope=0.0f, threshold=0.0f)\n");
  const Run unknown = strata_cli("layers Conv3D");
  CHECK(unknown.status == 1);
  CHECK_THAT(unknown.err,
             StartsWith("strata layers: error: Unknown layer class 'Conv3D'; strata has Activation, "));
}

TEST_CASE("strata summary prints Keras's table", "[cli]") {
  const Run resnet = strata_cli("summary resnet50");
  CHECK(resnet.status == 0);
  CHECK_THAT(resnet.out, Contains("Model: \"resnet50\""));
  CHECK_THAT(resnet.out, Contains("Total params: 25,636,712"));
  CHECK_THAT(resnet.out, Contains("conv5_block3_out"));

  const Run mobilenet = strata_cli("summary mobilenet_v2");
  CHECK(mobilenet.status == 0);
  CHECK_THAT(mobilenet.out, Contains("Total params: 3,538,984"));

  const Run seed = strata_cli("summary seed --show-costs");
  CHECK(seed.status == 0);
  strata::clear_session();
  CHECK(seed.out == strata_test::seed_block_1().summary_string({.show_costs = true}));
  CHECK_THAT(strata_cli("summary seed2").out, Contains("max_pooling2d"));
  CHECK_THAT(strata_cli("summary resnet50 --no-top --input-size 64 --pooling avg").out,
             Contains("(None, 2048)"));

  // Every application by its Keras module name, with the options that shape it.
  CHECK_THAT(strata_cli("summary densenet121").out, Contains("Total params: 8,062,504"));
  const Run inception = strata_cli("summary inception_v3 --no-top --input-size 75 --pooling max");
  CHECK(inception.status == 0);
  CHECK_THAT(inception.out,
             Contains("Model: \"inception_v3\"") && Contains("mixed10") && Contains("(None, 2048)"));
  CHECK_THAT(strata_cli("summary mobilenet --alpha 0.5 --input-size 128").out,
             Contains("Model: \"mobilenet_0.50_128\""));
  CHECK_THAT(strata_cli("summary resnet152v2 --classes 7").out, Contains("(None, 7)"));
  CHECK_THAT(strata_cli("summary xception").out, Contains("Total params: 22,910,480"));
  CHECK_THAT(strata_cli("summary nasnetmobile").out,
             Contains("Model: \"nasnet_mobile\"") && Contains("Total params: 5,326,716"));
  CHECK_THAT(strata_cli("summary nasnetlarge --no-top").err,
             Contains("[NASNetLarge] needs a known input height and width"));
  CHECK_THAT(strata_cli("summary efficientnetb0").out,
             Contains("Model: \"efficientnetb0\"") && Contains("Total params: 5,330,571"));
  CHECK_THAT(strata_cli("summary mobilenetv3large --alpha 0.75 --line-length 120").out,
             Contains("Model: \"MobileNetV3Large\"") && Contains("Total params: 4,012,616") &&
                 Contains("(None, 224, 224, 3)"));
  CHECK_THAT(strata_cli("summary efficientnetb7 --no-top --input-size 64 --line-length 120").out,
             Contains("top_activation") && Contains("(None, 2, 2, 2560)"));
  CHECK_THAT(strata_cli("summary inception_resnet_v2 --line-length 150").out,
             Contains("custom_scale_layer_39 (CustomScaleLayer)") && Contains("Total params: 55,873,736"));
  CHECK_THAT(strata_cli("summary efficientnetv2s --line-length 120").out,
             Contains("Model: \"efficientnetv2-s\"") && Contains("Total params: 21,612,360"));
}

TEST_CASE("strata takes Keras model files: summary and predict of a file Keras 2 wrote", "[cli]") {
  const std::string file =
      std::string(STRATA_DATA_DIR) + "/keras_models/simple_flatten_rnn_tf_keras_2_model.h5";
  const Run summary = strata_cli("summary " + file);
  CHECK(summary.status == 0);
  CHECK(summary.out == strata::load_model(file).summary_string());
  CHECK_THAT(summary.out, Contains("simple_rnn_1 (SimpleRNN)"));

  const std::string input = in_work_dir("rnn_x.npy"), output = in_work_dir("rnn_y.npy");
  const strata::Tensor x = strata::Tensor::random_uniform({4, 1, 1}, 5);
  strata::save_npy(input, x);
  REQUIRE(strata_cli("predict " + file + " --input " + input + " --output " + output).status == 0);
  CHECK(strata::load_npy(output) == strata::load_model(file).predict(x));

  // The options that shape a built-in model do not apply to a file; a file strata cannot build is the
  // library's error.
  const Run shaped = strata_cli("summary " + file + " --input-size 8");
  CHECK(shaped.status == 2);
  CHECK_THAT(shaped.err, Contains("option '--input-size' does not apply to model"));
  const Run lambda = strata_cli("summary " + std::string(STRATA_DATA_DIR) + "/keras_models/model_lambda.h5");
  CHECK(lambda.status == 1);
  CHECK_THAT(lambda.err, Contains("the class 'Lambda' is not one strata has"));
}

TEST_CASE("strata codegen prints or writes the C++ of a model file or a built-in model", "[cli][codegen]") {
  const std::string file = std::string(STRATA_DATA_DIR) + "/keras_models/lstm_functional_tf_keras_2.h5";
  const Run printed = strata_cli("codegen " + file + " --namespace gen");
  CHECK(printed.status == 0);
  CHECK(printed.out == strata::to_cpp(strata::load_model(file),
                                      {.weights_file = file, .namespace_name = "gen", .source = file}));
  const std::string out = in_work_dir("seed.cpp");
  const Run written = strata_cli("codegen seed -o " + out + " --function make_seed --input-size 16");
  CHECK(written.status == 0);
  CHECK(written.out == "wrote " + out + " (residual_block, 5 layers)\n");
  const std::string text = read_file(out);
  CHECK_THAT(text, Contains("strata::Model make_seed() {"));
  CHECK_THAT(text, Contains("strata::Input({16, 16, 3}, {.name = \"input_layer\"})"));
  CHECK_THAT(text, Contains("strata::Model make_seed_with_weights(const std::string& path) {"));
  const Run bad = strata_cli("codegen seed --function 'a b'");
  CHECK(bad.status == 1);
  CHECK_THAT(bad.err, Contains("Expected the function name to be a C++ identifier"));
  CHECK(strata_cli("codegen seed -x").status == 2);
}

TEST_CASE("strata predict reads a .npy input and writes what Model::predict gives", "[cli]") {
  const std::string weights = in_work_dir("seed.weights.h5"), input = in_work_dir("x.npy");
  strata::clear_session();
  const strata::Model model = saved_seed_block(weights);
  const strata::Tensor x = strata::Tensor::random_uniform({3, 32, 32, 3}, 11);
  strata::save_npy(input, x);
  const strata::Tensor expected = model.predict(x);

  const Run run = strata_cli("predict seed --weights " + weights + " --input " + input + " --output " +
                             in_work_dir("y.npy"));
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Contains("(3, 32, 32, 3)"));
  CHECK_THAT(run.out, Contains("(3, 30, 30, 64)"));
  const strata::Tensor got = strata::load_npy(in_work_dir("y.npy"));
  REQUIRE(got.dims() == expected.dims());
  // The same library, weights and plan: the same bits.
  CHECK(got == expected);

  // --batch slices the input as Keras's batch_size does; the numbers stay within float32 rounding.
  REQUIRE(strata_cli("predict seed --weights " + weights + " --input " + input + " --output " +
                     in_work_dir("y2.npy") + " --batch 2 --threads 1")
              .status == 0);
  CHECK(strata_test::max_relative_error(strata::load_npy(in_work_dir("y2.npy")), expected) <=
        strata_test::float32_tolerance(3 * 3 * 32));

  // Without --weights: the seeded initial weights, the same on every run, unlike the saved ones.
  REQUIRE(strata_cli("predict seed --input " + input + " --output " + in_work_dir("a.npy")).status == 0);
  REQUIRE(strata_cli("predict seed --input=" + input + " --output=" + in_work_dir("b.npy")).status == 0);
  CHECK(strata::load_npy(in_work_dir("a.npy")) == strata::load_npy(in_work_dir("b.npy")));
  CHECK_FALSE(strata::load_npy(in_work_dir("a.npy")) == expected);

  // --preprocess takes any application's name and applies its preprocess_input first.
  REQUIRE(strata_cli("predict seed --weights " + weights + " --input " + input + " --output " +
                     in_work_dir("d.npy") + " --preprocess densenet121")
              .status == 0);
  CHECK(strata::load_npy(in_work_dir("d.npy")) ==
        model.predict(strata::applications::densenet::preprocess_input(x)));
  // ... or the Keras module's name where one module serves several models.
  REQUIRE(strata_cli("predict seed --weights " + weights + " --input " + input + " --output " +
                     in_work_dir("r.npy") + " --preprocess resnet_v2")
              .status == 0);
  CHECK(strata::load_npy(in_work_dir("r.npy")) ==
        model.predict(strata::applications::resnet_v2::preprocess_input(x)));
}

TEST_CASE("strata export writes an ONNX file and plot writes a PNG", "[cli]") {
  const std::string weights = in_work_dir("export.weights.h5");
  strata::clear_session();
  saved_seed_block(weights);
  const Run exported = strata_cli("export seed --weights " + weights + " " + in_work_dir("seed.onnx"));
  REQUIRE(exported.status == 0);
  CHECK_THAT(exported.out, Contains("seed.onnx"));
  const std::string onnx = read_file(work_dir() / "seed.onnx");
  // An ONNX ModelProto starts with field 1 (ir_version, a varint): tag byte 0x08; the 21,504 float32
  // weights are inside.
  REQUIRE(onnx.size() > 4 * 21'504);
  CHECK(onnx[0] == '\x08');

  const Run plotted = strata_cli("plot seed2 " + in_work_dir("seed2.png") + " --show-shapes");
  REQUIRE(plotted.status == 0);
  CHECK(read_file(work_dir() / "seed2.png").substr(0, 8) == "\x89PNG\r\n\x1a\n");
  REQUIRE(strata_cli("plot seed " + in_work_dir("seed.dot") + " --rankdir LR").status == 0);
  CHECK_THAT(read_file(work_dir() / "seed.dot"), Contains("rankdir=LR") && Contains("conv2d"));
}

TEST_CASE("strata bench prints the median time and GFLOP/s, and the profile on request", "[cli]") {
  const Run run = strata_cli("bench seed --batch 2 --threads 1 --warmup 1 --repetitions 3");
  REQUIRE(run.status == 0);
  CHECK_THAT(run.out, Contains("median") && Contains(" ms per batch over 3 runs after 1 warm-up"));
  CHECK_THAT(run.out, Contains("GFLOP/s"));
  CHECK_THAT(run.out, Contains("(2, 32, 32, 3)") && Contains("1 thread"));
  // The seed block's convolutions: 30*30*(3*3*3*32 + 3*3*32*64 + 32*64) multiply-accumulates per sample,
  // 2 FLOP each, batch 2.
  CHECK_THAT(run.out, Contains("0.077 GFLOP per batch"));

  const Run profiled = strata_cli("bench seed2 --threads 1 --warmup 0 --repetitions 2 --profile");
  REQUIRE(profiled.status == 0);
  CHECK_THAT(profiled.out, Contains("max_pooling2d"));

  // All the seed block's weights but the Winograd kernel are held as exact plain or blocked copies (all six
  // where oneDNN has no Winograd).
  const Run released =
      strata_cli("bench seed --threads 1 --warmup 0 --repetitions 1 --plan --release-weights");
  REQUIRE(released.status == 0);
  CHECK_THAT(released.out, Contains("released at compile: ") && Contains("the plan was built by compile"));
  CHECK_THAT(released.out,
             Contains(strata_test::onednn_runs_avx512() ? "released at compile: 5 of 6 weights"
                                                        : "released at compile: 6 of 6 weights"));
}

TEST_CASE("strata's usage mistakes exit 2 with a message naming the mistake", "[cli][errors]") {
  const Run bare = strata_cli("");
  CHECK(bare.status == 2);
  CHECK_THAT(bare.err, Contains("usage: strata COMMAND"));

  struct Case {
    std::string args, message;
  };
  for (const Case& c : {
           Case{"frobnicate", "strata: error: unknown command 'frobnicate'"},
           Case{"summary", "strata summary: error: missing MODEL"},
           Case{
               "summary alexnet",
               "unknown model 'alexnet' (expected an application (vgg16, vgg19, resnet50, resnet101, "
               "resnet152, resnet50v2, resnet101v2, resnet152v2, densenet121, densenet169, densenet201, "
               "inception_v3, inception_resnet_v2, xception, mobilenet, mobilenet_v2, mobilenetv3small, "
               "mobilenetv3large, "
               "efficientnetb0, efficientnetb1, "
               "efficientnetb2, efficientnetb3, efficientnetb4, efficientnetb5, efficientnetb6, "
               "efficientnetb7, efficientnetv2b0, efficientnetv2b1, efficientnetv2b2, efficientnetv2b3, "
               "efficientnetv2s, efficientnetv2m, efficientnetv2l, nasnetmobile, nasnetlarge, convnext_tiny, "
               "convnext_small, convnext_base, convnext_large, convnext_xlarge), seed, seed2 or a model "
               "file)"},
           Case{"summary resnet50 --alpha 0.5", "option '--alpha' does not apply to model 'resnet50'"},
           Case{"summary seed --frob", "unknown option '--frob' (see 'strata summary --help')"},
           Case{"summary seed -x", "unknown option '-x'"},
           Case{"summary seed --show-costs=yes", "option '--show-costs' takes no value"},
           Case{"summary seed extra", "unexpected argument 'extra'"},
           Case{"summary seed --alpha 0.5", "option '--alpha' does not apply to model 'seed'"},
           Case{"summary mobilenet_v2 --alpha zero",
                "option '--alpha' expects a positive number, received 'zero'"},
           Case{"predict seed --input", "option '--input' needs a value (X.npy)"},
           Case{"predict seed --input x.npy", "missing --output Y.npy"},
           Case{"predict seed --input x.npy --output y.npy --preprocess vgg",
                "option '--preprocess' expects an application (vgg16, vgg19, resnet50,"},
           Case{"predict seed --input x.npy --output y.npy --preprocess resnet_v3",
                "or a Keras module (resnet, resnet_v2, densenet, efficientnet, efficientnet_v2, "
                "convnext, mobilenet_v3, nasnet), "
                "received "
                "'resnet_v3'"},
           Case{"export seed", "missing MODEL and OUT.onnx"},
           Case{"bench seed --batch 0", "option '--batch' expects an integer of at least 1, received '0'"},
           Case{"bench seed --threads two",
                "option '--threads' expects an integer of at least 0, received 'two'"},
           Case{"bench seed --precision float16", "option '--precision' expects float32 or bfloat16"},
       }) {
    const Run run = strata_cli(c.args);
    CHECK(run.status == 2);
    CHECK_THAT(run.err, Contains(c.message));
    CHECK(run.out.empty());
  }
}

TEST_CASE("strata reports the library's errors on stderr with status 1", "[cli][errors]") {
  const std::string input = in_work_dir("errors_x.npy");
  strata::save_npy(input, strata::Tensor::random_uniform({1, 16, 16, 3}, 3));
  std::ofstream(in_work_dir("not_hdf5.h5")) << "not an HDF5 file";
  strata::save_npy(in_work_dir("x32.npy"), strata::Tensor::random_uniform({1, 32, 32, 3}, 4));

  struct Case {
    std::string args, message;
  };
  for (const Case& c : {
           // The model wants 32x32x3: the library's ShapeError.
           Case{"predict seed --input " + input + " --output " + in_work_dir("never.npy"),
                "(None, 32, 32, 3)"},
           Case{
               "predict seed --input " + in_work_dir("missing.npy") + " --output " + in_work_dir("never.npy"),
               "missing.npy"},
           Case{"predict seed --weights " + in_work_dir("not_hdf5.h5") + " --input " + input + " --output " +
                    in_work_dir("never.npy"),
                "not_hdf5.h5"},
           Case{"export resnet50 --weights imagenet " + in_work_dir("never.onnx"),
                "strata downloads nothing"},
           Case{"summary resnet50 --input-size 16", "[ResNet50]"},
           Case{"plot seed " + in_work_dir("seed.jpeg"), "jpeg"},
           // --top needs ImageNet scores, (batch, 1000): the library's ShapeError, and no output written.
           Case{"predict seed --top 3 --input " + in_work_dir("x32.npy") + " --output " +
                    in_work_dir("never.npy"),
                "(1, 30, 30, 64)"},
       }) {
    const Run run = strata_cli(c.args);
    CHECK(run.status == 1);
    CHECK_THAT(run.err, Contains("error: ") && Contains(c.message));
  }
  CHECK_FALSE(fs::exists(work_dir() / "never.npy"));
  CHECK_FALSE(fs::exists(work_dir() / "never.onnx"));
}
