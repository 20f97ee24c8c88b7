// Bad arguments and bad input shapes for every issue-4 layer: the error type, a message that names the
// layer and says what was expected and received, and a layer left unbuilt by a failed call.
#include "test_util.hpp"

#include "message_matcher.hpp"

using namespace strata_test;
using Catch::Contains;
using Catch::StartsWith;
using strata::None;

TEST_CASE("Dense errors", "[errors][dense]") {
  REQUIRE_THROWS_MATCHES(L::Dense(0, {.name = "d"}), strata::ValueError,
                         MessageThat(StartsWith("[d (Dense)]") && Contains("positive units, received 0")));
  REQUIRE_THROWS_MATCHES(L::Dense(3, {.activation = "nope", .name = "d"}), strata::ValueError,
                         MessageThat(Contains("Unknown activation 'nope'") && Contains("relu")));
  L::Dense dense(4, {.name = "d2"});
  REQUIRE_THROWS_MATCHES(dense(strata::Input({None})), strata::ShapeError,
                         MessageThat(StartsWith("[d2 (Dense)]") && Contains("must be known")));
  CHECK(dense.get_weights().empty());  // the failed call built nothing
  dense(strata::Input({6}));
  REQUIRE_THROWS_MATCHES(dense(strata::Input({7})), strata::ShapeError,
                         MessageThat(Contains("Expected axis -1 of the input to have value 6") && Contains("(None, 7)")));
}

TEST_CASE("DepthwiseConv2D and SeparableConv2D errors", "[errors][depthwise]") {
  REQUIRE_THROWS_MATCHES(L::DepthwiseConv2D(3, {.depth_multiplier = 0, .name = "dw"}), strata::ValueError,
                         MessageThat(StartsWith("[dw (DepthwiseConv2D)]") && Contains("depth_multiplier, received 0")));
  REQUIRE_THROWS_MATCHES(L::DepthwiseConv2D(3, {.strides = 2, .dilation_rate = 2, .name = "dw"}), strata::ValueError,
                         MessageThat(Contains("strides > 1 is not compatible with dilation_rate > 1")));
  REQUIRE_THROWS_MATCHES(L::DepthwiseConv2D(5, {.name = "dw2"})(strata::Input({4, 4, 3})), strata::ShapeError,
                         MessageThat(StartsWith("[dw2 (DepthwiseConv2D)]") && Contains("at least 5")));
  REQUIRE_THROWS_MATCHES(L::SeparableConv2D(0, 3, {.name = "sep"}), strata::ValueError,
                         MessageThat(StartsWith("[sep (SeparableConv2D)]") && Contains("filters, received 0")));
  REQUIRE_THROWS_MATCHES(L::SeparableConv2D(4, 3, {.padding = "full", .name = "sep"}), strata::ValueError,
                         MessageThat(Contains("Unknown padding 'full'") && Contains("valid, same")));
  REQUIRE_THROWS_MATCHES(L::SeparableConv2D(4, 3, {.name = "sep2"})(strata::Input({8, 3})), strata::ShapeError,
                         MessageThat(Contains("rank 4") && Contains("(None, 8, 3)")));
}

TEST_CASE("BatchNormalization errors", "[errors][batchnorm]") {
  REQUIRE_THROWS_MATCHES(L::BatchNormalization({.epsilon = -1.0f, .name = "bn"}), strata::ValueError,
                         MessageThat(StartsWith("[bn (BatchNormalization)]") && Contains("non-negative epsilon")));
  REQUIRE_THROWS_MATCHES(L::BatchNormalization({.axis = 1, .name = "bn2"})(strata::Input({4, 4, 3})), strata::ValueError,
                         MessageThat(Contains("Only the last axis") && Contains("axis 1")));
  REQUIRE_THROWS_MATCHES(L::BatchNormalization({.name = "bn3"})(strata::Input({4, 4, None})), strata::ShapeError,
                         MessageThat(Contains("must be known")));
}

TEST_CASE("activation layer errors", "[errors][activations]") {
  REQUIRE_THROWS_MATCHES(L::Activation("reluu", {.name = "a"}), strata::ValueError,
                         MessageThat(StartsWith("[a (Activation)] Unknown activation 'reluu'") && Contains("swish")));
  REQUIRE_THROWS_MATCHES(L::ReLU({.max_value = -1.0f, .name = "r"}), strata::ValueError,
                         MessageThat(StartsWith("[r (ReLU)]") && Contains("max_value") && Contains("-1")));
  REQUIRE_THROWS_MATCHES(L::ReLU({.threshold = -0.5f, .name = "r"}), strata::ValueError,
                         MessageThat(Contains("threshold")));
  REQUIRE_THROWS_MATCHES(L::LeakyReLU({.negative_slope = -0.1f, .name = "lr"}), strata::ValueError,
                         MessageThat(StartsWith("[lr (LeakyReLU)]") && Contains("non-negative negative_slope")));
  REQUIRE_THROWS_MATCHES(L::Softmax({.axis = 0, .name = "s"})(strata::Input({4, 3})), strata::ValueError,
                         MessageThat(StartsWith("[s (Softmax)]") && Contains("axis 0 is the batch axis")));
  REQUIRE_THROWS_MATCHES(L::Softmax({.axis = -4, .name = "s2"})(strata::Input({4, 3})), strata::ValueError,
                         MessageThat(StartsWith("[s2 (Softmax)]") && Contains("axis -4 is out of bounds")));
}

