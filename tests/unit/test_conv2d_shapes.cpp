// Conv2D's shape rule, by Keras's formulas worked out by hand in each case:
//   valid: floor((in - d*(k-1) - 1) / s) + 1        same: ceil(in / s)
//   same padding: total = max((out-1)*s + (k-1)*d + 1 - in, 0), before = total/2, after = total - before.
#include "graph/node.hpp"
#include "layers/window_geometry.hpp"
#include "test_util.hpp"

using strata::None;
using strata::Shape;
using strata::detail::Padding;
using strata::detail::window_axis;
using strata_test::L::Conv2D;

namespace {

// An image padding as the IR holds it, from Keras's top, bottom, left, right.
strata::ir::SpatialPadding Pad(int top, int bottom, int left, int right) {
  return {{top, left}, {bottom, right}};
}

// The node's static padding for a call's output.
std::optional<strata::ir::SpatialPadding> padding_of(const strata::SymbolicTensor& t) {
  return t.node()->padding;
}

}  // namespace

TEST_CASE("Conv2D valid padding", "[conv2d][shape]") {
  auto in = strata::Input({32, 32, 3});
  // floor((32 - 2 - 1)/1) + 1 = 30
  CHECK(Conv2D(32, 3)(in).shape() == Shape{None, 30, 30, 32});
  // 1x1 keeps the size
  CHECK(Conv2D(64, 1)(in).shape() == Shape{None, 32, 32, 64});
  // floor((32 - 4 - 1)/1) + 1 = 28
  CHECK(Conv2D(8, 5)(in).shape() == Shape{None, 28, 28, 8});
  // a kernel as large as the input: floor((32 - 31 - 1)/1) + 1 = 1
  CHECK(Conv2D(8, 32)(in).shape() == Shape{None, 1, 1, 8});
  CHECK(padding_of(Conv2D(8, 3)(in)) == Pad(0, 0, 0, 0));
}

TEST_CASE("Conv2D same padding keeps ceil(in / stride)", "[conv2d][shape]") {
  auto in = strata::Input({32, 32, 3});
  auto y = Conv2D(64, 3, {.padding = "same"})(in);
  CHECK(y.shape() == Shape{None, 32, 32, 64});
  // total = 31*1 + 2 + 1 - 32 = 2 -> 1 and 1
  CHECK(padding_of(y) == Pad(1, 1, 1, 1));
  // the seed's second conv, 30x30 -> 30x30
  auto seed = Conv2D(64, 3, {.padding = "same"})(Conv2D(32, 3)(in));
  CHECK(seed.shape() == Shape{None, 30, 30, 64});
  // 1x1 same needs no padding
  CHECK(padding_of(Conv2D(4, 1, {.padding = "same"})(in)) == Pad(0, 0, 0, 0));
}

TEST_CASE("Conv2D strides", "[conv2d][shape]") {
  auto in32 = strata::Input({32, 32, 3});
  auto in31 = strata::Input({31, 31, 3});
  auto in30 = strata::Input({30, 30, 32});
  // valid: floor((32 - 3)/2) + 1 = 15; floor((31 - 3)/2) + 1 = 15
  CHECK(Conv2D(8, 3, {.strides = 2})(in32).shape() == Shape{None, 15, 15, 8});
  CHECK(Conv2D(8, 3, {.strides = 2})(in31).shape() == Shape{None, 15, 15, 8});
  // same: ceil(32/2) = 16, ceil(31/2) = 16
  CHECK(Conv2D(8, 3, {.strides = 2, .padding = "same"})(in32).shape() == Shape{None, 16, 16, 8});
  CHECK(Conv2D(8, 3, {.strides = 2, .padding = "same"})(in31).shape() == Shape{None, 16, 16, 8});
  // the seed's strided shortcut: floor((30 - 1)/2) + 1 = 15
  CHECK(Conv2D(64, 1, {.strides = 2})(in30).shape() == Shape{None, 15, 15, 64});
  // stride 3: floor((32 - 3)/3) + 1 = 10; same: ceil(32/3) = 11
  CHECK(Conv2D(8, 3, {.strides = 3})(in32).shape() == Shape{None, 10, 10, 8});
  CHECK(Conv2D(8, 3, {.strides = 3, .padding = "same"})(in32).shape() == Shape{None, 11, 11, 8});
  // stride larger than the kernel: floor((32 - 1)/4) + 1 = 8
  CHECK(Conv2D(8, 1, {.strides = 4})(in32).shape() == Shape{None, 8, 8, 8});
}

