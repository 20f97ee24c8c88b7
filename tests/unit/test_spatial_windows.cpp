// Window geometry per axis: Keras's output-size and padding rules for causal and transposed windows, and
// the IR's convolution, pooling, padding, cropping and upsampling over one, two and three spatial axes,
// run by the oneDNN backend and by the reference executor (values worked by hand for the smallest cases).
// No layer builds 1D or 3D windows yet; these are the ops the next ones lower to.
#include <array>
#include <memory>
#include <vector>

#include "backend/onednn/onednn_executor.hpp"
#include "backend/reference/reference_executor.hpp"
#include "compiler/passes/passes.hpp"
#include "layers/window_geometry.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;
using strata::detail::Padding;
using strata::detail::transposed_window_axis;
using strata::detail::window_axis;

namespace {

// A program of one op reading `in_dims` and writing `out_dims`, planned for a backend.
ir::Graph one_op(std::vector<int64_t> in_dims, std::vector<int64_t> out_dims, ir::OpAttrs attrs) {
  ir::Graph g;
  const ir::ValueId x = g.add_value(std::move(in_dims), "x");
  const ir::ValueId y = g.add_value(std::move(out_dims), "y");
  g.inputs = {x};
  g.outputs = {y};
  g.ops.push_back(ir::Op{std::move(attrs), {x}, {y}, {}, {"op"}});
  ir::plan_memory(g);
  return g;
}

strata::Tensor run(const ir::Graph& g, const strata::Tensor& input, bool onednn) {
  const auto executor = onednn ? strata::detail::make_onednn_executor(g, strata::CompileOptions{})
                               : strata::detail::make_reference_executor(g);
  strata::Tensor out = strata::Tensor::zeros(g.values[g.outputs[0]].dims);
  executor->run({input.data()}, {out.data()});
  return out;
}

// Output size of a window along one axis, from the padding the op is given.
int64_t out_size(int64_t in, int size, int stride, int dilation, int before, int after) {
  return (in + before + after - (static_cast<int64_t>(dilation) * (size - 1) + 1)) / stride + 1;
}

std::vector<int64_t> window_out_dims(const std::vector<int64_t>& in, const ir::Window& w, int64_t channels) {
  std::vector<int64_t> out{in.front()};
  for (int a = 0; a < w.rank(); ++a) {
    out.push_back(out_size(in[a + 1], w.size[a], w.strides[a], w.dilations[a], w.padding.before[a],
                           w.padding.after[a]));
  }
  out.push_back(channels);
  return out;
}

ir::ConvOp conv_op(ir::Window window, int64_t in_channels, int64_t out_channels, int groups, bool bias,
                   uint64_t seed) {
  ir::ConvOp c;
  c.window = std::move(window);
  c.groups = groups;
  std::vector<int64_t> kernel_dims(c.window.size.begin(), c.window.size.end());
  kernel_dims.push_back(in_channels / groups);
  kernel_dims.push_back(out_channels);
  c.kernel = std::make_shared<strata::Tensor>(random_input(kernel_dims, seed));
  if (bias) c.bias = std::make_shared<strata::Tensor>(random_input({out_channels}, seed + 1));
  return c;
}

// oneDNN against the reference executor on random inputs; `terms` bounds the sums an output element needs.
void check_backends_agree(const ir::Graph& g, uint64_t seed, int64_t terms) {
  const strata::Tensor input = random_input(g.values[g.inputs[0]].dims, seed);
  const strata::Tensor want = run(g, input, false), got = run(g, input, true);
  INFO(g.to_string());
  CHECK(max_relative_error(got, want) <= 2e-6 * static_cast<double>(terms));
  // The comparison can fail: a moved input moves the reference's answer far beyond the tolerance.
  CHECK(scaled_error(run(g, perturbed(input), false), want) > 1e-2);
}

}  // namespace

TEST_CASE("causal padding: all of it before, ceil(in / stride) out", "[window][shape]") {
  // Keras's Conv1D(padding="causal"): left-pad dilation * (kernel - 1), then a valid window.
  const auto a = window_axis(10, 3, 1, 2, Padding::kCausal);
  CHECK(a.out == 10);
  CHECK(a.before == 4);
  CHECK(a.after == 0);
  const auto b = window_axis(10, 3, 2, 1, Padding::kCausal);
  CHECK(b.out == 5);
  CHECK(b.before == 2);
  CHECK(b.after == 0);
  CHECK(window_axis(7, 4, 3, 1, Padding::kCausal).out == 3);
  CHECK(strata::detail::parse_padding("causal", "[c]", true) == Padding::kCausal);
  CHECK_THROWS_AS(strata::detail::parse_padding("causal", "[c]"), strata::ValueError);
}

