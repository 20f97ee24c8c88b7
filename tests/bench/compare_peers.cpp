// strata's side of the peer benchmark (tests/bench/compare_peers.sh runs the whole comparison): builds the
// benchmark models, exports them to ONNX, and serves timed forward passes over a line protocol on
// stdin/stdout, so a driver can alternate strata with ONNX Runtime (tests/bench/ort_serve.js speaks the same
// protocol) in one run. A program run by hand, never a timed test.
//
//   compare_peers models                          the model names, one per line
//   compare_peers export MODEL DIR BATCH...       DIR/MODEL.onnx and DIR/MODEL_bBATCH_in.npy per batch
//   compare_peers save MODEL DIR                  DIR/MODEL.keras (Model::save), the same weights as export
//   compare_peers machine                         oneDNN version and effective ISA
//   compare_peers serve MODEL INPUT.npy THREADS [PRECISION [release|fixed]]
//   compare_peers profile MODEL BATCH THREADS [REPS] [PRECISION]   CompiledModel::profile's table
//
// serve: measures this process's resident memory (VmRSS) with the input loaded but no model built (the
// idle state), builds the model (seeded weights, as export does; a MODEL ending in .keras is read with
// strata::load_model instead, and build_ms is that load), compiles it (THREADS 0: the default, every
// core; with CompileOptions::release_weights when the last word is `release`, with adaptive_threads off when
// it is `fixed`) and builds the plan for the input's batch, then prints
//   ready compile_ms=<compile + first plan build> build_ms=<model construction>
// and answers, one line per command:
//   run K        -> "times t1 ... tK cpu=C" (milliseconds of each CompiledModel::predict call; C: the
//                   process's CPU milliseconds over the K calls)
//   trun K       -> the same, the K calls made from a new std::thread (not the program's first thread)
//   crun C K     -> "times T cpu=C": C threads each making K calls at once; T the wall milliseconds until
//                   the last finishes
//   save PATH    -> "saved"             (one forward pass written as .npy)
//   mem          -> "mem rss_kb=<VmRSS - idle> hwm_kb=<VmHWM - idle>"
//   quit
// Errors go to stderr as "error: ..." and exit with status 1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <oneapi/dnnl/dnnl.hpp>
#include <strata/applications.hpp>
#include <strata/npy.hpp>
#include <strata/onnx.hpp>
#include <strata/strata.hpp>

#include "bilstm_model.hpp"
#include "dcgan_models.hpp"
#include "text_cnn_model.hpp"
#include "transformer_model.hpp"
#include "unet_model.hpp"

namespace {

namespace L = strata::layers;

// The seed notebook's blocks, as tests/unit/test_util.hpp builds them.
strata::Model seed_block_1() {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  residual = L::Conv2D(64, 1)(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, "residual_block");
}

strata::Model seed_block_2() {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  x = L::add({x, residual});
  return strata::Model(inputs, x, "residual_block_2");
}

// Kernels at Keras's initial scale (seeded), so that sigmoids and softmaxes do not saturate and the outputs
// stay comparable; batch-norm variances positive.
strata::Model with_seeded_weights(strata::Model model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    for (size_t k = 0; k < weights.size(); ++k) {
      strata::Tensor& w = weights[k];
      int64_t fan_in = 1;
      for (size_t i = 0; i + 1 < w.dims().size(); ++i) fan_in *= w.dims()[i];
      const bool variance = layer.class_name() == "BatchNormalization" && k + 1 == weights.size();
      const float limit = w.dims().size() > 1 ? std::sqrt(3.0f / static_cast<float>(fan_in)) : 0.1f;
      w = variance ? strata::Tensor::random_uniform(w.dims(), seed++, 0.5f, 1.5f)
                   : strata::Tensor::random_uniform(w.dims(), seed++, -limit, limit);
    }
    layer.set_weights(weights);
  }
  return model;
}

const std::vector<std::string> kModels{
    "seed_block_1", "seed_block_2",     "resnet50",         "mobilenet_v2",        "vgg16",
    "resnet50v2",   "densenet121",      "inception_v3",     "inception_resnet_v2", "mobilenet",
    "xception",     "efficientnetb0",   "efficientnetv2b0", "convnext_tiny",       "nasnetmobile",
    "nasnetlarge",  "mobilenetv3small", "mobilenetv3large", "dcgan_generator",     "unet",
    "text_cnn",     "bilstm",           "transformer"};

