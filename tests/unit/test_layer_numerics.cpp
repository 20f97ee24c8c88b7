// Every issue-4 layer and fusion: the oneDNN plan (fused and unfused) equals the reference executor on
// random weights, non-trivial batch-norm statistics and random inputs.
#include "message_matcher.hpp"
#include "numerics_util.hpp"

#include <functional>

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Replaces every weight of `model` with random values; variances (names ending in "variance") stay positive.
void randomize(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    std::vector<strata::Tensor> weights = layer.get_weights();
    for (size_t i = 0; i < weights.size(); ++i) {
      const bool variance = layer.class_name() == "BatchNormalization" && i + 1 == weights.size();
      weights[i] = strata::Tensor::random_uniform(weights[i].dims(), seed++, variance ? 0.5f : -1.0f, variance ? 2.0f : 1.0f);
    }
    layer.set_weights(weights);
  }
}

double check_model(const strata::Model& model, const std::vector<std::vector<int64_t>>& input_dims, uint64_t seed = 3) {
  randomize(model, seed);
  std::vector<strata::Tensor> inputs;
  for (const auto& dims : input_dims) inputs.push_back(strata::Tensor::random_uniform(dims, seed++, -1.0f, 1.0f));
  return onednn_vs_reference(model, inputs);
}

}  // namespace

TEST_CASE("dense layers match the reference", "[numerics][dense]") {
  CHECK(check_model(single({17}, [](auto x) { return L::Dense(9, {.activation = "relu"})(x); }), {{3, 17}}) <
        float32_tolerance(17));
  CHECK(check_model(single({5, 6, 7}, [](auto x) { return L::Dense(4)(x); }), {{2, 5, 6, 7}}) < float32_tolerance(7));
  CHECK(check_model(single({8}, [](auto x) { return L::Dense(6, {.activation = "softmax", .use_bias = false})(x); }),
                    {{4, 8}}) < float32_tolerance(8));
}

TEST_CASE("batch normalization folds into conv and dense, and runs alone", "[numerics][batchnorm]") {
  auto conv_bn = single({9, 9, 4}, [](auto x) {
    x = L::Conv2D(6, 3, {.padding = "same"})(x);
    x = L::BatchNormalization({.epsilon = 1.001e-5f})(x);
    return L::Activation("relu")(x);
  });
  const std::string plan = conv_bn.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("1 step") != std::string::npos);
  CHECK(check_model(conv_bn, {{2, 9, 9, 4}}) < float32_tolerance(36));

  auto dense_bn = single({12}, [](auto x) { return L::BatchNormalization({.center = false})(L::Dense(5)(x)); });
  CHECK(check_model(dense_bn, {{3, 12}}) < float32_tolerance(12));

  // BatchNormalization straight after the input cannot fold: a oneDNN batch normalization runs it.
  auto alone = single({5, 5, 3}, [](auto x) { return L::BatchNormalization({.scale = false})(x); });
  CHECK(check_model(alone, {{2, 5, 5, 3}}) < float32_tolerance(1));
}

TEST_CASE("depthwise and separable convolutions match the reference", "[numerics][depthwise]") {
  for (int dm : {1, 2}) {
    for (const char* padding : {"valid", "same"}) {
      INFO("depth_multiplier " << dm << " padding " << padding);
      auto dw = single({11, 10, 6}, [&](auto x) {
        return L::DepthwiseConv2D(3, {.strides = 2, .padding = padding, .depth_multiplier = dm, .activation = "relu6"})(x);
      });
      CHECK(check_model(dw, {{2, 11, 10, 6}}) < float32_tolerance(9));
      auto sep = single({9, 9, 4}, [&](auto x) {
        return L::SeparableConv2D(5, {3, 5}, {.padding = padding, .depth_multiplier = dm, .activation = "swish"})(x);
      });
      CHECK(check_model(sep, {{2, 9, 9, 4}}) < float32_tolerance(60));
    }
  }
}

