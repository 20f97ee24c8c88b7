// CompileOptions::release_weights: the Keras-layout tensors are freed after compiling, and everything that
// reads weights still sees them bit for bit.

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <thread>

#include "core/released_weight.hpp"
#include "graph/functional.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"

namespace L = strata::layers;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using strata::Tensor;
using strata_test::MessageThat;

namespace {

// ResNet50's ingredients in small: conv + batch norm + relu (folded, scaled copy), a 3x3 conv with 32
// channels (Winograd where oneDNN has it), a depthwise conv, a 1x1 conv with its own bias (unscaled), dense.
strata::Model small_model() {
  auto in = strata::Input({12, 12, 3}, "image");
  auto x = L::Conv2D(32, 3, {.padding = "same", .name = "conv1"})(in);
  x = L::BatchNormalization({.name = "bn1"})(x);
  x = L::ReLU()(x);
  x = L::Conv2D(32, 3, {.padding = "same", .name = "wide"})(x);
  x = L::BatchNormalization({.name = "bn2"})(x);
  x = L::ReLU()(x);
  x = L::DepthwiseConv2D(3, {.padding = "same", .name = "dw"})(x);
  x = L::Conv2D(40, 1, {.name = "project"})(x);
  x = L::GlobalAveragePooling2D()(x);
  x = L::Dense(10, {.name = "fc"})(x);
  strata::Model model(in, x, "small");
  strata_test::randomize_weights_keeping_scale(model, 11);
  // Batch norms with statistics far from (1, 0), so the folded scale is not 1 and the copies are scaled.
  uint64_t seed = 100;
  for (const char* bn : {"bn1", "bn2"}) {
    strata::Layer layer = model.get_layer(bn);
    std::vector<Tensor> w = layer.get_weights();  // gamma, beta, moving_mean, moving_variance
    w[0] = Tensor::random_uniform(w[0].dims(), seed++, 0.3f, 3.0f);
    w[1] = Tensor::random_uniform(w[1].dims(), seed++, -1.0f, 1.0f);
    w[2] = Tensor::random_uniform(w[2].dims(), seed++, -1.0f, 1.0f);
    w[3] = Tensor::random_uniform(w[3].dims(), seed++, 0.05f, 4.0f);
    layer.set_weights(w);
  }
  return model;
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.dims() != b.dims()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a.data()[i]) != std::bit_cast<uint32_t>(b.data()[i])) return false;
  }
  return true;
}

bool bitwise_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!bitwise_equal(a[i], b[i])) return false;
  }
  return true;
}

std::vector<Tensor> all_weights(const strata::Model& model) {
  std::vector<Tensor> all;
  for (strata::Layer layer : model.layers()) {
    for (Tensor& t : layer.get_weights()) all.push_back(std::move(t));
  }
  return all;
}