TEST_CASE("reshaping layer errors", "[errors][reshaping]") {
  REQUIRE_THROWS_MATCHES(L::ZeroPadding2D({{-1, 0}, {0, 0}}, {.name = "zp"}), strata::ValueError,
                         MessageThat(StartsWith("[zp (ZeroPadding2D)]") && Contains("((-1, 0), (0, 0))")));
  REQUIRE_THROWS_MATCHES(L::Cropping2D({2, 2}, {.name = "cr"})(strata::Input({4, 9, 3})), strata::ShapeError,
                         MessageThat(StartsWith("[cr (Cropping2D)]") && Contains("leaves nothing") &&
                                     Contains("(None, 4, 9, 3)")));
  REQUIRE_THROWS_MATCHES(L::UpSampling2D(2, {.interpolation = "bicubic", .name = "up"}), strata::ValueError,
                         MessageThat(Contains("Unsupported interpolation 'bicubic'") && Contains("nearest")));
  REQUIRE_THROWS_MATCHES(L::UpSampling2D(0, {.name = "up"}), strata::ValueError, MessageThat(Contains("positive size")));
  REQUIRE_THROWS_MATCHES(L::Flatten({.name = "f"})(strata::Input({None, 3})), strata::ShapeError,
                         MessageThat(StartsWith("[f (Flatten)]") && Contains("(None, None, 3)")));
  REQUIRE_THROWS_MATCHES(L::Reshape({-1, -1}, {.name = "rs"}), strata::ValueError,
                         MessageThat(StartsWith("[rs (Reshape)]") && Contains("at most one -1")));
  REQUIRE_THROWS_MATCHES(L::Reshape({5, 5}, {.name = "rs2"})(strata::Input({4, 6})), strata::ShapeError,
                         MessageThat(Contains("Cannot reshape an input of shape (None, 4, 6)") && Contains("(5, 5)")));
  REQUIRE_THROWS_MATCHES(L::Dropout(1.0f, {.name = "do"}), strata::ValueError,
                         MessageThat(StartsWith("[do (Dropout)]") && Contains("rate in [0, 1), received 1")));
  REQUIRE_THROWS_MATCHES(L::SpatialDropout2D(-0.1f, {.name = "sd"}), strata::ValueError,
                         MessageThat(StartsWith("[sd (SpatialDropout2D)]")));
  REQUIRE_THROWS_MATCHES(L::SpatialDropout2D(0.5f, {.name = "sd2"})(strata::Input({8})), strata::ShapeError,
                         MessageThat(Contains("rank 4")));
  REQUIRE_THROWS_MATCHES(L::GlobalMaxPooling2D({.name = "gmp"})(strata::Input({8, 3})), strata::ShapeError,
                         MessageThat(StartsWith("[gmp (GlobalMaxPooling2D)]") && Contains("rank 4")));
}

TEST_CASE("merge layer errors", "[errors][merge]") {
  auto a = strata::Input({4, 4, 3});
  auto b = strata::Input({5, 4, 3});
  for (const auto& [name, call] :
       std::vector<std::pair<std::string, std::function<void()>>>{
           {"Multiply", [&] { L::multiply({a, b}, {.name = "m"}); }},
           {"Average", [&] { L::average({a, b}, {.name = "m"}); }},
           {"Maximum", [&] { L::maximum({a, b}, {.name = "m"}); }},
           {"Minimum", [&] { L::minimum({a, b}, {.name = "m"}); }},
           {"Subtract", [&] { L::subtract({a, b}, {.name = "m"}); }},
       }) {
    INFO(name);
    REQUIRE_THROWS_MATCHES(call(), strata::ShapeError,
                           MessageThat(StartsWith("[m (" + name + ")]") &&
                                       Contains("Inputs have incompatible shapes. Received shapes (4, 4, 3) and (5, 4, 3)")));
  }
  REQUIRE_THROWS_MATCHES(L::subtract({a, a, a}, {.name = "s"}), strata::ValueError,
                         MessageThat(Contains("exactly 2 inputs, received 3")));
  REQUIRE_THROWS_MATCHES(L::multiply({a}, {.name = "m1"}), strata::ValueError,
                         MessageThat(Contains("at least 2 inputs, received 1")));
  REQUIRE_THROWS_MATCHES(L::concatenate({a, b}, {.name = "c"}), strata::ShapeError,
                         MessageThat(StartsWith("[c (Concatenate)]") &&
                                     Contains("matching shapes except for the concatenation axis") &&
                                     Contains("(None, 4, 4, 3), (None, 5, 4, 3)")));
  REQUIRE_THROWS_MATCHES(L::concatenate({a, a}, {.axis = 0, .name = "c0"}), strata::ShapeError,
                         MessageThat(Contains("Invalid axis 0") && Contains("batch axis")));
}

TEST_CASE("Sequential and InputLayer errors", "[errors][sequential]") {
  REQUIRE_THROWS_MATCHES(L::InputLayer({0, 3}), strata::ValueError, MessageThat(Contains("positive dimensions")));
  strata::Sequential model({L::InputLayer({4})}, "seq_errors");
  auto dense = L::Dense(2);
  model.add(dense);
  REQUIRE_THROWS_MATCHES(model.add(dense), strata::ValueError, MessageThat(Contains("already in this model")));
  REQUIRE_THROWS_MATCHES(model.add(L::InputLayer({4})), strata::ValueError,
                         MessageThat(Contains("An InputLayer must be the first layer")));
  CHECK(model.layers().size() == 1);
  CHECK(model.predict(strata::Tensor::zeros({1, 4})).dims() == std::vector<int64_t>{1, 2});
}
