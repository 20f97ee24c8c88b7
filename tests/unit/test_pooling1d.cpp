// MaxPooling1D, AveragePooling1D, GlobalMaxPooling1D and GlobalAveragePooling1D: shape rules by Keras's
// formulas worked out by hand (valid: floor((steps - k) / s) + 1, same: ceil(steps / s), strides default to
// the pool size), errors, values worked out by hand, and the plans against the reference executor. The
// oracle cases are in test_tfjs_layers.cpp.
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "test_util.hpp"

using strata::None;
using strata::Shape;
namespace L = strata::layers;
using Catch::Matchers::Contains;
using strata_test::MessageThat;

TEST_CASE("1D pooling shapes follow Keras's window rule over the steps", "[pooling1d][shape]") {
  auto x = strata::Input({9, 3});
  CHECK(L::MaxPooling1D()(x).shape() == Shape{None, 4, 3});                   // floor(7/2) + 1
  CHECK(L::MaxPooling1D(3, {.strides = 2})(x).shape() == Shape{None, 4, 3});  // floor(6/2) + 1
  CHECK(L::AveragePooling1D(3, {.strides = 2, .padding = "same"})(x).shape() ==
        Shape{None, 5, 3});  // ceil(9/2)
  CHECK(L::AveragePooling1D(9)(x).shape() == Shape{None, 1, 3});
  auto unknown = strata::Input({None, 6});
  CHECK(L::MaxPooling1D(2)(unknown).shape() == Shape{None, None, 6});
  CHECK(L::GlobalMaxPooling1D()(unknown).shape() == Shape{None, 6});
  CHECK(L::GlobalAveragePooling1D({.keepdims = true})(unknown).shape() == Shape{None, 1, 6});
}

TEST_CASE("1D pooling refuses bad arguments and inputs, naming the layer", "[pooling1d][errors]") {
  CHECK_THROWS_MATCHES(L::MaxPooling1D(0, {.name = "p"}), strata::ValueError,
                       MessageThat(Contains("[p (MaxPooling1D)] Expected a positive pool_size, received 0")));
  CHECK_THROWS_MATCHES(
      L::AveragePooling1D(2, {.strides = -1, .name = "p"}), strata::ValueError,
      MessageThat(Contains("[p (AveragePooling1D)] Expected positive strides, received -1")));
  CHECK_THROWS_MATCHES(L::MaxPooling1D(2, {.padding = "causal", .name = "p"}), strata::ValueError,
                       MessageThat(Contains("[p (MaxPooling1D)] Unknown padding 'causal'")));
  auto image = strata::Input({4, 4, 3});
  CHECK_THROWS_MATCHES(L::MaxPooling1D(2, {.name = "p"})(image), strata::ShapeError,
                       MessageThat(Contains("[p (MaxPooling1D)] Expected an input of rank 3")));
  CHECK_THROWS_MATCHES(L::GlobalAveragePooling1D({.name = "g"})(image), strata::ShapeError,
                       MessageThat(Contains("[g (GlobalAveragePooling1D)] Expected an input of rank 3")));
  auto short_input = strata::Input({2, 3});
  CHECK_THROWS_MATCHES(
      L::MaxPooling1D(3, {.name = "p"})(short_input), strata::ShapeError,
      MessageThat(Contains("[p (MaxPooling1D)] Output steps would be 0: expected an input steps "
                           "of at least 3 (kernel 3, dilation 1) with padding 'valid', received 2")));
}

TEST_CASE("1D pooling values, worked out by hand", "[pooling1d][numerics]") {
  // One sample, 5 steps, 2 features: feature 0 is 1..5, feature 1 is 5..1.
  const strata::Tensor in({1, 5, 2}, {1, 5, 2, 4, 3, 3, 4, 2, 5, 1});
  auto predict = [&](auto make) {
    auto x = strata::Input({5, 2});
    return strata::Model(x, make(x)).predict(in).values();
  };
  // pool 2 stride 2 valid: steps (1,2), (3,4).
  CHECK(predict([](auto x) { return L::MaxPooling1D(2)(x); }) == std::vector<float>{2, 5, 4, 3});
  // pool 2 stride 2 same: a third window holds step 5 alone; the average counts only it.
  CHECK(predict([](auto x) { return L::AveragePooling1D(2, {.padding = "same"})(x); }) ==
        std::vector<float>{1.5f, 4.5f, 3.5f, 2.5f, 5, 1});
  // pool 3 stride 1 same: total padding 2, one step before and one after.
  CHECK(predict([](auto x) { return L::MaxPooling1D(3, {.strides = 1, .padding = "same"})(x); }) ==
        std::vector<float>{2, 5, 3, 5, 4, 4, 5, 3, 5, 2});
  CHECK(predict([](auto x) { return L::GlobalMaxPooling1D()(x); }) == std::vector<float>{5, 5});
  CHECK(predict([](auto x) { return L::GlobalAveragePooling1D()(x); }) == std::vector<float>{3, 3});
}

TEST_CASE("1D pooling plans equal the reference executor, fused and unfused", "[pooling1d][numerics]") {
  auto x = strata::Input({None, 8});
  auto y = L::Dense(8, {.activation = "relu"})(x);
  auto a = L::MaxPooling1D(3, {.strides = 2, .padding = "same"})(y);
  auto b = L::AveragePooling1D(2)(y);
  auto merged = L::Concatenate({.axis = 1})({a, b});
  strata::Model model(
      x, {L::GlobalAveragePooling1D()(merged), L::GlobalMaxPooling1D({.keepdims = true})(merged)});
  strata_test::randomize_weights(model, 3);
  for (int64_t steps : {7, 16}) {
    INFO("steps " << steps);
    strata_test::check_against_reference(model, {strata_test::random_input({2, steps, 8}, 5)}, 1e-5);
  }
}
