// Fused post-op chains (activation, sum, activation) must compute what the unfused ops compute. oneDNN 2.6
// gave wrong numbers for an eltwise before the sum, so the compiler only fuses a residual add into a conv
// with no post-ops yet; these cases pin that down for every activation on each side of the add.
#include "numerics_util.hpp"

using namespace strata_test;

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