bool released(const strata::Model& model, const std::string& layer, size_t variable = 0) {
  return model.get_layer(layer).impl()->variables()[variable].released();
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("release_weights: get_weights and predict are bitwise unchanged", "[release]") {
  strata::clear_session();
  const strata::Model model = small_model();
  const std::vector<Tensor> before = all_weights(model);
  const Tensor x1 = strata_test::random_input({1, 12, 12, 3}, 1);
  const Tensor x3 = strata_test::random_input({3, 12, 12, 3}, 3);
  const strata::CompiledModel plain = model.compile();
  const Tensor y1 = plain.predict(x1), y3 = plain.predict(x3);
  const std::weak_ptr<const Tensor> conv1_kernel = model.get_layer("conv1").impl()->variables()[0].tensor();

  const strata::CompiledModel lean = model.compile({.release_weights = true});
  CHECK(released(model, "conv1"));    // batch-norm scaled copy: corrections
  CHECK(released(model, "project"));  // unscaled kernel and its bias
  CHECK(released(model, "project", 1));
  CHECK(released(model, "fc"));
  CHECK_FALSE(released(model, "dw"));  // the plan reorders a regrouped copy, not the layer's tensor
  CHECK_FALSE(released(model, "bn1"));
  if (lean.plan_string().find("winograd") != std::string::npos) CHECK_FALSE(released(model, "wide"));
  // Neither the variable nor the plans (theirs or the earlier compile's) keep the tensor.
  CHECK(conv1_kernel.expired());

  CHECK(bitwise_equal(all_weights(model), before));
  CHECK(model.count_params() ==
        32 * 27 + 32 + 4 * 32 + 32 * 9 * 32 + 32 + 4 * 32 + 9 * 32 + 32 + 32 * 40 + 40 + 40 * 10 + 10);
  CHECK(bitwise_equal(lean.predict(x1), y1));
  // A new plan after the release lowers from rebuilt tensors.
  CHECK(bitwise_equal(lean.predict(x3), y3));
  CHECK(bitwise_equal(all_weights(model), before));
}

TEST_CASE("release_weights: the plan report counts what was freed", "[release]") {
  strata::clear_session();
  const strata::Model model = small_model();
  const std::string report = model.compile({.release_weights = true}).plan_string();
  std::smatch m;
  REQUIRE(std::regex_search(report, m,
                            std::regex(R"(released at compile: (\d+) of (\d+) weights, (\d+) bytes)")));
  const int freed = std::stoi(m[1]), total = std::stoi(m[2]);
  const long bytes = std::stol(m[3]);
  CHECK(freed >= 5);
  CHECK(total == 18);  // every variable was offered
  // conv1's kernel (less its corrections), project's kernel and bias, fc's kernel and bias at least.
  CHECK(bytes >= static_cast<long>(4 * (32 * 27 * 15 / 16 + 32 * 40 + 40 + 40 * 10 + 10)));
  CHECK(model.compile().plan_string().find("released at compile") == std::string::npos);
}

TEST_CASE("release_weights: save, load, export and set_weights after release", "[release]") {
  strata::clear_session();
  const strata::Model model = small_model();
  const std::vector<Tensor> before = all_weights(model);
  const std::string onnx_before = "release_weights_before.onnx", onnx_after = "release_weights_after.onnx";
  const std::string saved = "release_weights.weights.h5";
  strata::export_onnx(model, onnx_before);
  const strata::CompiledModel lean = model.compile({.release_weights = true});

  strata::export_onnx(model, onnx_after);
  CHECK(file_bytes(onnx_before) == file_bytes(onnx_after));

  model.save_weights(saved);
  strata::clear_session();
  const strata::Model twin = small_model();
  strata_test::randomize_weights(twin, 999);
  twin.load_weights(saved);
  CHECK(bitwise_equal(all_weights(twin), before));
  model.load_weights(saved);  // into released variables
  CHECK_FALSE(released(model, "conv1"));
  CHECK(bitwise_equal(all_weights(model), before));

  model.compile({.release_weights = true});
  REQUIRE(released(model, "fc"));
  std::vector<Tensor> fc = model.get_layer("fc").get_weights();
  fc[0] = Tensor::random_uniform(fc[0].dims(), 5, -1.0f, 1.0f);
  model.get_layer("fc").set_weights(fc);
  CHECK_FALSE(released(model, "fc"));
  CHECK(bitwise_equal(model.get_layer("fc").get_weights(), fc));
  const Tensor x = strata_test::random_input({2, 12, 12, 3}, 7);
  CHECK(bitwise_equal(lean.predict(x), model.compile().predict(x)));
  for (const std::string& f : {onnx_before, onnx_after, saved}) std::remove(f.c_str());
}

TEST_CASE("release_weights: concurrent readers share one rebuilt tensor", "[release]") {
  strata::clear_session();
  const strata::Model model = small_model();
  const std::vector<Tensor> before = all_weights(model);
  const Tensor x = strata_test::random_input({2, 12, 12, 3}, 4);
  const Tensor expected = model.compile().predict(x);
  // Concurrent calls share the cores and may run on one thread each, where the Winograd convolution
  // (`wide`) rounds differently: each answer must be a serial call's on one thread or on all.
  const Tensor expected_one_thread = model.compile({.num_threads = 1}).predict(x);
  const strata::CompiledModel lean = model.compile({.release_weights = true});
  const strata::detail::Variable& kernel = model.get_layer("conv1").impl()->variables()[0];
  REQUIRE(kernel.released());
  const auto a = kernel.tensor(), b = kernel.tensor();
  CHECK(a == b);

  std::vector<std::thread> threads;
  std::vector<int> ok(6, 0);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      // Odd threads build plans for new shapes from rebuilt tensors; even ones read the weights.
      if (t % 2 == 0) {
        ok[t] = bitwise_equal(all_weights(model), before);
        return;
      }
      const Tensor y = lean.predict(x);
      ok[t] = bitwise_equal(y, expected) || bitwise_equal(y, expected_one_thread);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int v : ok) CHECK(v == 1);
}