TEST_CASE("transposed windows follow Keras's deconv_output_length", "[window][shape]") {
  // in 4, kernel 3, stride 2: valid 4*2 + max(3 - 2, 0) = 9; same 4*2 = 8.
  auto a = transposed_window_axis(4, 3, 2, 1, Padding::kValid, std::nullopt);
  CHECK((a.out == 9 && a.before == 0 && a.after == 0));
  a = transposed_window_axis(4, 3, 2, 1, Padding::kSame, std::nullopt);
  CHECK((a.out == 8 && a.before == 0 && a.after == 1));
  // output_padding 1: same (4-1)*2 + 3 - 2*1 + 1 = 8; valid (4-1)*2 + 3 + 1 = 10, one past the last window.
  a = transposed_window_axis(4, 3, 2, 1, Padding::kSame, 1);
  CHECK((a.out == 8 && a.before == 0 && a.after == 1));
  a = transposed_window_axis(4, 3, 2, 1, Padding::kValid, 1);
  CHECK((a.out == 10 && a.before == 0 && a.after == -1));
  // A kernel narrower than the stride leaves a cell no window reaches: 1x1 stride 2 valid gives 8.
  a = transposed_window_axis(4, 1, 2, 1, Padding::kValid, std::nullopt);
  CHECK((a.out == 8 && a.before == 0 && a.after == -1));
  // Dilation 2 widens kernel 3 to 5: same, stride 1 keeps 4 and pads 2 on each side.
  a = transposed_window_axis(4, 3, 1, 2, Padding::kSame, std::nullopt);
  CHECK((a.out == 4 && a.before == 2 && a.after == 2));

  // A sweep against Keras's two backends' own rules. JAX (Keras's _convert_conv_transpose_padding_args_
  // from_keras_to_jax) pads the stride-dilated input by left and right; a forward convolution's padding is
  // then k' - 1 minus each. TensorFlow derives the forward padding from the output size with the forward
  // window's rule, and refuses sizes that rule does not map back to the input (an even kernel with "same"
  // and output_padding 0, say); where it accepts, the two agree.
  int tensorflow_accepts = 0;
  for (int64_t in = 1; in <= 9; ++in)
    for (int k = 1; k <= 5; ++k)
      for (int s = 1; s <= 3; ++s)
        for (int d = 1; d <= 2; ++d)
          for (Padding p : {Padding::kValid, Padding::kSame})
            for (std::optional<int> op :
                 {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{s - 1}}) {
              const auto t = transposed_window_axis(in, k, s, d, p, op);
              INFO("in " << in << " k " << k << " s " << s << " d " << d << " same " << (p == Padding::kSame)
                         << " output_padding " << (op ? *op : -1));
              const int kd = (k - 1) * d + 1;
              int left = 0, right = 0;
              if (p == Padding::kValid) {
                left = kd - 1;
                right = kd - 1 + (op ? *op : std::max(kd, s) - kd);
              } else {
                const int pad_len = op ? kd + kd % 2 - 2 + *op : s + kd - 2;
                left = std::min(pad_len / 2 + pad_len % 2, kd - 1);
                right = pad_len - left;
              }
              CHECK(t.out == (in - 1) * s + 1 - kd + 1 + left + right);
              CHECK(t.before == kd - 1 - left);
              CHECK(t.after == kd - 1 - right);
              const auto f = window_axis(t.out, k, s, d, p);
              if (f.out != in) continue;
              ++tensorflow_accepts;
              CHECK(f.before == t.before);
              CHECK(f.after == std::max(t.after, 0));
            }
  CHECK(tensorflow_accepts > 1000);
}

TEST_CASE("a causal 1D convolution, worked by hand", "[window][numerics]") {
  // y[t] = 1*x[t-2] + 2*x[t-1] + 3*x[t], zeros before the start.
  ir::ConvOp c;
  c.window = ir::Window::dense({3});
  c.window.padding = ir::SpatialPadding{{2}, {0}};
  c.kernel = std::make_shared<strata::Tensor>(std::vector<int64_t>{3, 1, 1}, std::vector<float>{1, 2, 3});
  const ir::Graph g = one_op({1, 5, 1}, {1, 5, 1}, c);
  const strata::Tensor x({1, 5, 1}, {1, 2, 3, 4, 5});
  const strata::Tensor want({1, 5, 1}, {3, 8, 14, 20, 26});
  CHECK(run(g, x, false) == want);
  CHECK(run(g, x, true) == want);
}