TEST_CASE("activation layers match the reference", "[numerics][activations]") {
  const std::vector<std::function<strata::SymbolicTensor(strata::SymbolicTensor)>> layers = {
      [](auto x) { return L::ReLU()(x); },
      [](auto x) { return L::ReLU({.max_value = 6.0f})(x); },
      [](auto x) { return L::ReLU({.max_value = 0.5f, .negative_slope = 0.1f})(x); },
      [](auto x) { return L::ReLU({.negative_slope = 0.2f, .threshold = 0.3f})(x); },
      [](auto x) { return L::LeakyReLU()(x); },
      [](auto x) { return L::Softmax()(x); },
      [](auto x) { return L::Activation("hard_sigmoid")(x); },
      [](auto x) { return L::Activation("selu")(x); },
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    INFO("layer " << i);
    // Alone, and after a convolution where the compiler fuses it.
    CHECK(check_model(single({6, 6, 4}, layers[i]), {{2, 6, 6, 4}}) < float32_tolerance(1));
    CHECK(check_model(single({6, 6, 4}, [&](auto x) { return layers[i](L::Conv2D(5, 3)(x)); }), {{2, 6, 6, 4}}) <
          float32_tolerance(36));
  }
}

TEST_CASE("pooling, padding, cropping, upsampling and reshaping match the reference", "[numerics][reshaping]") {
  CHECK(check_model(single({7, 9, 3}, [](auto x) { return L::GlobalAveragePooling2D()(x); }), {{2, 7, 9, 3}}) <
        float32_tolerance(63));
  CHECK(check_model(single({7, 9, 3}, [](auto x) { return L::GlobalMaxPooling2D({.keepdims = true})(x); }),
                    {{2, 7, 9, 3}}) < float32_tolerance(1));
  auto padded_conv = single({8, 8, 3}, [](auto x) {
    return L::Conv2D(4, 7, {.strides = 2})(L::ZeroPadding2D({{3, 2}, {1, 3}})(x));
  });
  const std::string plan = padded_conv.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("1 step") != std::string::npos);  // the padding folded into the convolution
  CHECK(check_model(padded_conv, {{2, 8, 8, 3}}) < float32_tolerance(147));
  CHECK(check_model(single({6, 7, 2}, [](auto x) { return L::MaxPooling2D(3, {.strides = 2})(L::ZeroPadding2D(1)(x)); }),
                    {{2, 6, 7, 2}}) < float32_tolerance(1));
  // After a relu the padded zeros never win a window's max, so the padding folds into the pooling (ResNet50's
  // pool1_pad before pool1_pool): relu, max_pool.
  auto relu_padded_pool = single({6, 7, 2}, [](auto x) {
    return L::MaxPooling2D(3, {.strides = 2})(L::ZeroPadding2D({{1, 2}, {2, 1}})(L::Activation("relu")(x)));
  });
  const std::string pool_plan = relu_padded_pool.compile().plan_string(1);
  INFO(pool_plan);
  CHECK(pool_plan.find("2 steps") != std::string::npos);
  CHECK(check_model(relu_padded_pool, {{2, 6, 7, 2}}) < float32_tolerance(1));
  CHECK(check_model(single({9, 8, 3}, [](auto x) { return L::Cropping2D({{1, 2}, {3, 0}})(x); }), {{2, 9, 8, 3}}) <
        float32_tolerance(1));
  CHECK(check_model(single({3, 4, 2}, [](auto x) { return L::UpSampling2D({2, 3})(x); }), {{2, 3, 4, 2}}) <
        float32_tolerance(1));
  CHECK(check_model(single({4, 5, 3}, [](auto x) { return L::Dense(3)(L::Flatten()(x)); }), {{2, 4, 5, 3}}) <
        float32_tolerance(60));
  CHECK(check_model(single({4, 6}, [](auto x) { return L::Reshape({3, -1})(L::Dropout(0.5f)(x)); }), {{2, 4, 6}}) <
        float32_tolerance(1));
}

