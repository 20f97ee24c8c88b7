// Fused post-op chains (activation, sum, activation) must compute what the unfused ops compute. oneDNN 2.6
// gave wrong numbers for an eltwise before the sum, so the compiler only fuses a residual add into a conv
// with no post-ops yet; these cases pin that down for every activation on each side of the add.
#include "numerics_util.hpp"

using namespace strata_test;

TEST_CASE("Dense on an image: activations before and after a fused residual add", "[fusion][numerics]") {
  // The oneDNN backend runs a Dense on a rank-4 input as a 1x1 convolution, which takes the residual sum as
  // a post-op (ConvNeXt's blocks); on a sequence (rank 3) the Dense is an inner product and the add stays.
  for (const std::string a : {"linear", "relu", "gelu", "swish"}) {
    for (const std::string b : {"linear", "relu", "tanh"}) {
      INFO("dense activation " << a << ", after the add " << b);
      auto in = strata::Input({5, 5, 8});
      auto x = L::Conv2D(8, 3, {.padding = "same"})(in);
      auto y = L::Dense(8, {.activation = a})(L::Dense(24)(x));
      strata::Model model(in, L::Activation(b)(L::add({x, y})));
      randomize_weights_keeping_scale(model, 9);
      const std::string plan = model.compile().plan_string(1);
      INFO(plan);
      // The add fuses when nothing stands between it and the Dense, as for a convolution.
      if (a == "linear") CHECK(plan.find("dense + sum") != std::string::npos);
      check_against_reference(model, {random_input({2, 5, 5, 8}, 10)}, float32_tolerance(72 + 24));
    }
  }
  auto seq = strata::Input({6, 8});
  auto s = L::Conv1D(8, 3, {.padding = "same"})(seq);
  strata::Model sequence(seq, L::add({s, L::Dense(8)(s)}));
  randomize_weights_keeping_scale(sequence, 11);
  const std::string plan = sequence.compile().plan_string(1);
  INFO(plan);
  CHECK(plan.find("dense + sum") == std::string::npos);
  CHECK(plan.find(" add ") != std::string::npos);
  check_against_reference(sequence, {random_input({2, 6, 8}, 12)}, float32_tolerance(24 + 8));
}

TEST_CASE("conv activations before and after a fused residual add", "[fusion][numerics]") {
  const std::vector<std::string> branch = {"linear", "relu", "relu6", "hard_sigmoid", "selu", "sigmoid", "swish"};
  const std::vector<std::string> after = {"linear", "relu", "relu6", "tanh", "hard_sigmoid", "gelu"};
  for (const std::string& a : branch) {
    for (const std::string& b : after) {
      for (bool average : {false, true}) {
        INFO("branch activation " << a << ", after the merge " << b << (average ? ", average" : ", add"));
        auto in = strata::Input({6, 6, 4});
        auto left = L::Conv2D(4, 1)(in);
        auto right = L::Conv2D(4, 3, {.padding = "same", .activation = a})(in);
        auto merged = average ? L::average({left, right}) : L::add({left, right});
        strata::Model model(in, L::Activation(b)(merged));
        randomize_weights_keeping_scale(model, 7);
        check_against_reference(model, {random_input({2, 6, 6, 4}, 8)}, float32_tolerance(36));
      }
    }
  }
}
