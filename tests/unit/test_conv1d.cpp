// Conv1D: shapes for valid, same and causal padding with strides and dilation, the errors, its weights and
// config sizes, and the fused oneDNN plan (batch norm folded, activation and residual add fused) against the
// reference executor. Keras's own outputs check it in test_keras_conv1d_outputs, tfjs in test_tfjs_layers.
#include "message_matcher.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

TEST_CASE("Conv1D output steps follow Keras's window rule", "[conv1d]") {
  struct Row {
    int steps, kernel, stride, dilation;
    const char* padding;
    int64_t out;
  };
  const Row rows[] = {{16, 3, 1, 1, "valid", 14},  {16, 3, 2, 1, "valid", 7},  {16, 3, 3, 1, "same", 6},
                      {16, 4, 1, 2, "same", 16},   {16, 4, 1, 2, "valid", 10}, {16, 2, 3, 1, "causal", 6},
                      {16, 3, 1, 2, "causal", 16}, {5, 5, 1, 1, "valid", 1}};
  for (const Row& r : rows) {
    INFO(r.steps << " " << r.kernel << " " << r.stride << " " << r.dilation << " " << r.padding);
    auto x = strata::Input({r.steps, 3});
    auto y =
        L::Conv1D(4, r.kernel, {.strides = r.stride, .padding = r.padding, .dilation_rate = r.dilation})(x);
    CHECK(y.shape()[1] == r.out);
    CHECK(y.shape()[2] == 4);
  }
  auto x = strata::Input({strata::None, 6});
  L::Conv1D layer(8, 3, {.groups = 2});
  CHECK(layer(x).shape().to_string() == "(None, None, 8)");
  CHECK(layer.get_weights()[0].dims() == std::vector<int64_t>{3, 3, 8});
  CHECK(layer.name().rfind("conv1d", 0) == 0);
}

TEST_CASE("Conv1D refuses bad arguments and inputs, naming the layer", "[conv1d][errors]") {
  using strata::ShapeError;
  using strata::ValueError;
  CHECK_THROWS_MATCHES(
      L::Conv1D(4, 3, {.padding = "full", .name = "c"}), ValueError,
      MessageThat(Contains("[c (Conv1D)] Unknown padding 'full'. Expected one of: valid, same, causal")));
  CHECK_THROWS_MATCHES(L::Conv1D(4, 3, {.strides = 2, .dilation_rate = 2, .name = "c"}), ValueError,
                       MessageThat(Contains("strides > 1 is not compatible with dilation_rate > 1")));
  CHECK_THROWS_MATCHES(
      L::Conv1D(5, 3, {.groups = 2, .name = "c"}), ValueError,
      MessageThat(Contains("filters must be divisible by groups; received filters 5 and groups 2")));
  CHECK_THROWS_MATCHES(L::Conv1D(4, 3, {.name = "c"})(strata::Input({8, 8, 3})), ShapeError,
                       MessageThat(Contains("[c (Conv1D)]")));
  CHECK_THROWS_MATCHES(L::Conv1D(4, 3, {.groups = 2, .name = "c"})(strata::Input({8, 3})), ShapeError,
                       MessageThat(Contains("input channels must be divisible by groups (2)")));
  CHECK_THROWS_MATCHES(
      L::Conv1D(4, 5, {.name = "c"})(strata::Input({4, 3})), ShapeError,
      MessageThat(Contains("[c (Conv1D)] Output steps would be 0: expected an input steps of at "
                           "least 5")));
}

TEST_CASE("Conv1D fuses like Conv2D and agrees with the reference executor", "[conv1d][numerics]") {
  // A temporal block: causal dilated convolution, batch norm, relu, and a residual add of a 1x1 projection.
  auto x = strata::Input({20, 6});
  auto y = L::Conv1D(8, 3, {.padding = "causal", .dilation_rate = 2, .name = "causal"})(x);
  y = L::BatchNormalization({.name = "bn"})(y);
  y = L::ReLU({.name = "relu"})(y);
  auto shortcut = L::Conv1D(8, 1, {.name = "proj"})(x);
  auto z = L::add({y, shortcut});
  z = L::Conv1D(4, 4,
                {.strides = 2, .padding = "same", .groups = 2, .activation = "tanh", .name = "down"})(z);
  strata::Model model(x, z);
  randomize_weights(model, 7);
  strata::Layer bn = model.get_layer("bn");
  std::vector<strata::Tensor> w = bn.get_weights();
  w.back() = strata::Tensor::random_uniform(w.back().dims(), 9, 0.5f, 1.5f);  // a variance is positive
  bn.set_weights(w);
  check_against_reference(model, {random_input({3, 20, 6}, 8)}, 1e-5);
  const std::string plan = model.compile().plan_string({{3, 20, 6}});
  INFO(plan);
  // Three steps: the batch norm folded and relu fused into the causal convolution, the add a sum post-op.
  CHECK(plan.find("conv + relu") != std::string::npos);
  CHECK(plan.find("conv + sum") != std::string::npos);
  CHECK(plan.find("conv + tanh") != std::string::npos);
  CHECK(plan.find("3 steps") != std::string::npos);
}
