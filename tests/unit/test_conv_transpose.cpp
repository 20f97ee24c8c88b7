// Conv2DTranspose and Conv1DTranspose: Keras's output-size rules, errors, weights, values worked by hand
// from Keras's definition (each input cell scatters kernel * value into the output window it reaches), and
// the oneDNN deconvolution against the reference executor over strides, padding, output_padding and
// dilation. tfjs checks them in test_tfjs_layers.
#include "message_matcher.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace L = strata::layers;
using strata::Size2;

namespace {

strata::Tensor tensor(std::vector<int64_t> dims, std::vector<float> values) {
  return strata::Tensor(std::move(dims), std::move(values));
}

}  // namespace

TEST_CASE("Conv2DTranspose output sizes follow Keras's deconv_output_length", "[conv_transpose]") {
  struct Row {
    int in, kernel, stride, dilation;
    const char* padding;
    std::optional<int> output_padding;
    int64_t out;
  };
  // valid: in*s + max(k' - s, 0); same: in*s; with output_padding: (in-1)*s + k' - 2*(k'/2 if same) + op.
  const Row rows[] = {{7, 4, 2, 1, "same", std::nullopt, 14},
                      {7, 4, 2, 1, "valid", std::nullopt, 16},
                      {5, 3, 2, 1, "valid", std::nullopt, 11},
                      {5, 1, 3, 1, "valid", std::nullopt, 15},
                      {5, 3, 1, 2, "valid", std::nullopt, 9},
                      {5, 3, 1, 2, "same", std::nullopt, 5},
                      {5, 3, 2, 1, "valid", 1, 12},
                      {5, 3, 2, 1, "same", 1, 10},
                      {5, 4, 2, 1, "same", 0, 8},
                      {4, 5, 3, 1, "same", 2, 12}};
  for (const Row& r : rows) {
    INFO("in " << r.in << " kernel " << r.kernel << " stride " << r.stride << " dilation " << r.dilation
               << " " << r.padding);
    auto x = strata::Input({r.in, r.in + 1, 3});
    std::optional<Size2> op;
    if (r.output_padding) op = Size2(*r.output_padding);
    auto y = L::Conv2DTranspose(
        2, r.kernel,
        {.strides = r.stride, .padding = r.padding, .output_padding = op, .dilation_rate = r.dilation})(x);
    CHECK(y.shape()[1] == r.out);
    CHECK(y.shape()[3] == 2);
  }
}

TEST_CASE("Conv2DTranspose weights are (kh, kw, filters, channels) and the bias (filters)",
          "[conv_transpose]") {
  auto x = strata::Input({7, 7, 128});
  L::Conv2DTranspose layer(64, {4, 3}, {.strides = 2, .padding = "same"});
  auto y = layer(x);
  CHECK(y.shape().to_string() == "(None, 14, 14, 64)");
  const auto w = layer.get_weights();
  REQUIRE(w.size() == 2);
  CHECK(w[0].dims() == std::vector<int64_t>{4, 3, 64, 128});
  CHECK(w[1].dims() == std::vector<int64_t>{64});
  CHECK(layer.name().rfind("conv2d_transpose", 0) == 0);
  L::Conv1DTranspose one(5, 3);
  auto z = one(strata::Input({10, 4}));
  CHECK(z.shape().to_string() == "(None, 12, 5)");
  CHECK(one.get_weights()[0].dims() == std::vector<int64_t>{3, 5, 4});
  CHECK(one.name().rfind("conv1d_transpose", 0) == 0);
}