TEST_CASE("release_weights: errors", "[release][errors]") {
  strata::clear_session();
  const strata::Model model = small_model();
  REQUIRE_THROWS_MATCHES(model.compile({.backend = "reference", .release_weights = true}), strata::ValueError,
                         MessageThat(StartsWith("[compile] release_weights needs backend 'onednn'") &&
                                     Contains("received backend 'reference'")));
  CHECK_FALSE(released(model, "fc"));
  auto in = strata::Input({strata::None, strata::None, 3}, "any_size");
  strata::Model open(in, L::Conv2D(4, 3)(in));
  REQUIRE_THROWS_MATCHES(
      open.compile({.release_weights = true}), strata::ValueError,
      MessageThat(StartsWith("[compile] Input 'any_size' has shape (None, None, None, 3)") &&
                  Contains("release_weights")));
}

TEST_CASE("release_weights: the corrections rebuild every kind of float exactly", "[release][corrections]") {
  using strata::detail::apply_corrections;
  using strata::detail::encode_corrections;
  constexpr int64_t kChannels = 64, kRows = 32;
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float denormal = std::numeric_limits<float>::denorm_min();
  std::vector<float> scale(kChannels);
  for (int64_t c = 0; c < kChannels; ++c) scale[c] = 0.37f + 0.173f * static_cast<float>(c);
  scale[5] = 0.0f;                                      // every nonzero k of this channel is an exception
  scale[6] = std::numeric_limits<float>::min() / 8.0f;  // a denormal scale
  scale[7] = -1.5f;
  scale[8] = 3e30f;  // overflows to inf for larger k
  const Tensor random = Tensor::random_uniform({kRows * kChannels}, 9, -4.0f, 4.0f);
  std::vector<float> kernel(random.values());
  const float specials[] = {nan, -0.0f, 0.0f, inf, -inf, denormal, -denormal * 3, 1e-39f, 3.4e38f};
  for (size_t i = 0; i < std::size(specials); ++i) {
    for (int64_t c = 0; c < 12; ++c) kernel[i * kChannels + c] = specials[i];
  }
  std::vector<float> scaled(kernel.size());
  for (size_t i = 0; i < kernel.size(); ++i) scaled[i] = kernel[i] * scale[i % kChannels];

  const auto corrections = encode_corrections(kernel, scaled, scale, kChannels);
  REQUIRE(corrections.has_value());
  int counts[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < kernel.size(); ++i) ++counts[(corrections->codes[i / 4] >> (2 * (i % 4))) & 3];
  for (int code = 0; code < 4; ++code) CHECK(counts[code] > 0);
  CHECK(static_cast<size_t>(counts[3]) == corrections->exceptions.size());

  std::vector<float> rebuilt = scaled;
  apply_corrections(rebuilt, scale, kChannels, *corrections);
  for (size_t i = 0; i < kernel.size(); ++i) {
    INFO("element " << i << " channel " << i % kChannels);
    CHECK(std::bit_cast<uint32_t>(rebuilt[i]) == std::bit_cast<uint32_t>(kernel[i]));
  }

  // An unscaled copy needs no codes at all; one that matches nothing is not worth a record.
  const auto none = encode_corrections(kernel, kernel, {}, kChannels);
  REQUIRE(none.has_value());
  CHECK(none->codes.empty());
  CHECK(none->exceptions.empty());
  std::vector<float> zero_scale(kChannels, 0.0f);
  std::vector<float> zeros(kernel.size(), 0.0f);
  CHECK_FALSE(encode_corrections(kernel, zeros, zero_scale, kChannels).has_value());
}
