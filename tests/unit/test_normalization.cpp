// Normalization against Keras 3's definition, (x - mean) / max(sqrt(variance), 1e-7) per kept axis (and
// mean + x * that divisor with invert), worked out here in double precision; against tfjs-core's kernels
// where the statistics are one number (the formula as ops); and against the reference executor.
#include <cmath>

#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/ops.hpp"
#include "test_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;

namespace {

// Keras's formula, with the statistic of element i given by `at(i)`.
std::vector<float> keras_normalize(const strata::Tensor& x, const std::vector<float>& mean,
                                   const std::vector<float>& variance, int64_t period, bool invert) {
  std::vector<float> out;
  for (int64_t i = 0; i < x.size(); ++i) {
    const auto k = static_cast<size_t>(i % period) % mean.size();
    const double d = std::max(std::sqrt(static_cast<double>(variance[k])), 1e-7);
    const double v = x.values()[static_cast<size_t>(i)];
    out.push_back(static_cast<float>(invert ? mean[k] + v * d : (v - mean[k]) / d));
  }
  return out;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(2e-6).margin(1e-5));
}

}  // namespace

TEST_CASE("Normalization with given statistics equals Keras's formula", "[normalization][numerics]") {
  const std::vector<float> mean = {0.5f, -1.0f, 2.0f}, variance = {4.0f, 0.25f, 0.0f};
  const strata::Tensor x = random_input({2, 4, 4, 3}, 3);
  for (bool invert : {false, true}) {
    INFO("invert " << invert);
    const strata::Model m = single({4, 4, 3}, [&](auto t) {
      return L::Normalization({.mean = mean, .variance = variance, .invert = invert})(t);
    });
    // A zero variance divides by 1e-7, as Keras's clamp does.
    check_close(m.predict(x).values(), keras_normalize(x, mean, variance, 3, invert));
    CHECK(onednn_vs_reference(m, {x}) <= float32_tolerance(4));
    CHECK(m.summary_string().find("Total params: 0") != std::string::npos);
  }
  // Two kept axes, statistics for the last one only (aligned from the right), and for both.
  const strata::Model two = single({5, 4, 3}, [&](auto t) {
    return L::Normalization(
        {.axis = {-2, -1}, .mean = mean, .variance = std::vector<float>{1.0f, 2.0f, 3.0f}})(t);
  });
  const strata::Tensor y = random_input({2, 5, 4, 3}, 4);
  check_close(two.predict(y).values(), keras_normalize(y, mean, {1.0f, 2.0f, 3.0f}, 3, false));
  std::vector<float> full_mean, full_variance;
  for (int i = 0; i < 12; ++i) {
    full_mean.push_back(0.1f * static_cast<float>(i));
    full_variance.push_back(0.5f + static_cast<float>(i));
  }
  const strata::Model full = single({5, 4, 3}, [&](auto t) {
    return L::Normalization({.axis = {2, 3}, .mean = full_mean, .variance = full_variance})(t);
  });
  check_close(full.predict(y).values(), keras_normalize(y, full_mean, full_variance, 12, false));
}

TEST_CASE("Normalization keeps statistics for axes that are not the last", "[normalization][numerics]") {
  // Per step of a sequence (axis 1), statistics given.
  const std::vector<float> mean = {0.5f, -1.0f, 2.0f, 0.0f}, variance = {4.0f, 0.25f, 1.0f, 9.0f};
  const strata::Model steps = single(
      {4, 3}, [&](auto t) { return L::Normalization({.axis = 1, .mean = mean, .variance = variance})(t); });
  const strata::Tensor x = random_input({2, 4, 3}, 5);
  std::vector<float> want;
  for (int64_t i = 0; i < x.size(); ++i) {
    const auto k = static_cast<size_t>((i / 3) % 4);
    want.push_back(static_cast<float>((x.data()[i] - mean[k]) / std::sqrt(static_cast<double>(variance[k]))));
  }
  check_close(steps.predict(x).values(), want);
  CHECK(onednn_vs_reference(steps, {x}) <= float32_tolerance(4));

  // Axes 1 and 3 of an image with axis 2 between them; statistics as Keras's weights of shape (5, 3).
  L::Normalization layer({.axis = {1, 3}});
  const strata::Model image = single({5, 4, 3}, [&](auto t) { return layer(t); });
  const strata::Tensor m = random_input({5, 3}, 6), v = strata::Tensor::random_uniform({5, 3}, 7, 0.5f, 2.0f);
  layer.set_weights({m, v, strata::Tensor::zeros({})});
  const strata::Tensor y = random_input({2, 5, 4, 3}, 8);
  want.clear();
  for (int64_t i = 0; i < y.size(); ++i) {
    const int64_t k = ((i / 12) % 5) * 3 + i % 3;
    want.push_back(
        static_cast<float>((y.data()[i] - m.data()[k]) / std::sqrt(static_cast<double>(v.data()[k]))));
  }
  check_close(image.predict(y).values(), want);
  CHECK(onednn_vs_reference(image, {y}) <= float32_tolerance(4));
}