TEST_CASE("merge layers match the reference, with broadcasting", "[numerics][merge]") {
  auto in_a = strata::Input({4, 5, 3});
  auto in_b = strata::Input({1, 5, 3});
  auto in_c = strata::Input({4, 1, 1});
  std::vector<strata::SymbolicTensor> outs = {
      L::subtract({in_a, in_b}), L::subtract({in_b, in_a}), L::multiply({in_a, in_b, in_c}),
      L::average({in_a, in_b}),  L::maximum({in_a, in_c}),  L::minimum({in_b, in_c}),
      L::concatenate({in_a, in_a}, {.axis = 1}), L::concatenate({in_a, L::Conv2D(2, 1)(in_a)}),
  };
  strata::Model model({in_a, in_b, in_c}, outs);
  CHECK(check_model(model, {{2, 4, 5, 3}, {2, 1, 5, 3}, {2, 4, 1, 1}}) < float32_tolerance(3));
}

// Issue 13, item 5: infinities give Keras's values on both backends (relu(-inf) was NaN in the reference,
// from 0 * inf).
TEST_CASE("infinities give Keras's values on both backends", "[numerics][activations][infinity]") {
  const float inf = std::numeric_limits<float>::infinity();
  const strata::Tensor x({1, 4}, {-inf, -1.0f, 2.0f, inf});
  const std::vector<std::pair<std::string, std::vector<float>>> expected = {
      {"relu", {0.0f, 0.0f, 2.0f, inf}},
      {"relu6", {0.0f, 0.0f, 2.0f, 6.0f}},
      {"sigmoid", {0.0f, 0.26894142f, 0.88079708f, 1.0f}},
      {"tanh", {-1.0f, -0.76159416f, 0.96402758f, 1.0f}},
      {"hard_sigmoid", {0.0f, 0.33333334f, 0.8333333f, 1.0f}},
      {"elu", {-1.0f, -0.63212055f, 2.0f, inf}},
      {"softplus", {0.0f, 0.31326169f, 2.12692801f, inf}},
      {"linear", {-inf, -1.0f, 2.0f, inf}},
  };
  for (const auto& [name, want] : expected) {
    auto in = strata::Input({4});
    const strata::Model model(in, L::Activation(name)(in));
    for (const char* backend : {"onednn", "reference"}) {
      INFO(name << " on " << backend);
      const strata::Tensor got = model.compile({.backend = backend}).predict(x);
      for (int i = 0; i < 4; ++i) CHECK(got.data()[i] == Approx(want[i]).epsilon(1e-6));
    }
  }
  // LeakyReLU: -inf * slope stays -inf.
  auto in = strata::Input({4});
  const strata::Model leaky(in, L::LeakyReLU({.negative_slope = 0.1f})(in));
  for (const char* backend : {"onednn", "reference"}) {
    const strata::Tensor got = leaky.compile({.backend = backend}).predict(x);
    CHECK(got.data()[0] == -inf);
    CHECK(got.data()[3] == inf);
  }
}

namespace {

// Equal as Keras's outputs are compared: NaN where NaN is expected, the same value elsewhere.
void check_values(const strata::Tensor& got, const std::vector<float>& want) {
  REQUIRE(static_cast<size_t>(got.size()) == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i << ": got " << got.data()[i] << ", expected " << want[i]);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got.data()[i]));
    } else {
      CHECK(got.data()[i] == Approx(want[i]).epsilon(1e-6));
    }
  }
}

}  // namespace