TEST_CASE("Transposed convolutions refuse bad arguments and inputs, naming the layer",
          "[conv_transpose][errors]") {
  using strata::ShapeError;
  using strata::ValueError;
  CHECK_THROWS_MATCHES(L::Conv2DTranspose(0, 3, {.name = "up"}), ValueError,
                       MessageThat(Catch::Matchers::Contains(
                           "[up (Conv2DTranspose)] Expected a positive filters, received 0")));
  CHECK_THROWS_MATCHES(L::Conv2DTranspose(4, 3, {.padding = "causal", .name = "up"}), ValueError,
                       MessageThat(Catch::Matchers::Contains(
                           "[up (Conv2DTranspose)] Unknown padding 'causal'. Expected one of: valid, same")));
  CHECK_THROWS_MATCHES(L::Conv2DTranspose(4, 3, {.strides = 2, .output_padding = Size2(2), .name = "up"}),
                       ValueError,
                       MessageThat(Catch::Matchers::Contains(
                           "output_padding must be at least 0 and less than strides on every axis; "
                           "received output_padding (2, 2) and strides (2, 2)")));
  CHECK_THROWS_MATCHES(
      L::Conv2DTranspose(4, 3, {.strides = 2, .dilation_rate = 2, .name = "up"}), ValueError,
      MessageThat(Catch::Matchers::Contains("strides > 1 is not compatible with dilation_rate > 1")));
  CHECK_THROWS_MATCHES(L::Conv1DTranspose(4, 0, {.name = "up1"}), ValueError,
                       MessageThat(Catch::Matchers::Contains(
                           "[up1 (Conv1DTranspose)] Expected 1 positive kernel_size value, received (0)")));
  CHECK_THROWS_MATCHES(L::Conv2DTranspose(4, 3, {.name = "up"})(strata::Input({8, 3})), ShapeError,
                       MessageThat(Catch::Matchers::Contains("[up (Conv2DTranspose)]")));
  // Same padding with an even kernel and output_padding 0 on one cell: (1-1)*2 + 4 - 2*2 + 0 = 0.
  CHECK_THROWS_MATCHES(
      L::Conv2DTranspose(4, 4, {.strides = 2, .padding = "same", .output_padding = Size2(0), .name = "up"})(
          strata::Input({1, 1, 3})),
      ShapeError,
      MessageThat(Catch::Matchers::Contains(
          "[up (Conv2DTranspose)] Output height would be 0 for an input height of 1")));
}

TEST_CASE("Conv1DTranspose computes Keras's values, worked by hand", "[conv_transpose][numerics]") {
  // One channel in and out, kernel [1, 10, 100], stride 2, valid: input cell i adds x_i * k_j at 2i + j.
  // x = [1, 2]: out = [1, 10, 100 + 2, 20, 200] + bias 0.5.
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    auto x = strata::Input({2, 1});
    L::Conv1DTranspose layer(1, 3, {.strides = 2});
    strata::Model model(x, layer(x));
    layer.set_weights({tensor({3, 1, 1}, {1, 10, 100}), tensor({1}, {0.5f})});
    const auto y = model.compile({.backend = backend}).predict(tensor({1, 2, 1}, {1, 2}));
    CHECK(y.dims() == std::vector<int64_t>{1, 5, 1});
    CHECK(std::vector<float>(y.data(), y.data() + 5) ==
          std::vector<float>{1.5f, 10.5f, 102.5f, 20.5f, 200.5f});
  }
  // Keras 3 (its JAX rule; TensorFlow's conv_transpose pads the same): the input dilated by the stride,
  // padded left_pad before and right_pad after, convolved with the flipped kernel [100, 10, 1].
  // valid, output_padding 1: left_pad = k - 1 = 2, right_pad = 2 + 1; [0 0 1 0 2 0 0 0] gives 6 cells, the
  // last reached by no input: the bias alone.
  // same, output_padding 1: pad_len = k + k % 2 - 2 + 1 = 3, left_pad = min(3 // 2 + 1, k - 1) = 2,
  // right_pad = 1; [0 0 1 0 2 0] gives 4 cells.
  struct OutputPadding {
    const char* padding;
    std::vector<float> expected;
  };
  for (const OutputPadding& c : {OutputPadding{"valid", {1.5f, 10.5f, 102.5f, 20.5f, 200.5f, 0.5f}},
                                 OutputPadding{"same", {1.5f, 10.5f, 102.5f, 20.5f}}}) {
    for (const char* backend : {"onednn", "reference"}) {
      INFO(backend << " " << c.padding);
      auto x = strata::Input({2, 1});
      L::Conv1DTranspose layer(1, 3, {.strides = 2, .padding = c.padding, .output_padding = 1});
      strata::Model model(x, layer(x));
      layer.set_weights({tensor({3, 1, 1}, {1, 10, 100}), tensor({1}, {0.5f})});
      const auto y = model.compile({.backend = backend}).predict(tensor({1, 2, 1}, {1, 2}));
      REQUIRE(y.dims() == std::vector<int64_t>{1, static_cast<int64_t>(c.expected.size()), 1});
      CHECK(std::vector<float>(y.data(), y.data() + c.expected.size()) == c.expected);
    }
  }
  // Dilation 2, stride 1, valid: taps at i, i+2, i+4.  x = [1, 2]: out = [1, 2, 10, 20, 100, 200].
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    auto x = strata::Input({2, 1});
    L::Conv1DTranspose layer(1, 3, {.dilation_rate = 2, .use_bias = false});
    strata::Model model(x, layer(x));
    layer.set_weights({tensor({3, 1, 1}, {1, 10, 100})});
    const auto y = model.compile({.backend = backend}).predict(tensor({1, 2, 1}, {1, 2}));
    REQUIRE(y.dims() == std::vector<int64_t>{1, 6, 1});
    CHECK(std::vector<float>(y.data(), y.data() + 6) == std::vector<float>{1, 2, 10, 20, 100, 200});
  }
}

