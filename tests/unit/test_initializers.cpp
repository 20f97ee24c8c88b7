// Initializer objects with arguments (Keras's VarianceScaling(...), HeNormal(seed), Constant, Orthogonal,
// ...): their distributions against Keras's definitions, seeds, configs as Keras 3 writes them, the C++ the
// code generator prints, and errors.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/initializers.hpp"
#include "layers/layer_impl.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/layer_registry.hpp"

namespace L = strata::layers;
namespace I = strata::initializers;
using Catch::Matchers::Contains;
using strata_test::MessageThat;

namespace {

std::vector<float> kernel_of(L::Conv2DOptions options, int in = 16, int filters = 64) {
  auto x = strata::Input({8, 8, in});
  L::Conv2D layer(filters, 3, std::move(options));
  layer(x);
  return layer.get_weights().at(0).values();
}

std::pair<double, double> mean_and_stddev(const std::vector<float>& v) {
  double sum = 0.0, squares = 0.0;
  for (float f : v) sum += f;
  const double mean = sum / static_cast<double>(v.size());
  for (float f : v) squares += (f - mean) * (f - mean);
  return {mean, std::sqrt(squares / static_cast<double>(v.size()))};
}

}  // namespace

TEST_CASE("names and factories are the same initializers", "[initializers]") {
  CHECK(strata::Initializer("he_normal") == I::HeNormal());
  CHECK(strata::Initializer("HeNormal") == I::HeNormal());
  CHECK(strata::Initializer("glorot_uniform").class_name == "GlorotUniform");
  CHECK(!(I::HeNormal(3) == I::HeNormal()));
  CHECK(!strata::Initializer("he_nromal").known());
}

