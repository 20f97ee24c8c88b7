// Nested models, Sequential, feature extraction, the trainable flag, and the summary's extra options.
#include "test_util.hpp"

#include "message_matcher.hpp"

using namespace strata_test;
using strata::None;

namespace {

strata::Model small_block(const std::string& name) {
  auto in = strata::Input({None, None, 3});
  auto x = L::Conv2D(4, 3, {.padding = "same", .activation = "relu"})(in);
  x = L::BatchNormalization()(x);
  return strata::Model(in, x, name);
}

}  // namespace

TEST_CASE("a model called on a tensor acts as one layer and is inlined by the compiler", "[nested]") {
  strata::clear_session();
  strata::Model inner = small_block("inner");
  auto in = strata::Input({16, 16, 3});
  auto y = inner(in);
  CHECK(y.shape() == strata::Shape{None, 16, 16, 4});  // the inner None dims become concrete
  auto z = L::GlobalAveragePooling2D()(y);
  strata::Model outer(in, L::Dense(2)(z), "outer");
  REQUIRE(outer.layers().size() == 4);
  CHECK(outer.layers()[1].name() == "inner");
  CHECK(outer.layers()[1].class_name() == "Functional");
  CHECK(outer.count_params() == inner.count_params() + 4 * 2 + 2);
  // BatchNormalization's moving statistics are non-trainable, also seen through the nested model.
  CHECK(outer.count_trainable_params() == outer.count_params() - 8);

  const std::string summary = outer.summary_string();
  INFO(summary);
  CHECK(summary.find("inner (Functional)") != std::string::npos);
  CHECK(summary.find("conv2d") == std::string::npos);
  const std::string expanded = outer.summary_string({.expand_nested = true});
  INFO(expanded);
  CHECK(expanded.find("\u2514 conv2d (Conv2D)") != std::string::npos);
  CHECK(expanded.find("\u2514 input_layer (InputLayer)") != std::string::npos);

  const auto x = strata::Tensor::random_uniform({2, 16, 16, 3}, 5, -1.0f, 1.0f);
  CHECK(onednn_vs_reference(outer, {x}) < float32_tolerance(27));
  // The compiler inlines the nested graph: conv + relu, batch norm (after the relu, so it cannot fold),
  // pool, dense.
  const std::string plan = outer.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("4 steps") != std::string::npos);
}

TEST_CASE("a nested model shares its weights with the original", "[nested]") {
  strata::Model inner = small_block("shared_inner");
  auto a = strata::Input({8, 8, 3});
  auto b = strata::Input({8, 8, 3});
  strata::Model twice({a, b}, {inner(a), inner(b)});
  std::vector<strata::Tensor> weights = inner.get_weights();
  for (auto& w : weights) w = strata::Tensor::random_uniform(w.dims(), 9, 0.5f, 1.5f);
  inner.set_weights(weights);
  const auto x = strata::Tensor::random_uniform({1, 8, 8, 3}, 2);
  const auto both = twice.predict({x, x});
  CHECK(both[0] == both[1]);
  CHECK(max_relative_error(both[0], inner.predict(x)) < 1e-6);
}

TEST_CASE("Sequential builds as layers are added, as Keras's", "[sequential]") {
  strata::clear_session();
  strata::Sequential model({L::InputLayer({28, 28, 1}), L::Conv2D(8, 3), L::MaxPooling2D(2)});
  model.add(L::Flatten());
  model.add(L::Dense(10, {.activation = "softmax"}));
  CHECK(model.name() == "sequential");
  CHECK(model.class_name() == "Sequential");
  REQUIRE(model.layers().size() == 4);  // no InputLayer
  CHECK(model.outputs().front().shape() == strata::Shape{None, 10});
  const std::string summary = model.summary_string();
  INFO(summary);
  CHECK(summary.find("InputLayer") == std::string::npos);
  CHECK(summary.find("Connected to") == std::string::npos);
  CHECK(summary.find("Total params: 13,610") != std::string::npos);

  // A layer that does not fit is refused and not added.
  REQUIRE_THROWS_MATCHES(model.add(L::Conv2D(4, 3)), strata::ShapeError, MessageThat(Catch::Contains("rank 4")));
  CHECK(model.layers().size() == 4);
  const auto y = model.predict(strata::Tensor::random_uniform({3, 28, 28, 1}, 1));
  CHECK(y.dims() == std::vector<int64_t>{3, 10});
}

