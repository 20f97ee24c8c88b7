// Build-time errors (issue 2, item 5): each is the documented strata::Error subtype, names the layer, and
// says what was expected and what was received. Failures leave layers as they were.
#include "message_matcher.hpp"
#include "test_util.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using strata::None;
using strata::Shape;
using strata_test::MessageThat;
using strata_test::L::add;
using strata_test::L::AveragePooling2D;
using strata_test::L::Conv2D;
using strata_test::L::MaxPooling2D;

TEST_CASE("add of incompatible shapes: Keras's wording", "[error][add]") {
  strata::clear_session();
  // The seed's second block without the strided shortcut: 30x30 against a pooled 15x15.
  auto inputs = strata::Input({32, 32, 3});
  auto x = Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  auto pooled = MaxPooling2D(2, {.padding = "same"})(x);
  residual = Conv2D(64, 1)(residual);
  REQUIRE_THROWS_MATCHES(
      add({residual, pooled}), strata::ShapeError,
      MessageThat(
          StartsWith("[add (Add)]") &&
          Contains("Inputs have incompatible shapes. Received shapes (30, 30, 64) and (15, 15, 64)")));
  // Catchable as the base class too.
  REQUIRE_THROWS_AS(add({residual, pooled}), strata::Error);
}

TEST_CASE("an output size of zero or less is a ShapeError naming the layer", "[error][shape]") {
  auto in = strata::Input({4, 4, 3});
  // valid: floor((4 - 5)/1) + 1 = 0
  REQUIRE_THROWS_MATCHES(Conv2D(8, 5, {.name = "too_wide"})(in), strata::ShapeError,
                         MessageThat(StartsWith("[too_wide (Conv2D)]") && Contains("would be 0") &&
                                     Contains("at least 5") && Contains("received 4")));
  // floor((4 - 5)/2) + 1 = 0 in Keras; C++'s truncating division would say 1
  REQUIRE_THROWS_MATCHES(Conv2D(8, 5, {.strides = 2, .name = "trap"})(in), strata::ShapeError,
                         MessageThat(StartsWith("[trap (Conv2D)]") && Contains("would be 0")));
  // dilation: effective kernel 2*(3-1)+1 = 5 > 4
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.dilation_rate = 2, .name = "dilated"})(in), strata::ShapeError,
      MessageThat(StartsWith("[dilated (Conv2D)]") && Contains("at least 5") && Contains("dilation 2")));
  // only the width is too small: kernel {1, 7} on 4x4 -> width floor((4 - 7)/1) + 1 = -2
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, {1, 7}, {.name = "flat"})(in), strata::ShapeError,
      MessageThat(StartsWith("[flat (Conv2D)]") && Contains("Output width") && Contains("at least 7")));
  // a chain that shrinks to nothing
  auto in8 = strata::Input({8, 8, 1});
  auto y = Conv2D(1, 3)(in8);                                                           // 6
  y = Conv2D(1, 3)(y);                                                                  // 4
  y = MaxPooling2D(2)(y);                                                               // 2
  REQUIRE_THROWS_AS(Conv2D(1, 3)(y), strata::ShapeError);                               // 0
  REQUIRE_THROWS_AS(AveragePooling2D(3, {.name = "avg_pool"})(y), strata::ShapeError);  // 0
}

TEST_CASE("filters, kernel size, strides, dilation of zero or less are ValueErrors", "[error][value]") {
  REQUIRE_THROWS_MATCHES(
      Conv2D(0, 3, {.name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("filters") && Contains("received 0")));
  REQUIRE_THROWS_MATCHES(Conv2D(-4, 3, {.name = "c"}), strata::ValueError,
                         MessageThat(Contains("filters") && Contains("received -4")));
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 0, {.name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("kernel_size") && Contains("(0, 0)")));
  REQUIRE_THROWS_MATCHES(Conv2D(8, {3, -1}, {.name = "c"}), strata::ValueError,
                         MessageThat(Contains("kernel_size") && Contains("(3, -1)")));
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.strides = 0, .name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("strides") && Contains("(0, 0)")));
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.strides = {1, -2}, .name = "c"}), strata::ValueError,
                         MessageThat(Contains("strides") && Contains("(1, -2)")));
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.dilation_rate = 0, .name = "c"}), strata::ValueError,
                         MessageThat(Contains("dilation_rate") && Contains("(0, 0)")));
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.groups = 0, .name = "c"}), strata::ValueError,
                         MessageThat(Contains("groups") && Contains("received 0")));
  // A default-constructed Size2 means "not given", which a kernel size cannot be.
  REQUIRE_THROWS_MATCHES(Conv2D(8, strata::Size2(), {.name = "c"}), strata::ValueError,
                         MessageThat(Contains("kernel_size") && Contains("None")));
}

