// ZeroPadding1D, Cropping1D and UpSampling1D: shapes, errors, configs, and values worked by hand from
// Keras's definitions (tfjs has none of the three) on both backends, fused into a Conv1D network against the
// reference executor.
#include "message_matcher.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

namespace {

// One sample of 4 steps and 2 features: step t holds (t + 1, -(t + 1)).
strata::Tensor steps() {
  return strata::Tensor({1, 4, 2}, {1, -1, 2, -2, 3, -3, 4, -4});
}

std::vector<float> values(const strata::Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.size());
}

}  // namespace

TEST_CASE("1D padding, cropping and upsampling move the steps as Keras does", "[reshaping1d]") {
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    auto x = strata::Input({4, 2});
    const auto run = [&](const strata::SymbolicTensor& y) {
      return strata::Model(x, y).compile({.backend = backend}).predict(steps());
    };
    const strata::Tensor padded = run(L::ZeroPadding1D({1, 2})(x));
    CHECK(padded.dims() == std::vector<int64_t>{1, 7, 2});
    CHECK(values(padded) == std::vector<float>{0, 0, 1, -1, 2, -2, 3, -3, 4, -4, 0, 0, 0, 0});
    const strata::Tensor cropped = run(L::Cropping1D({1, 2})(x));
    CHECK(cropped.dims() == std::vector<int64_t>{1, 1, 2});
    CHECK(values(cropped) == std::vector<float>{2, -2});
    const strata::Tensor repeated = run(L::UpSampling1D(3)(L::Cropping1D()(x)));  // Keras's default (1, 1)
    CHECK(values(repeated) == std::vector<float>{2, -2, 2, -2, 2, -2, 3, -3, 3, -3, 3, -3});
  }
}

TEST_CASE("1D reshaping layers: shapes, unknown steps and errors", "[reshaping1d][errors]") {
  auto x = strata::Input({strata::None, 5});
  CHECK(L::ZeroPadding1D(2)(x).shape().to_string() == "(None, None, 5)");
  CHECK(L::UpSampling1D(2)(strata::Input({6, 5})).shape().to_string() == "(None, 12, 5)");
  CHECK(L::Cropping1D({0, 3})(strata::Input({6, 5})).shape().to_string() == "(None, 3, 5)");
  CHECK_THROWS_MATCHES(
      L::ZeroPadding1D({-1, 0}, {.name = "p"}), strata::ValueError,
      MessageThat(Contains("[p (ZeroPadding1D)] Expected a non-negative padding, received (-1, 0)")));
  CHECK_THROWS_MATCHES(L::UpSampling1D(0, {.name = "u"}), strata::ValueError,
                       MessageThat(Contains("[u (UpSampling1D)] Expected a positive size, received 0")));
  CHECK_THROWS_MATCHES(
      L::Cropping1D({2, 2}, {.name = "c"})(strata::Input({4, 3})), strata::ShapeError,
      MessageThat(Contains("[c (Cropping1D)] Cropping (2, 2) leaves no step of an input of shape "
                           "(None, 4, 3)")));
  CHECK_THROWS_MATCHES(L::ZeroPadding1D(1, {.name = "p"})(strata::Input({4, 4, 3})), strata::ShapeError,
                       MessageThat(Contains("[p (ZeroPadding1D)]")));
  // Unknown steps: the crop is checked against the concrete length at predict.
  auto s = strata::Input({strata::None, 3});
  strata::Model model(s, L::Cropping1D({2, 2}, {.name = "c"})(s));
  CHECK_THROWS_MATCHES(
      model.predict(strata::Tensor::zeros({1, 4, 3})), strata::ShapeError,
      MessageThat(Contains("[c (Cropping1D)] Cropping (2, 2) leaves no step of an input of 4 steps")));
}

TEST_CASE("1D reshaping layers inside a Conv1D network agree with the reference executor",
          "[reshaping1d][numerics]") {
  auto x = strata::Input({10, 4});
  auto y = L::ZeroPadding1D({2, 0})(x);
  y = L::Conv1D(6, 3, {.activation = "relu"})(y);
  y = L::UpSampling1D(2)(y);
  y = L::Cropping1D({1, 3})(y);
  y = L::Conv1D(3, 2, {.strides = 2})(y);
  strata::Model model(x, y);
  randomize_weights(model, 11);
  check_against_reference(model, {random_input({2, 10, 4}, 12)}, 1e-5);
}

TEST_CASE("A ZeroPadding1D before a Conv1D folds into its padding", "[reshaping1d][plan]") {
  auto x = strata::Input({10, 4});
  auto y =
      L::Conv1D(6, 3, {.activation = "relu", .name = "conv"})(L::ZeroPadding1D({2, 0}, {.name = "pad"})(x));
  strata::Model model(x, y);
  const std::string plan = model.compile().plan_string({{1, 10, 4}});
  INFO(plan);
  CHECK(plan.find("float32, 1 step") != std::string::npos);
  CHECK(plan.find("pad, conv") != std::string::npos);
}
