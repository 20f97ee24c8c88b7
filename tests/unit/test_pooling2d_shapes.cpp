// MaxPooling2D and AveragePooling2D shape rules, by Keras's formulas worked out by hand in each case:
//   valid: floor((in - k) / s) + 1     same: ceil(in / s)     strides default to the pool size.
#include "graph/node.hpp"
#include "message_matcher.hpp"
#include "test_util.hpp"

using Catch::Matchers::Contains;
using strata::None;
using strata::Shape;
using strata_test::MessageThat;
using strata_test::L::AveragePooling2D;
using strata_test::L::MaxPooling2D;

namespace {

// An image padding as the IR holds it, from Keras's top, bottom, left, right.
strata::ir::SpatialPadding Pad(int top, int bottom, int left, int right) {
  return {{top, left}, {bottom, right}};
}

}  // namespace

TEST_CASE("pooling strides default to the pool size", "[pooling][shape]") {
  auto in = strata::Input({30, 30, 64});
  CHECK(MaxPooling2D(2)(in).shape() == Shape{None, 15, 15, 64});
  CHECK(AveragePooling2D(2)(in).shape() == Shape{None, 15, 15, 64});
  // Keras's default pool_size is 2
  CHECK(MaxPooling2D()(in).shape() == Shape{None, 15, 15, 64});
  CHECK(AveragePooling2D()(in).shape() == Shape{None, 15, 15, 64});
  // pool 3 stride 3: floor((30 - 3)/3) + 1 = 10
  CHECK(MaxPooling2D(3)(in).shape() == Shape{None, 10, 10, 64});
  // pool {2, 3} strides {2, 3} on 12x12: 6 x 4
  auto in12 = strata::Input({12, 12, 5});
  CHECK(MaxPooling2D({2, 3})(in12).shape() == Shape{None, 6, 4, 5});
  CHECK(AveragePooling2D({2, 3})(in12).shape() == Shape{None, 6, 4, 5});
}

TEST_CASE("pooling valid padding", "[pooling][shape]") {
  auto in31 = strata::Input({31, 31, 8});
  // pool 2 stride 2: floor(29/2) + 1 = 15
  CHECK(MaxPooling2D(2)(in31).shape() == Shape{None, 15, 15, 8});
  // pool 3 stride 2: floor(28/2) + 1 = 15
  CHECK(MaxPooling2D(3, {.strides = 2})(in31).shape() == Shape{None, 15, 15, 8});
  // pool 3 stride 1: 29
  CHECK(AveragePooling2D(3, {.strides = 1})(in31).shape() == Shape{None, 29, 29, 8});
  // pool 2 stride 3: floor(29/3) + 1 = 10
  CHECK(AveragePooling2D(2, {.strides = 3})(in31).shape() == Shape{None, 10, 10, 8});
  // pool as large as the input: 1
  CHECK(MaxPooling2D(31)(in31).shape() == Shape{None, 1, 1, 8});
  auto y = MaxPooling2D(3, {.strides = 2})(in31);
  CHECK(y.node()->padding == Pad(0, 0, 0, 0));
}

TEST_CASE("pooling same padding", "[pooling][shape]") {
  // the seed: 30x30 pooled 2 same -> ceil(30/2) = 15, no padding (total 14*2 + 2 - 30 = 0)
  auto in30 = strata::Input({30, 30, 64});
  auto seed = MaxPooling2D(2, {.padding = "same"})(in30);
  CHECK(seed.shape() == Shape{None, 15, 15, 64});
  CHECK(seed.node()->padding == Pad(0, 0, 0, 0));
  // the notebook's second application: 15 -> ceil(15/2) = 8; total 7*2 + 2 - 15 = 1 -> 0 before, 1 after
  auto again = MaxPooling2D(2, {.padding = "same"})(seed);
  CHECK(again.shape() == Shape{None, 8, 8, 64});
  CHECK(again.node()->padding == Pad(0, 1, 0, 1));
  // pool 3 stride 2 on 31: ceil(31/2) = 16; total 15*2 + 3 - 31 = 2 -> 1, 1
  auto in31 = strata::Input({31, 31, 8});
  auto p = AveragePooling2D(3, {.strides = 2, .padding = "same"})(in31);
  CHECK(p.shape() == Shape{None, 16, 16, 8});
  CHECK(p.node()->padding == Pad(1, 1, 1, 1));
  // pool 3 stride 1 same keeps 31; total 30 + 3 - 31 = 2 -> 1, 1
  CHECK(MaxPooling2D(3, {.strides = 1, .padding = "same"})(in31).shape() == Shape{None, 31, 31, 8});
  // a pool larger than the input is fine with same: ceil(2/3) = 1; total 0 + 5 - 2 = 3 -> 1, 2
  auto small = strata::Input({2, 2, 1});
  auto big = MaxPooling2D(5, {.strides = 3, .padding = "same"})(small);
  CHECK(big.shape() == Shape{None, 1, 1, 1});
  CHECK(big.node()->padding == Pad(1, 2, 1, 2));
}