TEST_CASE("strides > 1 together with dilation > 1 is a ValueError", "[error][value]") {
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.strides = 2, .dilation_rate = 2, .name = "c"}), strata::ValueError,
                         MessageThat(StartsWith("[c (Conv2D)]") && Contains("strides > 1") &&
                                     Contains("dilation_rate > 1") && Contains("(2, 2)")));
  // Keras refuses it when any axis has each, even different axes.
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.strides = {2, 1}, .dilation_rate = {1, 2}, .name = "c"}),
                         strata::ValueError, MessageThat(Contains("(2, 1)") && Contains("(1, 2)")));
  // Either alone is fine.
  CHECK_NOTHROW(Conv2D(8, 3, {.strides = 2}));
  CHECK_NOTHROW(Conv2D(8, 3, {.dilation_rate = 2}));
}

TEST_CASE("groups must divide the filters and the input channels", "[error][groups]") {
  REQUIRE_THROWS_MATCHES(
      Conv2D(10, 3, {.groups = 4, .name = "g"}), strata::ValueError,
      MessageThat(StartsWith("[g (Conv2D)]") && Contains("filters 10") && Contains("groups 4")));
  Conv2D grouped(8, 3, {.groups = 4, .name = "g"});
  auto in6 = strata::Input({8, 8, 6});
  REQUIRE_THROWS_MATCHES(grouped(in6), strata::ShapeError,
                         MessageThat(StartsWith("[g (Conv2D)]") && Contains("divisible by groups (4)") &&
                                     Contains("(None, 8, 8, 6)")));
  auto in8 = strata::Input({8, 8, 8});
  CHECK(grouped(in8).shape() == Shape{None, 6, 6, 8});
}

TEST_CASE("an unknown padding or activation lists the valid ones", "[error][value]") {
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.padding = "SAME", .name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("'SAME'") && Contains("valid, same")));
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.padding = "causal", .name = "c"}), strata::ValueError,
                         MessageThat(Contains("'causal'") && Contains("valid, same")));
  REQUIRE_THROWS_MATCHES(
      AveragePooling2D(2, {.padding = "full", .name = "p"}), strata::ValueError,
      MessageThat(StartsWith("[p (AveragePooling2D)]") && Contains("'full'") && Contains("valid, same")));
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.activation = "rleu", .name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("'rleu'") && Contains("linear") &&
                  Contains("relu") && Contains("sigmoid") && Contains("tanh") && Contains("softmax")));
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.kernel_initializer = "glorot", .name = "c"}), strata::ValueError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("'glorot'") && Contains("glorot_uniform")));
  // Keras's names are accepted.
  for (const char* activation : {"linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax",
                                 "elu", "selu", "gelu", "swish", "silu", "softplus", "leaky_relu"}) {
    INFO(activation);
    CHECK_NOTHROW(Conv2D(8, 3, {.activation = activation}));
  }
}

TEST_CASE("Conv2D input errors: rank, unknown channels, channels differing from the first call",
          "[error][shape]") {
  auto flat = strata::Input({10});
  REQUIRE_THROWS_MATCHES(
      Conv2D(8, 3, {.name = "c"})(flat), strata::ShapeError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("rank 4") && Contains("(None, 10)")));
  auto no_channels = strata::Input({8, 8, None});
  REQUIRE_THROWS_MATCHES(Conv2D(8, 3, {.name = "c"})(no_channels), strata::ShapeError,
                         MessageThat(Contains("channel") && Contains("(None, 8, 8, None)")));
  Conv2D conv(8, 3, {.name = "c"});
  conv(strata::Input({8, 8, 3}));
  REQUIRE_THROWS_MATCHES(
      conv(strata::Input({8, 8, 4})), strata::ShapeError,
      MessageThat(StartsWith("[c (Conv2D)]") && Contains("value 3") && Contains("(None, 8, 8, 4)")));
  REQUIRE_THROWS_MATCHES(conv(strata::SymbolicTensor()), strata::ValueError,
                         MessageThat(StartsWith("[c (Conv2D)]") && Contains("empty SymbolicTensor")));
}

