// MaxPooling2D and AveragePooling2D on the oneDNN backend equal the reference executor: pool sizes, strides,
// valid and same padding with odd and even sizes. Average pooling leaves padded cells out of the divisor and
// max pooling never sees a padded zero, both checked against hand-computed values.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backend/pool_kernel.hpp"
#include "numerics_util.hpp"

using namespace strata_test;

namespace {

struct PoolCase {
  bool max;
  int64_t h, w, channels;
  strata::Size2 pool;
  strata::layers::Pooling2DOptions options;
  int64_t batch = 2;
};

std::string describe(const PoolCase& c) {
  return std::string(c.max ? "MaxPooling2D" : "AveragePooling2D") + " input " + std::to_string(c.h) + "x" +
         std::to_string(c.w) + "x" + std::to_string(c.channels) + ", pool " + c.pool.to_string() + ", strides " +
         c.options.strides.to_string() + ", padding " + c.options.padding;
}

strata::SymbolicTensor pool(bool max, strata::Size2 size, const strata::layers::Pooling2DOptions& options,
                            const strata::SymbolicTensor& x) {
  return max ? L::MaxPooling2D(size, options)(x) : L::AveragePooling2D(size, options)(x);
}

// Single-threaded, as the convolution sweeps (see check_against_reference), unless asked otherwise.
void check(const PoolCase& c, uint64_t seed, int num_threads = 1) {
  INFO(describe(c));
  auto inputs = strata::Input({c.h, c.w, c.channels});
  strata::Model model(inputs, pool(c.max, c.pool, c.options, inputs));
  // Max pooling picks one of its inputs, so it must be exact; average pooling sums pool_h * pool_w values.
  const double tolerance = c.max ? 0.0 : float32_tolerance(static_cast<int64_t>(c.pool.h()) * c.pool.w());
  check_against_reference(model, {random_input({c.batch, c.h, c.w, c.channels}, seed)}, tolerance, num_threads);
}

}  // namespace

TEST_CASE("pool sizes, strides, valid and same, odd and even sizes", "[pooling][numerics]") {
  uint64_t seed = 1;
  for (bool max : {true, false}) {
    for (int p = 1; p <= 4; ++p) {
      for (strata::Size2 s : {strata::Size2{}, strata::Size2{1}, strata::Size2{2}, strata::Size2{3}}) {
        for (const char* padding : {"valid", "same"}) {
          for (int64_t size : {int64_t{7}, int64_t{8}}) {
            check({max, size, size, 3, p, {.strides = s, .padding = padding}}, seed++);
          }
        }
      }
    }
  }
}

TEST_CASE("asymmetric pools, strides and inputs", "[pooling][numerics]") {
  uint64_t seed = 1000;
  for (bool max : {true, false}) {
    for (strata::Size2 p : {strata::Size2{1, 3}, strata::Size2{3, 1}, strata::Size2{2, 3}, strata::Size2{5, 2}}) {
      for (strata::Size2 s : {strata::Size2{}, strata::Size2{1, 2}, strata::Size2{3, 1}}) {
        for (const char* padding : {"valid", "same"}) {
          check({max, 9, 6, 5, p, {.strides = s, .padding = padding}}, seed++);
        }
      }
    }
    // A pool as large as the input (global pooling), and over many channels (oneDNN's vectorized paths).
    check({max, 7, 5, 16, {7, 5}, {}}, seed++, 0);
    check({max, 9, 9, 64, 3, {.strides = 2, .padding = "same"}}, seed++, 0);
  }
}

// On CPUs with AVX2 the oneDNN backend pools NHWC maps in strata's own loop (backend/pool_kernel.hpp): whole
// blocks of 32 channels, then of 8, then the rest under a mask, and the rows split over the threads from
// 32,768 output values up. Channel counts that take every path, on 1 and 2 threads.
TEST_CASE("pooling over channels in blocks of 32, 8 and the rest, on one and two threads",
          "[pooling][numerics]") {
  uint64_t seed = 2000;
  for (bool max : {true, false}) {
    for (int64_t channels : {int64_t{8}, int64_t{45}, int64_t{77}}) {
      for (int threads : {1, 2}) {
        check({max, 33, 31, channels, 3, {.strides = 1, .padding = "same"}}, seed++, threads);
        check({max, 33, 31, channels, {2, 3}, {.strides = 2, .padding = "valid"}}, seed++, threads);
      }
    }
  }
  if (strata::detail::pool_kernel_supported()) {
    auto inputs = strata::Input({9, 9, 45});
    const strata::Model model(inputs, L::MaxPooling2D(3, {.strides = 2})(inputs));
    const std::string plan = model.compile().plan_string(1);
    INFO(plan);
    CHECK(plan.find("max_pool               strata:cpp") != std::string::npos);
  }
}