// Deterministic: the same seeded weights in every process, so the exported ONNX file and a serving
// process hold identical weights.
strata::Model build(const std::string& name) {
  if (name == "seed_block_1") return seed_block_1();
  if (name == "seed_block_2") return seed_block_2();
  // Logits rather than softmax (classifier_activation "linear"): with seeded, untrained weights the
  // softmax is flat (MobileNetV2's activations shrink to about 1e-11, so its softmax is exactly 1/1000
  // everywhere) and comparing it would prove nothing; the logits, compared relative to their scale, do.
  if (name == "resnet50") return strata::applications::ResNet50({.classifier_activation = "linear"});
  if (name == "mobilenet_v2") return strata::applications::MobileNetV2({.classifier_activation = "linear"});
  // One member of each further family (issue 18), at Keras's default sizes.
  if (name == "vgg16") return strata::applications::VGG16({.classifier_activation = "linear"});
  if (name == "resnet50v2") return strata::applications::ResNet50V2({.classifier_activation = "linear"});
  if (name == "densenet121") return strata::applications::DenseNet121({.classifier_activation = "linear"});
  if (name == "inception_v3") return strata::applications::InceptionV3({.classifier_activation = "linear"});
  if (name == "inception_resnet_v2")
    return strata::applications::InceptionResNetV2({.classifier_activation = "linear"});
  if (name == "mobilenet") return strata::applications::MobileNet({.classifier_activation = "linear"});
  if (name == "xception") return strata::applications::Xception({.classifier_activation = "linear"});
  if (name == "efficientnetb0")
    return strata::applications::EfficientNetB0({.classifier_activation = "linear"});
  if (name == "efficientnetv2b0")
    return strata::applications::EfficientNetV2B0({.classifier_activation = "linear"});
  if (name == "convnext_tiny") return strata::applications::ConvNeXtTiny({.classifier_activation = "linear"});
  if (name == "nasnetmobile") return strata::applications::NASNetMobile({.classifier_activation = "linear"});
  if (name == "nasnetlarge") return strata::applications::NASNetLarge({.classifier_activation = "linear"});
  if (name == "mobilenetv3small")
    return strata::applications::MobileNetV3Small(
        {.input_shape = {224, 224, 3}, .classifier_activation = ""});
  if (name == "mobilenetv3large")
    return strata::applications::MobileNetV3Large(
        {.input_shape = {224, 224, 3}, .classifier_activation = ""});
  // samples/dcgan_models.hpp and samples/unet_model.hpp (keras-io's models, issue 16's benchmarks).
  if (name == "dcgan_generator") return with_seeded_weights(make_generator(), 40);
  if (name == "unet") return with_seeded_weights(make_unet(160, 3, "linear"), 50);
  // samples/text_cnn_model.hpp: keras-io's sizes, int64 token ids (an Embedding's gather, then Conv1D).
  if (name == "text_cnn") return with_seeded_weights(make_text_cnn(20000, 128, "int64", "linear", 500), 60);
  // samples/bilstm_model.hpp: keras-io's bidirectional LSTM, int64 token ids (four oneDNN LSTM primitives).
  if (name == "bilstm") return with_seeded_weights(make_bilstm(20000, 128, 64, 200, "int64"), 70);
  // samples/transformer_model.hpp: keras-io's Transformer classifier, int64 token ids (positions by
  // ops::arange inside a CompositeLayer, MultiHeadAttention as matmuls).
  if (name == "transformer")
    return with_seeded_weights(
        transformer_sample::make_transformer_classifier(20000, 200, 32, 2, 32, "int64"), 80);
  throw std::runtime_error("unknown model '" + name + "'");
}

