// Whole networks against the independent oracle, TensorFlow.js's Layers API (tfjs_oracle.hpp): the seed
// notebook's residual blocks, ResNet50 and MobileNetV2 as Keras defines them, each run by tfjs from its Keras
// config and weights. Weights have realistic statistics (kernels at Keras's scale; batch-norm moments
// calibrated on sample inputs, as a trained network has), and every test shows it can fail: a perturbed
// input moves the output by at least 100 times the tolerance.
#include <cmath>

#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;

namespace {

// Kernels uniform in +-sqrt(6 / fan_in) (He's scale, for relu networks: activations neither explode nor
// vanish over 50 layers); biases and batch-norm offsets small; gamma in [0.5, 1.5].
void randomize(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> w = layer.get_weights();
    if (w.empty()) continue;
    for (strata::Tensor& t : w) {
      const double fan_in = t.rank() >= 2 ? static_cast<double>(t.size()) / t.dims().back() : 1.0;
      const float limit = t.rank() >= 2 ? static_cast<float>(std::sqrt(6.0 / fan_in)) : 0.2f;
      t = strata::Tensor::random_uniform(t.dims(), seed++, -limit, limit);
    }
    if (layer.class_name() == "BatchNormalization") {
      w[0] = strata::Tensor::random_uniform(w[0].dims(), seed++, 0.5f, 1.5f);  // gamma
      w[3] = strata::Tensor::random_uniform(w[3].dims(), seed++, 0.5f, 1.5f);  // moving variance
    }
    layer.set_weights(w);
  }
}

// Sets every batch norm's moving mean and variance to the per-channel statistics of its input on `sample`,
// in layer order (each after the ones before it are calibrated), as training leaves them: every batch norm
// then really normalizes, so the output depends on the input as a trained network's does (with random
// moments, ResNet50's output hardly depends on its input at all).
void calibrate_batch_norms(const strata::Model& model, const strata::Tensor& sample) {
  for (strata::Layer layer : model.layers()) {
    if (layer.class_name() != "BatchNormalization") continue;
    const strata::Model probe(model.inputs(), {layer.input()}, "probe");
    const strata::Tensor x = probe.compile({.num_threads = 1}).predict(sample);
    const int64_t channels = x.dims().back(), rows = x.size() / channels;
    std::vector<double> sum(channels), squares(channels);
    for (int64_t i = 0; i < x.size(); ++i) {
      sum[i % channels] += x.data()[i];
      squares[i % channels] += static_cast<double>(x.data()[i]) * x.data()[i];
    }
    std::vector<strata::Tensor> w = layer.get_weights();
    for (int64_t c = 0; c < channels; ++c) {
      const double mean = sum[c] / rows;
      w[2].data()[c] = static_cast<float>(mean);
      w[3].data()[c] = static_cast<float>(std::max(squares[c] / rows - mean * mean, 1e-3));
    }
    layer.set_weights(w);
  }
}

// max |a - b| / max |b|.
double relative_error(const strata::Tensor& a, const strata::Tensor& b) {
  REQUIRE(a.dims() == b.dims());
  double worst = 0.0, scale = 0.0;
  for (int64_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(a.data()[i] - b.data()[i])));
    scale = std::max(scale, static_cast<double>(std::abs(b.data()[i])));
  }
  return worst / scale;
}

// The input with every 7th element moved by 10% of the input range: a small change a network must see.
strata::Tensor perturbed(strata::Tensor t) {
  for (int64_t i = 0; i < t.size(); i += 7) t.data()[i] += 0.2f;
  return t;
}

// strata (default compile: the fused oneDNN plan) against tfjs, and the test's own sensitivity.
void check_against_tfjs(const strata::Model& model, const strata::Tensor& input, double tolerance) {
  const strata::Tensor ours = model.predict(input);
  const strata::Tensor theirs = tfjs_predict(model, {input}).at(0);
  const double error = relative_error(ours, theirs);
  const double sensitivity = relative_error(model.predict(perturbed(input)), ours);
  INFO("error against tfjs " << error << ", tolerance " << tolerance
                             << ", perturbed input moves the output by " << sensitivity);
  CHECK(error <= tolerance);
  CHECK(sensitivity >= 100 * tolerance);
}

strata::Model seed_block(int which) {
  auto inputs = strata::Input({32, 32, 3});
  auto x = L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  if (which == 1) {
    residual = L::Conv2D(64, 1)(residual);
  } else {
    x = L::MaxPooling2D(2, {.padding = "same"})(x);
    residual = L::Conv2D(64, 1, {.strides = 2})(residual);
  }
  return strata::Model(inputs, L::add({x, residual}), which == 1 ? "residual_block" : "residual_block_2");
}

}  // namespace

// Tolerances: float32 accumulation over the longest dot product (float32_tolerance: 8 ulps * sqrt(terms)),
// times the depth for whole networks, whose layers carry earlier errors forward with gains near 1.

TEST_CASE("The seed notebook's residual blocks equal tfjs", "[tfjs][numerics]") {
  for (int which : {1, 2}) {
    strata::Model block = seed_block(which);
    randomize(block, 100 + which);
    // Sensitivity measured: 0.3-0.5 of the output scale; tolerance 3 * float32_tolerance(288) = 4.9e-5.
    check_against_tfjs(block, random_input({2, 32, 32, 3}, 7), 3 * float32_tolerance(3 * 3 * 32));
  }
}

TEST_CASE("ResNet50 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  // 64x64 keeps tfjs's pure JavaScript kernels to a few seconds; every stage still has 2x2 or more pixels.
  strata::Model model =
      strata::applications::ResNet50({.include_top = false, .input_shape = {64, 64, 3}, .pooling = "avg"});
  randomize(model, 11);
  calibrate_batch_norms(model, random_input({4, 64, 64, 3}, 3));
  check_against_tfjs(model, random_input({2, 64, 64, 3}, 5), 50 * float32_tolerance(4608));
}

TEST_CASE("MobileNetV2 equals tfjs, batch norms calibrated", "[tfjs][numerics][applications]") {
  strata::Model model = strata::applications::MobileNetV2(
      {.input_shape = {96, 96, 3}, .classes = 10, .classifier_activation = "linear"});
  randomize(model, 21);
  calibrate_batch_norms(model, random_input({4, 96, 96, 3}, 4));
  check_against_tfjs(model, random_input({2, 96, 96, 3}, 6), 50 * float32_tolerance(1280));
}