TEST_CASE("Conv2DTranspose on oneDNN agrees with the reference executor", "[conv_transpose][numerics]") {
  struct Case {
    int kernel, stride, dilation;
    const char* padding;
    std::optional<int> output_padding;
    const char* activation;
  };
  const Case cases[] = {{4, 2, 1, "same", std::nullopt, "relu"}, {3, 2, 1, "valid", std::nullopt, "linear"},
                        {3, 2, 1, "same", 1, "sigmoid"},         {5, 3, 1, "same", 2, "tanh"},
                        {3, 1, 2, "same", std::nullopt, "relu"}, {1, 3, 1, "valid", std::nullopt, "linear"},
                        {2, 3, 1, "valid", 2, "linear"}};
  uint64_t seed = 1;
  for (const Case& c : cases) {
    INFO("kernel " << c.kernel << " stride " << c.stride << " dilation " << c.dilation << " " << c.padding
                   << " output_padding " << (c.output_padding ? *c.output_padding : -1));
    auto x = strata::Input({5, 6, 7});
    std::optional<Size2> op;
    if (c.output_padding) op = Size2(*c.output_padding);
    strata::Model model(x, L::Conv2DTranspose(9, c.kernel,
                                              {.strides = c.stride,
                                               .padding = c.padding,
                                               .output_padding = op,
                                               .dilation_rate = c.dilation,
                                               .activation = c.activation})(x));
    randomize_weights(model, seed++);
    check_against_reference(model, {random_input({2, 5, 6, 7}, seed++)}, 1e-5);
  }
}

TEST_CASE("A transposed convolution's activation runs as its own step", "[conv_transpose][plan]") {
  // oneDNN 2.6 applies a deconvolution's post-ops in a slow loop of its own (docs/layers.md): no fusion.
  auto x = strata::Input({7, 7, 16});
  auto y = L::Conv2DTranspose(8, 4, {.strides = 2, .padding = "same", .activation = "relu", .name = "up"})(x);
  y = L::LeakyReLU({.negative_slope = 0.2f, .name = "leaky"})(y);
  strata::Model model(x, y);
  const std::string plan = model.compile().plan_string({{1, 7, 7, 16}});
  INFO(plan);
  CHECK(plan.find("conv_transpose  ") != std::string::npos);
  CHECK(plan.find("conv_transpose +") == std::string::npos);
  CHECK(occurrences(plan, "jit") + occurrences(plan, "gemm") >= 3);  // three real kernels, no ref:
  CHECK(plan.find("ref:") == std::string::npos);
}

TEST_CASE("A stride-1 transposed convolution runs as the convolution it equals, batch norm folded",
          "[conv_transpose][plan]") {
  // The U-Net's decoder: transposed 3x3 same (stride 1), batch norm, relu; then a dilated valid one and a
  // 1D one with an asymmetric kernel, each against the reference executor (which runs the deconvolution).
  auto x = strata::Input({9, 8, 6});
  auto y = L::Conv2DTranspose(7, 3, {.padding = "same", .name = "up"})(x);
  y = L::BatchNormalization({.name = "bn"})(y);
  y = L::Activation("relu", {.name = "relu"})(y);
  y = L::Conv2DTranspose(5, {3, 2}, {.dilation_rate = 2, .activation = "tanh", .name = "dilated"})(y);
  strata::Model model(x, y);
  randomize_weights(model, 3);
  strata::Layer bn = model.get_layer("bn");
  std::vector<strata::Tensor> w = bn.get_weights();
  w.back() = strata::Tensor::random_uniform(w.back().dims(), 4, 0.5f, 1.5f);
  bn.set_weights(w);
  check_against_reference(model, {random_input({2, 9, 8, 6}, 5)}, 1e-5);
  const std::string plan = model.compile().plan_string({{2, 9, 8, 6}});
  INFO(plan);
  CHECK(plan.find("conv + relu") != std::string::npos);  // up, bn, relu in one step
  CHECK(plan.find("conv + tanh") != std::string::npos);
  CHECK(plan.find("conv_transpose") == std::string::npos);
  CHECK(plan.find("2 steps") != std::string::npos);

  auto s = strata::Input({11, 4});
  strata::Model one(s, L::Conv1DTranspose(3, 4, {.padding = "same", .activation = "relu"})(s));
  randomize_weights(one, 6);
  check_against_reference(one, {random_input({2, 11, 4}, 7)}, 1e-5);
}