std::vector<int64_t> image_dims(const std::string& name) {
  if (name.rfind("seed_block", 0) == 0) return {32, 32, 3};
  if (name == "dcgan_generator") return {kLatent};
  if (name == "unet") return {160, 160, 3};
  if (name == "inception_v3" || name == "inception_resnet_v2" || name == "xception")
    return {299, 299, 3};                // Keras's default size
  if (name == "nasnetlarge") return {331, 331, 3};
  if (name == "text_cnn") return {500};  // keras-io's sequence length
  if (name == "bilstm" || name == "transformer") return {200};  // keras-io's maxlen
  return {224, 224, 3};
}

// The benchmark input of `name` with these dims (batch first): token ids uniform over the vocabulary for
// the text classifier; pixels in [0, 255) for the models that rescale their own input (EfficientNet,
// MobileNetV3, ConvNeXt); otherwise images in [0, 1), the scale a preprocessed input has (the models' seeded
// weights keep activations in range).
strata::Tensor bench_input(const std::string& name, const std::vector<int64_t>& dims) {
  if (name.rfind("efficientnet", 0) == 0 || name.rfind("mobilenetv3", 0) == 0 ||
      name.rfind("convnext", 0) == 0)
    return strata::Tensor::random_uniform(dims, 7, 0.0f, 255.0f);
  if (name != "text_cnn" && name != "bilstm" && name != "transformer")
    return strata::Tensor::random_uniform(dims, 7);
  const strata::Tensor u = strata::Tensor::random_uniform(dims, 7, 0.0f, 20000.0f);
  std::vector<int64_t> ids;
  for (float v : u.values()) ids.push_back(static_cast<int64_t>(v));
  return strata::Tensor::from_int64(dims, std::move(ids));
}

// A field of /proc/self/status in kB (Linux), -1 when absent.
long status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// CPU time of the whole process (all threads), in milliseconds: unlike wall time, not inflated when other
// load on the machine takes the cores away.
double process_cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return 1e3 * static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-3 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "isa#" + std::to_string(static_cast<int>(isa));
  }
}