TEST_CASE("Normalization with one statistic equals the formula in tfjs-core",
          "[normalization][tfjs][numerics]") {
  const strata::Model ours = single({6, 2}, [](auto t) {
    return L::Normalization({.axis = {}, .mean = {{1.5f}}, .variance = {{9.0f}}})(t);
  });
  const strata::Model formula =
      single({6, 2}, [](auto t) { return (t - 1.5) / ops::maximum(ops::sqrt(t * 0.0 + 9.0), 1e-7); });
  const strata::Tensor x = random_input({3, 6, 2}, 8);
  CHECK(scaled_error(ours.predict(x), tfjs_predict(formula, {x}).at(0)) <= 2 * float32_tolerance(2));
  check_close(ours.predict(x).values(), keras_normalize(x, {1.5f}, {9.0f}, 1, false));
  // The perturbation check: the tolerance above cannot pass a wrong mean.
  const strata::Model off = single({6, 2}, [](auto t) {
    return L::Normalization({.axis = {}, .mean = {{1.6f}}, .variance = {{9.0f}}})(t);
  });
  CHECK(scaled_error(off.predict(x), tfjs_predict(formula, {x}).at(0)) > 100 * float32_tolerance(2));
}

TEST_CASE("Normalization without statistics holds Keras's weights", "[normalization][weights]") {
  const strata::Model m = single({4, 3}, [](auto t) { return L::Normalization({.name = "norm"})(t); });
  strata::Layer layer = m.get_layer("norm");
  const std::vector<strata::Tensor> w = layer.get_weights();
  REQUIRE(w.size() == 3);
  CHECK(w[0].dims() == std::vector<int64_t>{3});
  CHECK(w[0].values() == std::vector<float>{0.0f, 0.0f, 0.0f});  // Keras's state before adapt
  CHECK(w[1].values() == std::vector<float>{1.0f, 1.0f, 1.0f});
  CHECK(w[2].dims().empty());
  // As Keras's summary: 7 parameters, none trainable.
  CHECK(m.summary_string().find("Non-trainable params: 7") != std::string::npos);
  const std::vector<float> mean = {1.0f, 2.0f, 3.0f}, variance = {0.5f, 1.0f, 16.0f};
  layer.set_weights({strata::Tensor({3}, mean), strata::Tensor({3}, variance), strata::Tensor({}, {100.0f})});
  const strata::Tensor x = random_input({2, 4, 3}, 9);
  check_close(m.predict(x).values(), keras_normalize(x, mean, variance, 3, false));
  CHECK(onednn_vs_reference(m, {x}) <= float32_tolerance(4));
  // After a convolution the scale and shift fold into its kernel.
  const strata::Model conv = single({6, 6, 2}, [](auto t) { return L::Normalization()(L::Conv2D(3, 3)(t)); });
  CHECK(conv.compile().plan_string().find("batch_norm") == std::string::npos);
}

TEST_CASE("Normalization's config and errors", "[normalization][errors]") {
  const std::string config =
      L::Normalization({.mean = {{1.0f, 2.0f}}, .variance = {{3.0f, 4.0f}}, .name = "n"}).get_config();
  CHECK(config.find(R"("axis":[-1])") != std::string::npos);
  CHECK(config.find(R"("mean":[1.0,2.0])") != std::string::npos);
  CHECK(L::Normalization({.axis = {}}).get_config().find(R"("axis":[])") != std::string::npos);
  CHECK(L::Normalization().get_config().find(R"("mean":null)") != std::string::npos);

  REQUIRE_THROWS_MATCHES(L::Normalization({.mean = {{1.0f}}}), strata::ValueError,
                         MessageThat(Contains("(Normalization)]") && Contains("both mean and variance")));
  REQUIRE_THROWS_MATCHES(L::Normalization({.mean = {{1.0f}}, .variance = {{1.0f, 2.0f}}}), strata::ValueError,
                         MessageThat(Contains("received 1 and 2 values")));
  REQUIRE_THROWS_MATCHES(L::Normalization({.mean = {{1.0f}}, .variance = {{-1.0f}}}), strata::ValueError,
                         MessageThat(Contains("non-negative variances")));
  auto x = strata::Input({4, 3});
  REQUIRE_THROWS_MATCHES(L::Normalization({.axis = 0})(x), strata::ValueError,
                         MessageThat(Contains("batch")));
  REQUIRE_THROWS_MATCHES(L::Normalization({.mean = {{1.0f, 2.0f}}, .variance = {{1.0f, 2.0f}}})(x),
                         strata::ShapeError,
                         MessageThat(Contains("kept axes (3)") && Contains("received 2")));
  REQUIRE_THROWS_MATCHES(L::Normalization()(strata::Input({4, strata::None})), strata::ShapeError,
                         MessageThat(Contains("known shape")));
}