TEST_CASE("3D max and average pooling, worked by hand", "[window][numerics]") {
  // A 2x2x2 volume, one channel, 1..8; a 2x2x2 window with one cell of padding after each axis, stride 2:
  // one window, holding every cell.
  const strata::Tensor x({1, 2, 2, 2, 1}, {1, 2, 3, 4, 5, 6, 7, 8});
  ir::PoolOp p;
  p.window = ir::Window::dense({2, 2, 2});
  p.window.strides = {2, 2, 2};
  p.window.padding = ir::SpatialPadding{{0, 0, 0}, {1, 1, 1}};
  p.kind = ir::PoolOp::Kind::kMax;
  ir::Graph g = one_op({1, 2, 2, 2, 1}, {1, 1, 1, 1, 1}, p);
  CHECK(run(g, x, false).values() == std::vector<float>{8});
  CHECK(run(g, x, true).values() == std::vector<float>{8});
  // Stride 1 and the padding after: eight windows; the last along each axis sees only the last cells. The
  // average leaves padded cells out (Keras): the corner window (1, 1, 1) averages the cell 8 alone.
  p.kind = ir::PoolOp::Kind::kAverage;
  p.window.strides = {1, 1, 1};
  g = one_op({1, 2, 2, 2, 1}, {1, 2, 2, 2, 1}, p);
  const std::vector<float> want{4.5f, 5, 5.5f, 6, 6.5f, 7, 7.5f, 8};
  CHECK(run(g, x, false).values() == want);
  CHECK(run(g, x, true).values() == want);
}

TEST_CASE("convolutions over one, two and three axes agree between oneDNN and the reference",
          "[window][numerics]") {
  uint64_t seed = 1;
  struct Case {
    std::vector<int64_t> in;
    ir::Window window;
    int64_t out_channels;
    int groups;
  };
  const std::vector<Case> cases = {
      // 1D: causal, stride 2; dilated and grouped with a "same" split; a wide valid kernel.
      {{2, 11, 3}, {{3}, {2}, {1}, {{2}, {0}}}, 4, 1},
      {{2, 12, 6}, {{3}, {1}, {2}, {{2}, {2}}}, 6, 3},
      {{1, 16, 5}, {{5}, {1}, {1}, {{0}, {0}}}, 7, 1},
      // 2D, asymmetric everything.
      {{2, 7, 9, 4}, {{3, 2}, {2, 1}, {1, 2}, {{1, 0}, {1, 2}}}, 6, 2},
      // 3D: strides, asymmetric padding; grouped and dilated.
      {{1, 5, 6, 7, 2}, {{3, 2, 3}, {1, 2, 1}, {1, 1, 1}, {{1, 0, 1}, {1, 1, 1}}}, 3, 1},
      {{2, 6, 4, 5, 4}, {{2, 2, 2}, {1, 1, 1}, {2, 1, 1}, {{0, 1, 0}, {1, 0, 1}}}, 4, 2},
  };
  for (const Case& c : cases) {
    const ir::ConvOp conv = conv_op(c.window, c.in.back(), c.out_channels, c.groups, true, seed += 10);
    const ir::Graph g = one_op(c.in, window_out_dims(c.in, c.window, c.out_channels), conv);
    check_backends_agree(g, seed, conv.kernel->size() / c.out_channels + 1);
  }
}

TEST_CASE(
    "pooling, padding, cropping and upsampling over one and three axes agree between oneDNN and the "
    "reference",
    "[window][numerics]") {
  uint64_t seed = 100;
  for (auto kind : {ir::PoolOp::Kind::kMax, ir::PoolOp::Kind::kAverage}) {
    ir::PoolOp p;
    p.kind = kind;
    p.window = {{3}, {2}, {1}, {{1}, {1}}};
    check_backends_agree(one_op({2, 9, 3}, window_out_dims({2, 9, 3}, p.window, 3), p), seed++, 3);
    p.window = {{2, 3, 2}, {2, 1, 2}, {1, 1, 1}, {{0, 1, 1}, {1, 1, 0}}};
    check_backends_agree(one_op({2, 5, 4, 6, 3}, window_out_dims({2, 5, 4, 6, 3}, p.window, 3), p), seed++,
                         12);
  }
  check_backends_agree(one_op({2, 5, 3}, {2, 9, 3}, ir::PadOp{{{1}, {3}}}), seed++, 1);
  check_backends_agree(one_op({1, 3, 4, 2, 2}, {1, 4, 7, 4, 2}, ir::PadOp{{{1, 2, 0}, {0, 1, 2}}}), seed++,
                       1);
  check_backends_agree(one_op({2, 9, 3}, {2, 5, 3}, ir::CropOp{{{1}, {3}}}), seed++, 1);
  check_backends_agree(one_op({1, 5, 6, 4, 2}, {1, 2, 3, 4, 2}, ir::CropOp{{{2, 1, 0}, {1, 2, 0}}}), seed++,
                       1);
  check_backends_agree(one_op({2, 4, 3}, {2, 12, 3}, ir::UpsampleOp{{3}}), seed++, 1);
  check_backends_agree(one_op({1, 2, 3, 2, 2}, {1, 4, 3, 6, 2}, ir::UpsampleOp{{2, 1, 3}}), seed++, 1);
}