TEST_CASE("Sequential without an input waits for build", "[sequential]") {
  strata::Sequential model;
  model.add(L::Dense(4));
  CHECK_THROWS_AS(model.summary_string(), strata::ValueError);
  model.build({6});
  CHECK(model.outputs().front().shape() == strata::Shape{None, 4});
  CHECK_THROWS_AS(model.build({6}), strata::ValueError);
  CHECK_THROWS_AS(model.add(L::InputLayer({3})), strata::ValueError);
}

TEST_CASE("Sequential without an input builds on its first call, as a layer in a functional model",
          "[sequential][nested]") {
  using Catch::Matchers::Contains;
  strata::Sequential head({L::Dense(8, {.activation = "relu"}), L::Dense(2)}, "head");
  REQUIRE_THROWS_MATCHES(head.summary_string(), strata::ValueError,
                         MessageThat(Contains("[Sequential \"head\"]") && Contains("no input shape yet")));
  REQUIRE_THROWS_MATCHES(head.predict(strata::Tensor::zeros({1, 4})), strata::ValueError,
                         MessageThat(Contains("[Sequential \"head\"]")));
  auto x = strata::Input({4});
  auto y = head(L::Dense(4)(x));  // builds head for (None, 4), then calls it as one layer
  CHECK(y.shape() == strata::Shape{None, 2});
  CHECK(head.count_params() == 4 * 8 + 8 + 8 * 2 + 2);
  const strata::Model model(x, y);
  CHECK(model.layers().back().class_name() == "Sequential");
  const strata::Tensor in = strata::Tensor::random_uniform({3, 4}, 2);
  CHECK(model.predict(in).dims() == std::vector<int64_t>{3, 2});
  // Built, it is an ordinary model: called again it shares its weights and checks the shape.
  CHECK(head(strata::Input({4})).shape() == strata::Shape{None, 2});
  REQUIRE_THROWS_AS(head(strata::Input({5})), strata::ShapeError);
  strata::Sequential two({L::Dense(2)});
  REQUIRE_THROWS_MATCHES(two({strata::Input({3}), strata::Input({3})}), strata::ValueError,
                         MessageThat(Contains("one input tensor")));
}

TEST_CASE("a feature extractor from an intermediate layer's output", "[nested]") {
  strata::clear_session();
  strata::Model base = seed_block_2("base");
  strata::Model features(base.inputs(), base.get_layer("max_pooling2d").output());
  CHECK(features.outputs().front().shape() == strata::Shape{None, 15, 15, 64});
  CHECK(features.layers().size() == 4);
}

TEST_CASE("the trainable flag moves weights to non-trainable, and the summary shows it", "[trainable]") {
  strata::clear_session();
  strata::Model block = seed_block_1("frozen");
  block.get_layer("conv2d_1").set_trainable(false);
  CHECK(block.count_trainable_params() == 21504 - 18496);
  const std::string summary = block.summary_string({.show_trainable = true});
  INFO(summary);
  CHECK(summary.find("Non-trainable params: 18,496 (72.25 KB)") != std::string::npos);
  CHECK(summary.find("Trainable") != std::string::npos);
}

TEST_CASE("the cost columns count multiply-accumulates and output bytes", "[summary]") {
  strata::Model block = seed_block_1("costs");
  const std::string summary = block.summary_string({.show_costs = true});
  INFO(summary);
  // conv2d: 30*30*32*3*3*3, conv2d_1: 30*30*64*3*3*32, conv2d_2: 30*30*64*32.
  const int64_t macs = 30 * 30 * 32 * 27 + 30 * 30 * 64 * 288 + 30 * 30 * 64 * 32;
  CHECK(summary.find("Multiply-accumulates per sample: 19,209,600") != std::string::npos);
  CHECK(macs == 19209600);
  CHECK(block.multiply_accumulates() == macs);

  // Each layer counts its own (the CLI's GFLOP/s read a list of class names before, which missed
  // SeparableConv2D): a depthwise 3x3 over 8 channels on 6x6, then a 1x1 from 8 to 4 channels, here a
  // SeparableConv2D inside a nested model.
  auto in = strata::Input({8, 8, 8});
  strata::Model inner(in, L::SeparableConv2D(4, 3)(in), "inner");
  auto outer_in = strata::Input({8, 8, 8});
  strata::Model outer(outer_in, inner(outer_in), "outer");
  CHECK(outer.multiply_accumulates() == 6 * 6 * 8 * 9 + 6 * 6 * 8 * 4);
  CHECK(outer.summary_string({.show_costs = true}).find("Multiply-accumulates per sample: 3,744") !=
        std::string::npos);
}