// Issue 13, item 5: NaN as Keras gives it, on both backends. oneDNN 2.6's relu, clip, max pooling and
// binary max/min return the other operand for NaN, so passes that meet NaN or infinities run the reference
// kernels (docs/semantics.md); the values below follow Keras 3's definitions (tf.nn.relu, tf.maximum and
// jax.numpy propagate NaN) and what tfjs computes for the same layers.
TEST_CASE("NaN gives Keras's values on both backends", "[numerics][activations][nan]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const strata::Tensor x({1, 4}, {nan, -1.0f, 2.0f, 7.0f});
  const std::vector<std::pair<std::string, std::vector<float>>> activations = {
      {"relu", {nan, 0.0f, 2.0f, 7.0f}},
      {"relu6", {nan, 0.0f, 2.0f, 6.0f}},
      {"sigmoid", {nan, 0.26894142f, 0.88079708f, 0.99908895f}},
      {"hard_sigmoid", {nan, 0.33333334f, 0.8333333f, 1.0f}},
      {"tanh", {nan, -0.76159416f, 0.96402758f, 0.99999833f}},
      {"swish", {nan, -0.26894142f, 1.76159416f, 6.99362264f}},
      {"softplus", {nan, 0.31326169f, 2.12692801f, 7.00091147f}},
      {"softmax", {nan, nan, nan, nan}},
  };
  for (const char* backend : {"onednn", "reference"}) {
    for (const auto& [name, want] : activations) {
      INFO(name << " on " << backend);
      auto in = strata::Input({4});
      const strata::Model model(in, L::Activation(name)(in));
      check_values(model.compile({.backend = backend}).predict(x), want);
    }
    INFO(backend);
    auto in = strata::Input({4});
    // ReLU with a max_value and a slope: NaN in, NaN out; the other elements as before.
    const strata::Model relu(in, L::ReLU({.max_value = 5.0f, .negative_slope = 0.5f})(in));
    check_values(relu.compile({.backend = backend}).predict(x), {nan, -0.5f, 2.0f, 5.0f});

    // maximum and minimum propagate NaN from either side (tf.maximum, jax.numpy.maximum, tfjs's Math.max).
    auto a = strata::Input({4});
    auto b = strata::Input({4});
    const strata::Model merges({a, b}, {L::maximum({a, b}), L::minimum({b, a})});
    const strata::Tensor y({1, 4}, {0.0f, nan, 1.0f, -inf});
    const auto both = merges.compile({.backend = backend}).predict({x, y});
    check_values(both[0], {nan, nan, 2.0f, 7.0f});
    check_values(both[1], {nan, nan, 1.0f, -inf});

    // A NaN in a pooling window makes that window's maximum NaN, whichever position it has; a 3x3 'same'
    // convolution carries it to the 9 outputs whose window holds it (NaN * 0 is NaN), and relu keeps it.
    auto image = strata::Input({4, 4, 1});
    auto conv = L::Conv2D(1, 3, {.padding = "same", .use_bias = false})(image);
    const strata::Model net(image,
                            {L::MaxPooling2D(2)(image), L::ReLU()(conv), L::GlobalMaxPooling2D()(image)});
    std::vector<float> pixels(16);
    for (int i = 0; i < 16; ++i) pixels[i] = static_cast<float>(i);
    pixels[1 * 4 + 1] = nan;  // row 1, column 1
    std::vector<float> ones(9, 1.0f);
    ones[0] = 0.0f;
    net.layers()[1].set_weights({strata::Tensor({3, 3, 1, 1}, ones)});
    const auto outs =
        net.compile({.backend = backend}).predict(std::vector{strata::Tensor({1, 4, 4, 1}, pixels)});
    check_values(outs[0], {nan, 7.0f, 13.0f, 15.0f});
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) {
        INFO("conv output " << r << "," << c);
        CHECK(std::isnan(outs[1].data()[r * 4 + c]) == (r <= 2 && c <= 2));
      }
    }
    check_values(outs[2], {nan});
  }
}

TEST_CASE("infinities that make NaN inside the network give Keras's NaN", "[numerics][nan][infinity]") {
  // inf * 1 + (-inf) * 1 is NaN in the convolution; relu and max pooling must then keep it.
  const float inf = std::numeric_limits<float>::infinity();
  auto image = strata::Input({2, 2, 1});
  auto conv = L::Conv2D(1, 2, {.use_bias = false})(image);
  const strata::Model net(image, L::MaxPooling2D(1)(L::ReLU()(conv)));
  net.layers()[1].set_weights({strata::Tensor({2, 2, 1, 1}, {1.0f, 1.0f, 1.0f, 1.0f})});
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const strata::Tensor out =
        net.compile({.backend = backend}).predict(strata::Tensor({1, 2, 2, 1}, {inf, -inf, 1.0f, 2.0f}));
    CHECK(std::isnan(out.data()[0]));
    // Finite inputs afterwards take the fast plan again and give the plain sum.
    CHECK(net.compile({.backend = backend}).predict(strata::Tensor({1, 2, 2, 1}, {1, -2, 3, 4})).data()[0] ==
          6.0f);
  }
}