// NaN never reaches the loop through predict (a pass with non-finite inputs or weights runs the reference
// kernels), but a value that overflows inside the network can: the loop itself keeps NaN, in whichever cell
// and whichever channel path (a block of 32, of 8, the masked rest) it lies.
TEST_CASE("strata's pooling loop keeps NaN in every cell and channel path", "[pooling][numerics][nan]") {
  if (!__builtin_cpu_supports("avx2")) {
    WARN("no AVX2 here: the plans keep oneDNN's pooling");
    return;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  constexpr int64_t kChannels = 45;  // 32 + 8 + 5
  // A 2x2 map pooled by one 2x2 window: cell k holds k + 1 in every channel, then three NaNs.
  std::vector<float> src(4 * kChannels);
  for (int64_t cell = 0; cell < 4; ++cell) {
    for (int64_t c = 0; c < kChannels; ++c) src[static_cast<size_t>(cell * kChannels + c)] = float(cell + 1);
  }
  src[0 * kChannels + 3] = nan;   // first cell, the 32-channel block
  src[3 * kChannels + 35] = nan;  // last cell, the 8-channel block
  src[2 * kChannels + 43] = nan;  // a middle cell, the masked rest
  for (bool max : {true, false}) {
    INFO((max ? "max" : "average"));
    strata::detail::PoolShape shape;
    shape.batch = 1;
    shape.height = shape.width = 2;
    shape.channels = kChannels;
    shape.out_height = shape.out_width = 1;
    shape.window_height = shape.window_width = 2;
    shape.max = max;
    std::vector<float> dst(kChannels, 0.0f);
    strata::detail::pool_kernel(shape, src.data(), dst.data());
    for (int64_t c = 0; c < kChannels; ++c) {
      INFO("channel " << c);
      if (c == 3 || c == 35 || c == 43) {
        CHECK(std::isnan(dst[static_cast<size_t>(c)]));
      } else {
        CHECK(dst[static_cast<size_t>(c)] == (max ? 4.0f : 2.5f));
      }
    }
  }
}

TEST_CASE("average pooling leaves padded cells out of the divisor", "[pooling][numerics]") {
  // A 3x3 single-channel image 1..9; a 2x2 pool with stride 2 and same padding pads one row at the bottom
  // and one column at the right (TensorFlow's split), so the windows hold 4, 2, 2 and 1 real cells.
  auto inputs = strata::Input({3, 3, 1});
  strata::Model avg(inputs, L::AveragePooling2D(2, {.padding = "same"})(inputs));
  const strata::Tensor image({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const strata::Tensor expected({1, 2, 2, 1}, {(1 + 2 + 4 + 5) / 4.0f, (3 + 6) / 2.0f, (7 + 8) / 2.0f, 9.0f});
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    CHECK(avg.compile({.backend = backend}).predict(image) == expected);
  }

  // Stride 1, pool 3, same padding: a border on every side; the corner window holds 4 real cells.
  strata::Model avg3(inputs, L::AveragePooling2D(3, {.strides = 1, .padding = "same"})(inputs));
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    const strata::Tensor got = avg3.compile({.backend = backend}).predict(image);
    REQUIRE(got.dims() == std::vector<int64_t>{1, 3, 3, 1});
    CHECK(got.data()[0] == (1 + 2 + 4 + 5) / 4.0f);
    CHECK(got.data()[1] == (1 + 2 + 3 + 4 + 5 + 6) / 6.0f);
    CHECK(got.data()[4] == 5.0f);
    CHECK(got.data()[8] == (5 + 6 + 8 + 9) / 4.0f);
  }
}

TEST_CASE("max pooling never sees the padding", "[pooling][numerics]") {
  // All values negative: a padded zero taking part would show as 0.
  auto inputs = strata::Input({3, 3, 1});
  strata::Model max(inputs, L::MaxPooling2D(2, {.padding = "same"})(inputs));
  const strata::Tensor image({1, 3, 3, 1}, {-9, -8, -7, -6, -5, -4, -3, -2, -1});
  const strata::Tensor expected({1, 2, 2, 1}, {-5, -4, -2, -1});
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    CHECK(max.compile({.backend = backend}).predict(image) == expected);
  }
}

TEST_CASE("pooling between convolutions, fused and unfused", "[pooling][numerics]") {
  auto inputs = strata::Input({11, 11, 3});
  auto x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(inputs);
  x = L::MaxPooling2D(3, {.strides = 2, .padding = "same"})(x);
  x = L::Conv2D(8, 3, {.activation = "tanh"})(x);
  x = L::AveragePooling2D(2, {.padding = "same"})(x);
  strata::Model model(inputs, x);
  randomize_weights_keeping_scale(model, 77);
  // Accumulation along the path: 3x3x3, then 3x3x8, then the 2x2 average.
  check_against_reference(model, {random_input({3, 11, 11, 3}, 78)}, float32_tolerance(27 + 72 + 4));
}