TEST_CASE("pooling asymmetric pools and strides, odd sizes", "[pooling][shape]") {
  auto in = strata::Input({17, 10, 3});
  // pool {3, 2} strides {2, 3} valid: h floor(14/2)+1 = 8, w floor(8/3)+1 = 3
  CHECK(MaxPooling2D({3, 2}, {.strides = {2, 3}})(in).shape() == Shape{None, 8, 3, 3});
  // same: h ceil(17/2) = 9, w ceil(10/3) = 4; h total 8*2 + 3 - 17 = 2 -> 1, 1; w total 3*3 + 2 - 10 = 1 ->
  // 0, 1
  auto same = AveragePooling2D({3, 2}, {.strides = {2, 3}, .padding = "same"})(in);
  CHECK(same.shape() == Shape{None, 9, 4, 3});
  CHECK(same.node()->padding == Pad(1, 1, 0, 1));
}

TEST_CASE("pooling keeps unknown dimensions unknown", "[pooling][shape]") {
  auto any = strata::Input({None, None, 16});
  auto y = MaxPooling2D(2)(any);
  CHECK(y.shape() == Shape{None, None, None, 16});
  CHECK_FALSE(y.node()->padding.has_value());
  auto half = strata::Input({None, 9, 16});
  CHECK(AveragePooling2D(2, {.padding = "same"})(half).shape() == Shape{None, None, 5, 16});
  CHECK(MaxPooling2D(2)(half).shape() == Shape{None, None, 4, 16});
  // unknown channels pass through pooling
  auto no_channels = strata::Input({8, 8, None});
  CHECK(MaxPooling2D(2)(no_channels).shape() == Shape{None, 4, 4, None});
}

TEST_CASE("pooling layers have no weights", "[pooling][weights]") {
  auto in = strata::Input({8, 8, 3});
  MaxPooling2D max_pool(2);
  AveragePooling2D avg_pool(2);
  max_pool(in);
  avg_pool(in);
  CHECK(max_pool.get_weights().empty());
  CHECK(avg_pool.get_weights().empty());
  CHECK(max_pool.count_params() == 0);
  CHECK(max_pool.class_name() == "MaxPooling2D");
  CHECK(avg_pool.class_name() == "AveragePooling2D");
}

TEST_CASE("pooling errors name the layer", "[pooling][error]") {
  REQUIRE_THROWS_MATCHES(MaxPooling2D(0, {.name = "pool"}), strata::ValueError,
                         MessageThat(Contains("pool") && Contains("pool_size") && Contains("(0, 0)")));
  REQUIRE_THROWS_MATCHES(AveragePooling2D({2, -1}, {.name = "avg"}), strata::ValueError,
                         MessageThat(Contains("avg") && Contains("pool_size") && Contains("(2, -1)")));
  REQUIRE_THROWS_MATCHES(MaxPooling2D(2, {.strides = 0, .name = "pool"}), strata::ValueError,
                         MessageThat(Contains("pool") && Contains("strides") && Contains("(0, 0)")));
  REQUIRE_THROWS_MATCHES(
      MaxPooling2D(2, {.padding = "full", .name = "pool"}), strata::ValueError,
      MessageThat(Contains("pool") && Contains("'full'") && Contains("valid") && Contains("same")));
  // valid pooling of a window larger than the input: floor((3 - 4)/1) + 1 = 0
  auto in3 = strata::Input({3, 3, 1});
  REQUIRE_THROWS_MATCHES(
      MaxPooling2D(4, {.strides = 1, .name = "too_big"})(in3), strata::ShapeError,
      MessageThat(Contains("too_big") && Contains("would be 0") && Contains("received 3")));
  // truncation trap: (3 - 4) / 2 truncates to 0 in C++; Keras's floor gives -1 + 1 = 0
  REQUIRE_THROWS_AS(AveragePooling2D(4, {.strides = 2})(in3), strata::ShapeError);
  // rank must be 4
  auto flat = strata::Input({10});
  REQUIRE_THROWS_MATCHES(MaxPooling2D(2, {.name = "pool_flat"})(flat), strata::ShapeError,
                         MessageThat(Contains("pool_flat") && Contains("rank 4") && Contains("(None, 10)")));
}