TEST_CASE("Conv2D dilation", "[conv2d][shape]") {
  auto in = strata::Input({32, 32, 3});
  // effective kernel 2*(3-1)+1 = 5: floor((32 - 5)/1) + 1 = 28
  CHECK(Conv2D(8, 3, {.dilation_rate = 2})(in).shape() == Shape{None, 28, 28, 8});
  // effective 4*(3-1)+1 = 9: 24
  CHECK(Conv2D(8, 3, {.dilation_rate = 4})(in).shape() == Shape{None, 24, 24, 8});
  // same keeps 32; total = 31 + 5 - 32 = 4 -> 2 and 2
  auto same = Conv2D(8, 3, {.padding = "same", .dilation_rate = 2})(in);
  CHECK(same.shape() == Shape{None, 32, 32, 8});
  CHECK(padding_of(same) == Pad(2, 2, 2, 2));
  // dilation {2, 1} with kernel {3, 2}: effective 5 x 2 -> 28 x 31
  CHECK(Conv2D(8, {3, 2}, {.dilation_rate = {2, 1}})(in).shape() == Shape{None, 28, 31, 8});
  // the window exactly fits: effective 2*(4-1)+1 = 7 on 7 -> 1
  auto in7 = strata::Input({7, 7, 1});
  CHECK(Conv2D(1, 4, {.dilation_rate = 2})(in7).shape() == Shape{None, 1, 1, 1});
}

TEST_CASE("Conv2D odd sizes", "[conv2d][shape]") {
  auto in = strata::Input({7, 7, 3});
  // valid k2 s3: floor((7 - 2)/3) + 1 = 2
  CHECK(Conv2D(4, 2, {.strides = 3})(in).shape() == Shape{None, 2, 2, 4});
  // same k2 s3: ceil(7/3) = 3; total = 2*3 + 2 - 7 = 1 -> 0 before, 1 after
  auto same = Conv2D(4, 2, {.strides = 3, .padding = "same"})(in);
  CHECK(same.shape() == Shape{None, 3, 3, 4});
  CHECK(padding_of(same) == Pad(0, 1, 0, 1));
  // k4 s1 same on 7: total = 6 + 4 - 7 = 3 -> 1 before, 2 after
  auto even_kernel = Conv2D(4, 4, {.padding = "same"})(in);
  CHECK(even_kernel.shape() == Shape{None, 7, 7, 4});
  CHECK(padding_of(even_kernel) == Pad(1, 2, 1, 2));
  // 1x1 input through a 1x1 kernel
  auto tiny = strata::Input({1, 1, 5});
  CHECK(Conv2D(2, 1)(tiny).shape() == Shape{None, 1, 1, 2});
  CHECK(Conv2D(2, 3, {.strides = 2, .padding = "same"})(tiny).shape() == Shape{None, 1, 1, 2});
}

TEST_CASE("Conv2D asymmetric kernels and strides", "[conv2d][shape]") {
  auto in = strata::Input({20, 20, 3});
  // kernel {3, 5}: 18 x 16
  CHECK(Conv2D(4, {3, 5})(in).shape() == Shape{None, 18, 16, 4});
  // kernel {3, 5}, strides {1, 2}: h floor(17/1)+1 = 18, w floor(15/2)+1 = 8
  CHECK(Conv2D(4, {3, 5}, {.strides = {1, 2}})(in).shape() == Shape{None, 18, 8, 4});
  // same: h 20, w ceil(20/2) = 10; h total 19 + 3 - 20 = 2 -> 1, 1; w total 9*2 + 5 - 20 = 3 -> 1, 2
  auto same = Conv2D(4, {3, 5}, {.strides = {1, 2}, .padding = "same"})(in);
  CHECK(same.shape() == Shape{None, 20, 10, 4});
  CHECK(padding_of(same) == Pad(1, 1, 1, 2));
  // a non-square input: 20 x 11, kernel {5, 3}, strides {3, 5}: h floor(15/3)+1 = 6, w floor(8/5)+1 = 2
  auto wide = strata::Input({20, 11, 3});
  CHECK(Conv2D(4, {5, 3}, {.strides = {3, 5}})(wide).shape() == Shape{None, 6, 2, 4});
  // same: h ceil(20/3) = 7, w ceil(11/5) = 3; h total 6*3 + 5 - 20 = 3 -> 1, 2; w total 2*5 + 3 - 11 = 2 ->
  // 1, 1
  auto wide_same = Conv2D(4, {5, 3}, {.strides = {3, 5}, .padding = "same"})(wide);
  CHECK(wide_same.shape() == Shape{None, 7, 3, 4});
  CHECK(padding_of(wide_same) == Pad(1, 2, 1, 1));
}

TEST_CASE("Conv2D keeps unknown spatial dimensions unknown", "[conv2d][shape]") {
  auto any = strata::Input({None, None, 3});
  auto y = Conv2D(8, 3)(any);
  CHECK(y.shape() == Shape{None, None, None, 8});
  CHECK(y.shape().to_string() == "(None, None, None, 8)");
  CHECK_FALSE(padding_of(y).has_value());
  CHECK(Conv2D(8, 3, {.strides = 2, .padding = "same"})(y).shape() == Shape{None, None, None, 8});

  // One unknown axis, one known: the known one follows the formula.
  auto half = strata::Input({None, 32, 3});
  CHECK(Conv2D(8, 3)(half).shape() == Shape{None, None, 30, 8});
  CHECK(Conv2D(8, {3, 5}, {.strides = 2})(half).shape() == Shape{None, None, 14, 8});
  auto other = strata::Input({32, None, 3});
  CHECK(Conv2D(8, 3, {.strides = 2, .padding = "same"})(other).shape() == Shape{None, 16, None, 8});
}