TEST_CASE("a failed call leaves the layer unbuilt and uncalled", "[error][state]") {
  auto small = strata::Input({4, 4, 3});
  Conv2D conv(8, 5);
  REQUIRE_THROWS_AS(conv(small), strata::ShapeError);
  CHECK(conv.get_weights().empty());
  CHECK(conv.count_params() == 0);
  REQUIRE_THROWS_AS(conv.output(), strata::GraphError);
  REQUIRE_THROWS_AS(conv.input(), strata::GraphError);

  // Groups not dividing the channels: also nothing built.
  Conv2D grouped(4, 1, {.groups = 2});
  REQUIRE_THROWS_AS(grouped(strata::Input({8, 8, 3})), strata::ShapeError);
  CHECK(grouped.get_weights().empty());

  // The layer still works afterwards and is built for the input of its first successful call.
  auto big = strata::Input({9, 9, 5});
  auto y = conv(big);
  CHECK(y.shape() == Shape{None, 5, 5, 8});
  REQUIRE(conv.get_weights().size() == 2);
  CHECK(conv.get_weights()[0].dims() == std::vector<int64_t>{5, 5, 5, 8});
  CHECK(conv.output() == y);
  CHECK(conv.input() == big);
}

TEST_CASE("a failed call of a built layer leaves its weights and calls unchanged", "[error][state]") {
  auto in = strata::Input({8, 8, 3});
  Conv2D conv(4, 3);
  auto first = conv(in);
  const std::vector<strata::Tensor> before = conv.get_weights();
  // Different channels, then too small an input: both refused.
  REQUIRE_THROWS_AS(conv(strata::Input({8, 8, 4})), strata::ShapeError);
  REQUIRE_THROWS_AS(conv(strata::Input({2, 2, 3})), strata::ShapeError);
  CHECK(conv.get_weights() == before);
  CHECK(conv.output() == first);
  // A good second call is call number 1: Keras's conv2d[1][0].
  auto second = conv(strata::Input({6, 6, 3}));
  CHECK(second.name() == conv.name() + "[1][0]");
  CHECK(conv.get_weights() == before);
}

TEST_CASE("Graph disconnected: an output needs an input the model was not given", "[error][graph]") {
  strata::clear_session();
  auto a = strata::Input({8, 8, 3}, "image_a");
  auto b = strata::Input({8, 8, 3}, "image_b");
  auto x = Conv2D(4, 1, {.name = "branch_a"})(a);
  auto y = Conv2D(4, 1, {.name = "branch_b"})(b);
  auto sum = add({x, y}, {.name = "sum"});
  REQUIRE_THROWS_MATCHES(strata::Model(a, sum, "half"), strata::GraphError,
                         MessageThat(Contains("[Model \"half\"]") && Contains("Graph disconnected") &&
                                     Contains("image_b") && Contains("branch_b")));
  // With both inputs the same graph is fine.
  CHECK_NOTHROW(strata::Model({a, b}, sum, "whole"));
  // An output that is another Input's tensor.
  REQUIRE_THROWS_MATCHES(strata::Model(a, b, "input_only"), strata::GraphError,
                         MessageThat(Contains("Graph disconnected")));
}

TEST_CASE("two layers with one name are refused", "[error][graph]") {
  auto in = strata::Input({8, 8, 3});
  auto x = Conv2D(4, 3, {.name = "twin"})(in);
  x = Conv2D(4, 3, {.name = "twin"})(x);
  REQUIRE_THROWS_MATCHES(strata::Model(in, x, "twins"), strata::GraphError,
                         MessageThat(Contains("[Model \"twins\"]") && Contains("\"twin\" is used 2 times") &&
                                     Contains("unique")));
  // Across classes too.
  auto p = MaxPooling2D(2, {.name = "shared_name"})(in);
  auto q = Conv2D(3, 1, {.name = "shared_name"})(p);
  REQUIRE_THROWS_AS(strata::Model(in, q), strata::GraphError);
  // Inputs count as layers.
  auto named = strata::Input({8, 8, 3}, "collide");
  auto r = Conv2D(3, 1, {.name = "collide"})(named);
  REQUIRE_THROWS_MATCHES(strata::Model(named, r), strata::GraphError, MessageThat(Contains("\"collide\"")));
}

TEST_CASE("a Model needs inputs and outputs", "[error][graph]") {
  auto in = strata::Input({8, 8, 3});
  auto x = Conv2D(4, 3)(in);
  REQUIRE_THROWS_MATCHES(strata::Model(in, std::vector<strata::SymbolicTensor>{}, "empty"),
                         strata::GraphError,
                         MessageThat(StartsWith("[Model \"empty\"]") && Contains("at least one output")));
  REQUIRE_THROWS_MATCHES(strata::Model(std::vector<strata::SymbolicTensor>{}, x, "no_inputs"),
                         strata::GraphError,
                         MessageThat(StartsWith("[Model \"no_inputs\"]") && Contains("at least one input")));
  // An input must come from strata::Input.
  REQUIRE_THROWS_MATCHES(strata::Model(x, x, "bad_input"), strata::GraphError,
                         MessageThat(Contains("strata::Input")));
  REQUIRE_THROWS_AS(strata::Model(in, strata::SymbolicTensor(), "hole"), strata::ValueError);
}

