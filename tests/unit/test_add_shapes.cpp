// Add's shape rule: Keras's Merge._compute_elemwise_op_output_shape, comparing shapes without the batch,
// aligned at the last axis; a size-1 dimension takes the other size, an unknown one gives unknown.
#include "message_matcher.hpp"
#include "test_util.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using strata::None;
using strata::Shape;
using strata_test::MessageThat;
using strata_test::L::add;
using strata_test::L::Add;

TEST_CASE("add of equal shapes", "[add][shape]") {
  auto a = strata::Input({30, 30, 64});
  auto b = strata::Input({30, 30, 64});
  CHECK(add({a, b}).shape() == Shape{None, 30, 30, 64});
  CHECK(Add()({a, b}).shape() == Shape{None, 30, 30, 64});
  // three or more inputs
  auto c = strata::Input({30, 30, 64});
  CHECK(add({a, b, c}).shape() == Shape{None, 30, 30, 64});
  // the same tensor twice
  CHECK(add({a, a}).shape() == Shape{None, 30, 30, 64});
}

TEST_CASE("add broadcasts size-1 dimensions as Keras does", "[add][shape]") {
  auto full = strata::Input({30, 30, 64});
  auto per_channel = strata::Input({1, 1, 64});
  auto row = strata::Input({30, 1, 64});
  auto column = strata::Input({1, 30, 64});
  auto one_channel = strata::Input({30, 30, 1});
  CHECK(add({full, per_channel}).shape() == Shape{None, 30, 30, 64});
  CHECK(add({per_channel, full}).shape() == Shape{None, 30, 30, 64});
  // both sides contribute a size: (30, 1, 64) + (1, 30, 64) -> (30, 30, 64)
  CHECK(add({row, column}).shape() == Shape{None, 30, 30, 64});
  // (30, 30, 1) + (1, 1, 64) -> (30, 30, 64)
  CHECK(add({one_channel, per_channel}).shape() == Shape{None, 30, 30, 64});
  // accumulated over three inputs: (1, 1, 64) + (30, 1, 64) -> (30, 1, 64); + (30, 30, 1) -> (30, 30, 64)
  CHECK(add({per_channel, row, one_channel}).shape() == Shape{None, 30, 30, 64});
}

TEST_CASE("add aligns shapes of different rank at the last axis", "[add][shape]") {
  auto image = strata::Input({30, 30, 64});
  auto vector = strata::Input({64});
  auto one = strata::Input({1});
  // (30, 30, 64) + (64,) -> (30, 30, 64), in either order
  CHECK(add({image, vector}).shape() == Shape{None, 30, 30, 64});
  CHECK(add({vector, image}).shape() == Shape{None, 30, 30, 64});
  CHECK(add({one, image}).shape() == Shape{None, 30, 30, 64});
  // (5, 1) + (3,) -> (5, 3)
  auto matrix = strata::Input({5, 1});
  auto three = strata::Input({3});
  CHECK(add({matrix, three}).shape() == Shape{None, 5, 3});
}

TEST_CASE("add with unknown dimensions gives unknown", "[add][shape]") {
  auto any = strata::Input({None, None, 64});
  auto fixed = strata::Input({30, 30, 64});
  auto ones = strata::Input({1, 1, 64});
  CHECK(add({any, fixed}).shape() == Shape{None, None, None, 64});
  // Keras checks for None before 1: None with 1 is None
  CHECK(add({any, ones}).shape() == Shape{None, None, None, 64});
  auto unknown_channels = strata::Input({30, 30, None});
  CHECK(add({fixed, unknown_channels}).shape() == Shape{None, 30, 30, None});
}

TEST_CASE("add of incompatible shapes uses Keras's message", "[add][shape][error]") {
  strata::clear_session();
  auto x = strata::Input({30, 30, 64});
  auto residual = strata::Input({15, 15, 64});
  REQUIRE_THROWS_MATCHES(
      add({x, residual}), strata::ShapeError,
      MessageThat(
          Contains("[add (Add)]") &&
          Contains("Inputs have incompatible shapes. Received shapes (30, 30, 64) and (15, 15, 64)")));
  auto channels = strata::Input({30, 30, 32});
  REQUIRE_THROWS_MATCHES(
      add({x, channels}, {.name = "merge"}), strata::ShapeError,
      MessageThat(Contains("[merge (Add)]") && Contains("Received shapes (30, 30, 64) and (30, 30, 32)")));
  // the third input is compared with what the first two broadcast to
  auto ones = strata::Input({1, 1, 64});
  REQUIRE_THROWS_MATCHES(add({ones, x, residual}), strata::ShapeError,
                         MessageThat(Contains("Received shapes (30, 30, 64) and (15, 15, 64)")));
  // a rank-1 shape prints as Python's one-tuple; Keras names the longer shape first
  auto vector = strata::Input({32});
  REQUIRE_THROWS_MATCHES(add({x, vector}), strata::ShapeError,
                         MessageThat(Contains("Received shapes (30, 30, 64) and (32,)")));
  REQUIRE_THROWS_MATCHES(add({vector, x}), strata::ShapeError,
                         MessageThat(Contains("Received shapes (30, 30, 64) and (32,)")));
}

TEST_CASE("add needs at least two inputs", "[add][error]") {
  auto x = strata::Input({4, 4, 8});
  REQUIRE_THROWS_MATCHES(
      add({x}, {.name = "lonely"}), strata::ValueError,
      MessageThat(Contains("[lonely (Add)]") && Contains("at least 2 inputs") && Contains("received 1")));
  REQUIRE_THROWS_AS(add({}), strata::ValueError);
  REQUIRE_THROWS_MATCHES(add({x, strata::SymbolicTensor()}, {.name = "holey"}), strata::ValueError,
                         MessageThat(Contains("[holey (Add)]") && Contains("empty SymbolicTensor")));
}

TEST_CASE("the seed's add", "[add][shape][seed]") {
  strata::clear_session();
  auto inputs = strata::Input({32, 32, 3});
  auto x = strata_test::L::Conv2D(32, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = strata_test::L::Conv2D(64, 3, {.padding = "same", .activation = "relu"})(x);
  x = strata_test::L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = strata_test::L::Conv2D(64, 1, {.strides = 2})(residual);
  auto sum = add({x, residual});
  CHECK(sum.shape() == Shape{None, 15, 15, 64});
  CHECK_THAT(sum.shape().to_string(), Equals("(None, 15, 15, 64)"));
  CHECK(sum.layer().class_name() == "Add");
  CHECK(sum.layer().count_params() == 0);
}