int serve(const std::string& model_name, const std::string& input_path, int threads,
          const std::string& precision, bool release_weights, bool fixed_threads) {
  using clock = std::chrono::steady_clock;
  const strata::Tensor input = strata::load_npy(input_path);
  const long idle_kb = status_kb("VmRSS");
  const auto t0 = clock::now();
  const strata::Model model =
      model_name.ends_with(".keras") ? strata::load_model(model_name) : build(model_name);
  const auto t1 = clock::now();
  const strata::CompiledModel compiled = model.compile({.num_threads = threads,
                                                        .adaptive_threads = !fixed_threads,
                                                        .precision = precision,
                                                        .release_weights = release_weights});
  compiled.plan_string(input.dims()[0]);  // builds and caches the plan for this batch
  const auto t2 = clock::now();
  std::printf("ready compile_ms=%.3f build_ms=%.3f\n",
              std::chrono::duration<double, std::milli>(t2 - t1).count(),
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  std::fflush(stdout);

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command;
    words >> command;
    // K timed calls on the calling thread, as the reply line "times t1 ... tK".
    auto timed_calls = [&](int reps) {
      std::string reply = "times";
      for (int i = 0; i < reps; ++i) {
        const auto start = clock::now();
        const strata::Tensor out = compiled.predict(input);
        const double ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
        if (out.size() == 0) throw std::runtime_error("empty output");
        char text[32];
        std::snprintf(text, sizeof text, " %.4f", ms);
        reply += text;
      }
      return reply;
    };
    if (command == "run" || command == "trun") {
      int reps = 0;
      words >> reps;
      const double cpu_start = process_cpu_ms();
      std::string reply;
      if (command == "run") {
        reply = timed_calls(reps);
      } else {
        std::thread caller([&] { reply = timed_calls(reps); });
        caller.join();
      }
      std::printf("%s cpu=%.4f\n", reply.c_str(), process_cpu_ms() - cpu_start);
    } else if (command == "crun") {
      int callers = 0, reps = 0;
      words >> callers >> reps;
      const double cpu_start = process_cpu_ms();
      const auto start = clock::now();
      std::vector<std::thread> threads_;
      std::atomic<bool> failed{false};
      for (int c = 0; c < callers; ++c) {
        threads_.emplace_back([&] {
          try {
            for (int i = 0; i < reps; ++i) compiled.predict(input);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            failed = true;
          }
        });
      }
      for (std::thread& t : threads_) t.join();
      if (failed) throw std::runtime_error("a concurrent caller failed");
      std::printf("times %.4f cpu=%.4f\n",
                  std::chrono::duration<double, std::milli>(clock::now() - start).count(),
                  process_cpu_ms() - cpu_start);
    } else if (command == "save") {
      std::string path;
      words >> path;
      strata::save_npy(path, compiled.predict(input));
      std::printf("saved\n");
    } else if (command == "mem") {
      std::printf("mem rss_kb=%ld hwm_kb=%ld\n", status_kb("VmRSS") - idle_kb, status_kb("VmHWM") - idle_kb);
    } else if (command == "quit") {
      return 0;
    } else {
      throw std::runtime_error("unknown command '" + line + "'");
    }
    std::fflush(stdout);
  }
  return 0;
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    throw std::runtime_error("usage: compare_peers models|export|save|machine|serve|profile ...");
  if (args[0] == "models") {
    for (const auto& m : kModels) std::printf("%s\n", m.c_str());
  } else if (args[0] == "machine") {
    const dnnl_version_t* v = dnnl_version();
    std::printf("onednn %d.%d.%d isa %s\n", v->major, v->minor, v->patch,
                isa_name(dnnl::get_effective_cpu_isa()).c_str());
  } else if (args[0] == "export" && args.size() >= 4) {
    const strata::Model model = build(args[1]);
    const std::string dir = args[2];
    strata::export_onnx(model, dir + "/" + args[1] + ".onnx");
    for (size_t i = 3; i < args.size(); ++i) {
      std::vector<int64_t> dims{std::stoll(args[i])};
      const auto image = image_dims(args[1]);
      dims.insert(dims.end(), image.begin(), image.end());
      strata::save_npy(dir + "/" + args[1] + "_b" + args[i] + "_in.npy", bench_input(args[1], dims));
    }
  } else if (args[0] == "save" && args.size() == 3) {
    build(args[1]).save(args[2] + "/" + args[1] + ".keras");
  } else if (args[0] == "serve" && args.size() >= 4 && args.size() <= 6 &&
             (args.size() < 6 || args[5] == "release" || args[5] == "fixed")) {
    return serve(args[1], args[2], std::stoi(args[3]), args.size() >= 5 ? args[4] : "float32",
                 args.size() == 6 && args[5] == "release", args.size() == 6 && args[5] == "fixed");
  } else if (args[0] == "profile" && args.size() >= 4) {
    const strata::Model model = build(args[1]);
    const strata::CompiledModel compiled = model.compile(
        {.num_threads = std::stoi(args[3]), .precision = args.size() >= 6 ? args[5] : "float32"});
    std::vector<int64_t> dims{std::stoll(args[2])};
    const auto image = image_dims(args[1]);
    dims.insert(dims.end(), image.begin(), image.end());
    const strata::ProfileReport report = compiled.profile({bench_input(args[1], dims)},
                                                          args.size() >= 5 ? std::stoi(args[4]) : 10);
    // The slowest steps first, then the whole table in run order.
    std::vector<strata::ProfileEntry> slowest = report.entries;
    std::sort(slowest.begin(), slowest.end(),
              [](const auto& a, const auto& b) { return a.milliseconds > b.milliseconds; });
    std::printf("forward %.3f ms, steps sum %.3f ms, %zu steps; slowest:\n", report.forward_milliseconds,
                report.total_milliseconds, report.entries.size());
    for (size_t i = 0; i < std::min<size_t>(8, slowest.size()); ++i) {
      const strata::ProfileEntry& e = slowest[i];
      std::printf("  %8.3f ms %5.1f%% %7.1f GFLOP/s  %-22s %-24s %s\n", e.milliseconds, 100.0 * e.share,
                  e.gflops, e.primitive.c_str(), e.implementation.c_str(), e.layers.c_str());
    }
    std::printf("%s", report.to_string().c_str());
  } else {
    throw std::runtime_error("bad arguments; see the header of tests/bench/compare_peers.cpp");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