TEST_CASE("Conv2D groups keep the output channels at filters", "[conv2d][shape]") {
  auto in = strata::Input({8, 8, 6});
  CHECK(Conv2D(12, 3, {.groups = 3})(in).shape() == Shape{None, 6, 6, 12});
  CHECK(Conv2D(6, 1, {.groups = 6})(in).shape() == Shape{None, 8, 8, 6});
}

TEST_CASE("Conv2D weights follow Keras's HWIO layout", "[conv2d][weights]") {
  auto in = strata::Input({8, 8, 6});
  Conv2D conv(12, {3, 5}, {.groups = 3});
  CHECK(conv.get_weights().empty());  // not built before its first call
  conv(in);
  const auto weights = conv.get_weights();
  REQUIRE(weights.size() == 2);
  CHECK(weights[0].dims() == std::vector<int64_t>{3, 5, 2, 12});  // (kh, kw, in / groups, filters)
  CHECK(weights[1].dims() == std::vector<int64_t>{12});
  CHECK(conv.count_params() == 3 * 5 * 2 * 12 + 12);

  Conv2D no_bias(4, 3, {.use_bias = false});
  no_bias(in);
  REQUIRE(no_bias.get_weights().size() == 1);
  CHECK(no_bias.count_params() == 3 * 3 * 6 * 4);

  // bias initializer "zeros" is Keras's default
  for (int64_t i = 0; i < weights[1].size(); ++i) CHECK(weights[1].data()[i] == 0.0f);
}

TEST_CASE("window_axis is TensorFlow's rule, odd pixel bottom/right", "[conv2d][shape][window]") {
  struct Case {
    int64_t in;
    int k, s, d;
    Padding padding;
    int64_t out;
    int before, after;
  };
  // Every expected value below is worked out from the formulas at the top of this file.
  const Case cases[] = {
      {32, 3, 1, 1, Padding::kValid, 30, 0, 0},  {32, 3, 2, 1, Padding::kValid, 15, 0, 0},  // floor(29/2)+1
      {31, 3, 2, 1, Padding::kValid, 15, 0, 0},                                             // floor(28/2)+1
      {32, 3, 1, 2, Padding::kValid, 28, 0, 0},                                             // floor(27/1)+1
      {7, 2, 3, 1, Padding::kValid, 2, 0, 0},                                               // floor(5/3)+1
      {5, 5, 1, 1, Padding::kValid, 1, 0, 0},                                               // exact fit
      {32, 3, 1, 1, Padding::kSame, 32, 1, 1},                                              // total 2
      {32, 3, 2, 1, Padding::kSame, 16, 0, 1},    // total 15*2+3-32 = 1
      {31, 3, 2, 1, Padding::kSame, 16, 1, 1},    // total 15*2+3-31 = 2
      {30, 2, 2, 1, Padding::kSame, 15, 0, 0},    // total 14*2+2-30 = 0
      {15, 2, 2, 1, Padding::kSame, 8, 0, 1},     // total 7*2+2-15 = 1
      {30, 1, 2, 1, Padding::kSame, 15, 0, 0},    // total max(14*2+1-30, 0) = 0
      {10, 4, 1, 1, Padding::kSame, 10, 1, 2},    // total 9+4-10 = 3
      {10, 6, 1, 1, Padding::kSame, 10, 2, 3},    // total 9+6-10 = 5
      {32, 3, 1, 2, Padding::kSame, 32, 2, 2},    // total 31+5-32 = 4
      {32, 3, 1, 3, Padding::kSame, 32, 3, 3},    // total 31+7-32 = 6
      {20, 5, 3, 1, Padding::kSame, 7, 1, 2},     // total 6*3+5-20 = 3
      {11, 3, 5, 1, Padding::kSame, 3, 1, 1},     // total 2*5+3-11 = 2
      {224, 7, 2, 1, Padding::kSame, 112, 2, 3},  // ResNet's stem: total 111*2+7-224 = 5
      {1, 3, 2, 1, Padding::kSame, 1, 1, 1},      // total 0+3-1 = 2
  };
  for (const Case& c : cases) {
    INFO("in " << c.in << " k " << c.k << " s " << c.s << " d " << c.d << " "
               << (c.padding == Padding::kSame ? "same" : "valid"));
    const auto axis = window_axis(c.in, c.k, c.s, c.d, c.padding);
    CHECK(axis.out == c.out);
    CHECK(axis.before == c.before);
    CHECK(axis.after == c.after);
  }
}

TEST_CASE("window_axis reports a window larger than the input as zero or less", "[conv2d][shape][window]") {
  // C++ truncates (4 - 5) / 2 to 0, which would give an output of 1; floor gives -1 + 1 = 0.
  CHECK(window_axis(4, 5, 2, 1, Padding::kValid).out <= 0);
  CHECK(window_axis(3, 5, 1, 1, Padding::kValid).out <= 0);
  CHECK(window_axis(6, 3, 1, 3, Padding::kValid).out <= 0);  // effective kernel 7
  CHECK(window_axis(7, 3, 1, 3, Padding::kValid).out == 1);
}