TEST_CASE("NaN weights give Keras's NaN, not relu's 0", "[numerics][nan][weights]") {
  // A diverged training run leaves NaN in a kernel; Keras's outputs are then NaN, and strata's too.
  auto in = strata::Input({3});
  const strata::Model model(in, L::Dense(2, {.activation = "relu"})(in));
  model.layers()[1].set_weights(
      {strata::Tensor({3, 2}, {1, 1, 1, std::numeric_limits<float>::quiet_NaN(), 1, 1}),
       strata::Tensor({2}, {0, 0})});
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    check_values(model.compile({.backend = backend}).predict(strata::Tensor({1, 3}, {-1, -1, -1})),
                 {0.0f, std::numeric_limits<float>::quiet_NaN()});
  }
}

TEST_CASE("weights that turn NaN after a first plan are seen by the next plan", "[numerics][nan][weights]") {
  // Whether a weight is finite is remembered per weight tensor: new weights are new tensors.
  auto in = strata::Input({3});
  const strata::Model model(in, L::Dense(2, {.activation = "relu"})(in));
  const strata::Tensor x({1, 3}, {-1, -1, -1});
  model.layers()[1].set_weights({strata::Tensor({3, 2}, {1, 1, 1, 1, 1, 1}), strata::Tensor({2}, {0, 0})});
  check_values(model.compile().predict(x), {0.0f, 0.0f});
  model.layers()[1].set_weights(
      {strata::Tensor({3, 2}, {1, 1, 1, std::numeric_limits<float>::quiet_NaN(), 1, 1}),
       strata::Tensor({2}, {0, 0})});
  check_values(model.compile().predict(x), {0.0f, std::numeric_limits<float>::quiet_NaN()});
  REQUIRE_THROWS_AS(model.compile({.non_finite = "error"}).predict(x), strata::ValueError);
  model.layers()[1].set_weights({strata::Tensor({3, 2}, {1, 1, 1, 1, 1, 1}), strata::Tensor({2}, {0, 0})});
  check_values(model.compile({.non_finite = "error"}).predict(x), {0.0f, 0.0f});
}

TEST_CASE("values of rank 5 up to oneDNN's 12 match the reference; rank 13 is refused by name",
          "[numerics][rank]") {
  // Batch normalization of rank 5 (tfjs, the outside oracle for the other layers of rank 5 and 6 in
  // test_tfjs_layers, has none there).
  CHECK(check_model(single({2, 3, 4, 5}, [](auto x) { return L::BatchNormalization()(L::Dense(6)(x)); }),
                    {{2, 2, 3, 4, 5}}) < float32_tolerance(5));
  // Rank 12, every axis but the channels of size 1 or 2.
  const std::vector<strata::Dim> rank12{2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 3};
  CHECK(check_model(single(rank12,
                           [](auto x) {
                             auto y = L::Dense(4, {.activation = "elu"})(x);
                             return L::Softmax()(L::add({y, L::Dense(4)(x)}));
                           }),
                    {{2, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 3}}) < float32_tolerance(3));
  // Rank 13 builds and runs on the reference backend; oneDNN's descriptors stop at 12.
  auto in = strata::Input({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2});
  strata::Model model(in, L::Reshape({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, {.name = "deep"})(in));
  const strata::Tensor x =
      strata::Tensor::random_uniform({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, 1, -1.0f, 1.0f);
  CHECK(model.compile({.backend = "reference"}).predict(x).values() == x.values());
  REQUIRE_THROWS_MATCHES(model.predict(x), strata::ShapeError,
                         MessageThat(StartsWith("[deep] the output has rank 13") &&
                                     Contains("ranks up to 12") && Contains("reference")));
}
