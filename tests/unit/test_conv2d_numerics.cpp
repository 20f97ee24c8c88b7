// Conv2D on the oneDNN backend, fused and unfused, equals the reference executor for every option: kernel
// sizes, strides, dilation, padding with odd and even sizes, asymmetric windows, groups, no bias, and every
// activation. Weights and inputs are random in [-1, 1), so biases are not zero.
#include <string>

#include "numerics_util.hpp"

using namespace strata_test;

namespace {

struct ConvCase {
  int64_t h, w, channels;
  int filters;
  strata::Size2 kernel;
  strata::layers::Conv2DOptions options;
  int64_t batch = 2;
};

std::string describe(const ConvCase& c) {
  return "input " + std::to_string(c.h) + "x" + std::to_string(c.w) + "x" + std::to_string(c.channels) + ", filters " +
         std::to_string(c.filters) + ", kernel " + c.kernel.to_string() + ", strides " + c.options.strides.to_string() +
         ", dilation " + c.options.dilation_rate.to_string() + ", padding " + c.options.padding + ", groups " +
         std::to_string(c.options.groups) + ", activation " + c.options.activation + ", use_bias " +
         (c.options.use_bias ? "true" : "false") + ", batch " + std::to_string(c.batch);
}

strata::Model conv_model(const ConvCase& c) {
  auto inputs = strata::Input({c.h, c.w, c.channels});
  auto outputs = L::Conv2D(c.filters, c.kernel, c.options)(inputs);
  return strata::Model(inputs, outputs);
}

// Products summed into one output element: the accumulation length the float32 error grows with.
int64_t terms(const ConvCase& c) {
  return static_cast<int64_t>(c.kernel.h()) * c.kernel.w() * (c.channels / c.options.groups) + (c.options.use_bias ? 1 : 0);
}

// The sweeps run single-threaded (see check_against_reference); the cases after them use every core.
void check(const ConvCase& c, uint64_t seed, int num_threads = 0) {
  INFO(describe(c) << ", num_threads " << num_threads);
  strata::Model model = conv_model(c);
  randomize_weights(model, seed);
  check_against_reference(model, {random_input({c.batch, c.h, c.w, c.channels}, seed + 100)}, float32_tolerance(terms(c)),
                          num_threads);
}

void sweep(const ConvCase& c, uint64_t seed) { check(c, seed, 1); }

}  // namespace

TEST_CASE("kernel sizes 1 to 7, strides 1 to 3, valid and same, odd and even sizes", "[conv2d][numerics]") {
  uint64_t seed = 1;
  for (int k = 1; k <= 7; ++k) {
    for (int s = 1; s <= 3; ++s) {
      for (const char* padding : {"valid", "same"}) {
        for (int64_t size : {int64_t{9}, int64_t{10}}) {
          sweep({size, size, 3, 8, k, {.strides = s, .padding = padding}}, seed++);
        }
      }
    }
  }
}

TEST_CASE("dilation 2 and 3, valid and same, odd and even sizes", "[conv2d][numerics]") {
  uint64_t seed = 1000;
  for (int d : {2, 3}) {
    for (int k : {2, 3, 5}) {
      for (const char* padding : {"valid", "same"}) {
        for (int64_t size : {int64_t{13}, int64_t{14}}) {
          sweep({size, size, 4, 8, k, {.padding = padding, .dilation_rate = d}}, seed++);
        }
      }
    }
  }
  // Different dilation along each axis.
  check({12, 11, 4, 8, 3, {.padding = "same", .dilation_rate = {1, 3}}}, seed++);
  check({12, 11, 4, 8, {3, 2}, {.padding = "valid", .dilation_rate = {2, 1}}}, seed++);
}

TEST_CASE("asymmetric kernels, strides and inputs", "[conv2d][numerics]") {
  uint64_t seed = 2000;
  const strata::Size2 kernels[] = {{1, 3}, {3, 1}, {2, 5}, {5, 2}, {1, 7}, {7, 1}};
  const strata::Size2 strides[] = {{1, 2}, {2, 1}, {3, 2}, {2, 3}};
  for (const strata::Size2& k : kernels) {
    for (const strata::Size2& s : strides) {
      for (const char* padding : {"valid", "same"}) {
        sweep({11, 8, 3, 6, k, {.strides = s, .padding = padding}}, seed++);
      }
    }
  }
  // A window as large as the input gives a 1x1 output.
  check({5, 7, 3, 4, {5, 7}, {.padding = "valid"}}, seed++);
  check({5, 7, 3, 4, {5, 7}, {.padding = "same"}}, seed++);
  // Strides larger than the kernel skip pixels.
  check({10, 10, 3, 4, 1, {.strides = 3, .padding = "valid"}}, seed++);
  check({10, 10, 3, 4, 2, {.strides = 3, .padding = "same"}}, seed++);
}