// Issue 13, item 5: shape arithmetic never overflows into a plausible shape, and memory that cannot be had is
// a ResourceError naming the layer and the bytes, with the layer left unbuilt.
TEST_CASE("shapes too large for int64 arithmetic are refused, never wrapped", "[error][shape][overflow]") {
  using strata_test::L::Flatten;
  using strata_test::L::ZeroPadding2D;
  auto in = strata::Input({4, 4, 3});
  // 2 * 2^30 overflowed an int into a negative size; 2 * INT_MAX wrapped to (None, 2, 2, 3).
  REQUIRE_THROWS_MATCHES(ZeroPadding2D({1 << 30, 1 << 30}, {.name = "huge_pad"})(in), strata::ShapeError,
                         MessageThat(StartsWith("[huge_pad (ZeroPadding2D)]") &&
                                     Contains("received (None, 2147483652, 2147483652, 3)")));
  REQUIRE_THROWS_MATCHES(
      ZeroPadding2D(INT_MAX, {.name = "max_pad"})(in), strata::ShapeError,
      MessageThat(StartsWith("[max_pad (ZeroPadding2D)]") && Contains("at most 2^40 elements")));
  // 2^32 * 2^32 * 3 elements per sample: Flatten computed (None, 0), and a Dense then a (0, 10) kernel.
  REQUIRE_THROWS_MATCHES(strata::Input({int64_t{1} << 32, int64_t{1} << 32, 3}), strata::ShapeError,
                         MessageThat(StartsWith("[Input]") && Contains("(None, 4294967296, 4294967296, 3)")));
  auto wide = strata::Input({int64_t{1} << 20, int64_t{1} << 20});
  REQUIRE_THROWS_MATCHES(strata_test::L::UpSampling2D({1 << 20, 1}, {.name = "up"})(wide), strata::ShapeError,
                         MessageThat(StartsWith("[up (UpSampling2D)]")));
  CHECK(Flatten()(strata::Input({1 << 20, 1 << 19, 2})).shape() == Shape{None, int64_t{1} << 40});
}

TEST_CASE("weights that cannot be allocated are a ResourceError naming the layer and the bytes",
          "[error][resource]") {
  using strata_test::L::Dense;
#ifndef STRATA_SANITIZED
  // 2^20 x 2^20 floats: 4 TiB, more than any machine here gives. (Not under AddressSanitizer: its operator
  // new cannot throw std::bad_alloc, it reports the failed allocation and ends the process.)
  auto in = strata::Input({1 << 20});
  Dense dense(1 << 20, {.name = "too_big"});
  REQUIRE_THROWS_MATCHES(dense(in), strata::ResourceError,
                         MessageThat(StartsWith("[too_big (Dense)]") && Contains("4398046511104 bytes") &&
                                     Contains("(1048576, 1048576)")));
  CHECK(dense.get_weights().empty());  // nothing half-built: the layer can still be called on a small input
  CHECK(dense(strata::Input({4})).shape() == Shape{None, 1 << 20});
#endif
  // More than 2^40 elements is refused before allocating.
  auto in2 = strata::Input({1 << 21});
  REQUIRE_THROWS_MATCHES(
      Dense(1 << 20, {.name = "way_too_big"})(in2), strata::ResourceError,
      MessageThat(StartsWith("[way_too_big (Dense)]") && Contains("more than 2^40 elements")));
}

TEST_CASE("names with control characters are refused, shown escaped", "[error][names]") {
  REQUIRE_THROWS_MATCHES(strata_test::L::Dense(2, {.name = "a\nb"}), strata::ValueError,
                         MessageThat(StartsWith("[Dense]") && Contains("\"a\\x0ab\"")));
  auto in = strata::Input({4});
  REQUIRE_THROWS_MATCHES(strata::Model(in, in, "model\t1"), strata::ValueError,
                         MessageThat(Contains("without control characters") && Contains("\"model\\x091\"")));
  REQUIRE_THROWS_MATCHES(strata::Input({4}, "input\r"), strata::ValueError,
                         MessageThat(Contains("without control characters") && Contains("\"input\\x0d\"")));
}