TEST_CASE("each initializer draws Keras's distribution", "[initializers]") {
  // A 3x3 kernel from 16 to 64 channels: fan_in 144, fan_out 576.
  {
    const auto v = kernel_of({.kernel_initializer = I::VarianceScaling(2.0, "fan_out", "truncated_normal")});
    const auto [mean, stddev] = mean_and_stddev(v);
    CHECK(std::abs(mean) < 0.003);
    CHECK(stddev == Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
    for (float f : v) REQUIRE(std::abs(f) <= 2 * std::sqrt(2.0 / 576) / 0.8796256610342398 + 1e-6);
  }
  {
    const auto v = kernel_of({.kernel_initializer = I::VarianceScaling(1.0, "fan_avg", "uniform")});
    const double limit = std::sqrt(3.0 / 360);
    for (float f : v) REQUIRE(std::abs(f) <= limit);
    CHECK(mean_and_stddev(v).second == Approx(limit / std::sqrt(3.0)).epsilon(0.03));
  }
  {
    const auto v = kernel_of({.kernel_initializer = I::VarianceScaling(1.0, "fan_in", "untruncated_normal")});
    CHECK(mean_and_stddev(v).second == Approx(std::sqrt(1.0 / 144)).epsilon(0.03));
  }
  {
    const auto v = kernel_of({.kernel_initializer = I::RandomNormal(0.5, 0.2)});
    const auto [mean, stddev] = mean_and_stddev(v);
    CHECK(mean == Approx(0.5).margin(0.01));
    CHECK(stddev == Approx(0.2).epsilon(0.03));
  }
  {
    const auto v = kernel_of({.kernel_initializer = I::TruncatedNormal(0.0, 0.1)});
    for (float f : v) REQUIRE(std::abs(f) <= 0.2 + 1e-6);
  }
  {
    const auto v = kernel_of({.kernel_initializer = I::RandomUniform(1.0, 3.0)});
    for (float f : v) REQUIRE((f >= 1.0f && f <= 3.0f));
    CHECK(mean_and_stddev(v).first == Approx(2.0).margin(0.03));
  }
  for (float f : kernel_of({.kernel_initializer = I::Constant(0.25)})) REQUIRE(f == 0.25f);
  {
    // Orthogonal: a (144, 64) matrix whose columns are orthonormal times the gain.
    const auto v = kernel_of({.kernel_initializer = I::Orthogonal(2.0)});
    for (int a = 0; a < 64; a += 7) {
      for (int b = 0; b < 64; b += 5) {
        double dot = 0.0;
        for (int r = 0; r < 144; ++r) dot += static_cast<double>(v[r * 64 + a]) * v[r * 64 + b];
        CHECK(dot == Approx(a == b ? 4.0 : 0.0).margin(1e-4));
      }
    }
  }
  {
    auto x = strata::Input({3});
    L::Dense dense(4, {.kernel_initializer = I::Identity(0.5), .bias_initializer = I::Constant(1.0)});
    dense(x);
    CHECK(dense.get_weights()[0].values() == std::vector<float>{0.5f, 0, 0, 0, 0, 0.5f, 0, 0, 0, 0, 0.5f, 0});
    CHECK(dense.get_weights()[1].values() == std::vector<float>{1, 1, 1, 1});
  }
}

TEST_CASE("a seeded initializer gives the same weights every time", "[initializers]") {
  CHECK(kernel_of({.kernel_initializer = I::HeNormal(7)}) ==
        kernel_of({.kernel_initializer = I::HeNormal(7)}));
  CHECK(kernel_of({.kernel_initializer = I::HeNormal(7)}) !=
        kernel_of({.kernel_initializer = I::HeNormal(8)}));
  CHECK(kernel_of({.kernel_initializer = I::HeNormal()}) != kernel_of({.kernel_initializer = I::HeNormal()}));
}

TEST_CASE("weights about to be loaded start as zeros and draw nothing from the generator", "[initializers]") {
  strata::set_random_seed(5);
  const std::vector<float> first = kernel_of({}), second = kernel_of({});
  strata::set_random_seed(5);
  {
    const strata::detail::WeightsToBeLoaded skipped;
    const std::vector<float> zeros = kernel_of({});
    CHECK(std::all_of(zeros.begin(), zeros.end(), [](float v) { return v == 0.0f; }));
    // Cheap fills and their checks still happen.
    CHECK(kernel_of({.kernel_initializer = "ones"}).front() == 1.0f);
  }
  CHECK(kernel_of({}) == first);
  CHECK(kernel_of({}) == second);
}

TEST_CASE("initializers in configs as Keras 3 writes them, and in generated C++", "[initializers][config]") {
  const L::Conv2D conv(8, 3,
                       {.kernel_initializer = I::VarianceScaling(2.0, "fan_out", "truncated_normal"),
                        .bias_initializer = I::Constant(0.1),
                        .name = "c"});
  const nlohmann::json config = nlohmann::json::parse(conv.get_config());
  CHECK(config["kernel_initializer"] == nlohmann::json::parse(R"({"module": "keras.initializers",
      "class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out",
      "distribution": "truncated_normal", "seed": null}, "registered_name": null})"));
  CHECK(config["bias_initializer"]["config"] == nlohmann::json::parse(R"({"value": 0.1})"));
  // Read back: the same layer config.
  const strata::Layer again = strata::layer_from_config("Conv2D", conv.get_config());
  CHECK(nlohmann::json::parse(again.get_config()) == config);
  const std::string cpp = conv.impl()->cpp_constructor();
  INFO(cpp);
  CHECK(
      cpp.find(R"(strata::initializers::VarianceScaling(2, "fan_out", "truncated_normal", std::nullopt))") !=
      std::string::npos);
  CHECK(cpp.find("strata::initializers::Constant(0.1)") != std::string::npos);
  // Keras 2's form of the same, and a seed.
  const strata::Layer k2 = strata::layer_from_config(
      "Dense", R"({"name": "d", "units": 2, "kernel_initializer": {"class_name": "RandomNormal",
                  "config": {"mean": 0.0, "stddev": 0.01, "seed": 42}}})");
  CHECK(nlohmann::json::parse(k2.get_config())["kernel_initializer"]["config"] ==
        nlohmann::json::parse(R"({"mean": 0.0, "stddev": 0.01, "seed": 42})"));
}

TEST_CASE("initializer errors name the layer", "[initializers][errors]") {
  REQUIRE_THROWS_MATCHES(L::Dense(2, {.kernel_initializer = "he_nromal", .name = "d"}), strata::ValueError,
                         MessageThat(Contains("[d (Dense)]") && Contains("Unknown initializer 'he_nromal'")));
  REQUIRE_THROWS_MATCHES(L::Dense(2, {.kernel_initializer = I::VarianceScaling(1.0, "fan_mid")}),
                         strata::ValueError, MessageThat(Contains("mode 'fan_mid'")));
  REQUIRE_THROWS_MATCHES(L::Dense(2, {.kernel_initializer = I::RandomUniform(1.0, 0.0)}), strata::ValueError,
                         MessageThat(Contains("minval <= maxval")));
  L::Conv2D conv(2, 3, {.kernel_initializer = I::Identity(), .name = "c"});
  REQUIRE_THROWS_MATCHES(conv(strata::Input({4, 4, 3})), strata::ValueError,
                         MessageThat(Contains("[c (Conv2D)]") && Contains("rank 2")));
}