TEST_CASE("grouped and depthwise-like convolutions", "[conv2d][numerics]") {
  uint64_t seed = 3000;
  for (const char* padding : {"valid", "same"}) {
    for (int s : {1, 2}) {
      check({9, 10, 8, 8, 3, {.strides = s, .padding = padding, .groups = 2}}, seed++);
      check({9, 10, 8, 12, 3, {.strides = s, .padding = padding, .groups = 4}}, seed++);
      check({9, 10, 16, 16, 3, {.strides = s, .padding = padding, .groups = 4}}, seed++);
      // groups == channels: each channel convolved on its own (depthwise), with multiplier 1 and 2.
      check({9, 10, 8, 8, 3, {.strides = s, .padding = padding, .groups = 8}}, seed++);
      check({9, 10, 8, 16, 3, {.strides = s, .padding = padding, .groups = 8}}, seed++);
      check({9, 10, 3, 3, 5, {.strides = s, .padding = padding, .groups = 3}}, seed++);
    }
  }
  check({12, 12, 8, 8, 3, {.padding = "same", .dilation_rate = 2, .groups = 8}}, seed++);
  check({12, 12, 8, 8, {1, 5}, {.padding = "same", .groups = 2, .activation = "relu"}}, seed++);
}

TEST_CASE("use_bias false", "[conv2d][numerics]") {
  uint64_t seed = 4000;
  for (const char* activation : {"linear", "relu", "sigmoid"}) {
    check({9, 9, 4, 8, 3, {.padding = "same", .activation = activation, .use_bias = false}}, seed++);
    check({10, 10, 4, 8, 1, {.strides = 2, .activation = activation, .use_bias = false}}, seed++);
    check({10, 10, 8, 8, 3, {.groups = 8, .activation = activation, .use_bias = false}}, seed++);
  }
}

TEST_CASE("every activation, fused and unfused", "[conv2d][numerics][activation]") {
  const char* names[] = {"linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax",
                         "elu", "selu", "gelu", "swish", "silu", "softplus", "leaky_relu"};
  uint64_t seed = 5000;
  for (const char* name : names) {
    // Kernel values in [-1, 1) over 3*3*4 inputs spread the pre-activations over about [-6, 6], across every
    // activation's bends and into relu6's and hard_sigmoid's saturation.
    const ConvCase c{8, 9, 4, 8, 3, {.padding = "same", .activation = name}};
    check(c, seed++);
    check({8, 9, 4, 6, 3, {.strides = 2, .groups = 2, .activation = name}}, seed++);

    // The fused plan carries the activation as a post-op: one primitive, or conv + softmax.
    INFO("activation " << name);
    strata::Model model = conv_model(c);
    const std::string fused = model.compile().plan_string(1);
    INFO(fused);
    const std::string activation = std::string(name) == "silu" ? "swish" : name;
    if (activation == "softmax") {
      CHECK(fused.find("2 steps") != std::string::npos);
      CHECK(fused.find("softmax") != std::string::npos);
    } else if (activation == "linear") {
      CHECK(fused.find("1 step\n") != std::string::npos);
    } else {
      CHECK(fused.find("1 step\n") != std::string::npos);
      CHECK(fused.find("conv + " + activation) != std::string::npos);
    }
  }
}

TEST_CASE("larger channel counts take oneDNN's blocked fast paths", "[conv2d][numerics]") {
  uint64_t seed = 6000;
  check({8, 8, 32, 64, 3, {.padding = "same", .activation = "relu"}}, seed++);
  check({8, 8, 64, 32, 1, {.strides = 2}}, seed++);
  check({9, 9, 17, 19, 3, {.padding = "same"}}, seed++);
  check({7, 7, 32, 32, 3, {.groups = 32, .activation = "relu6"}}, seed++);
}
