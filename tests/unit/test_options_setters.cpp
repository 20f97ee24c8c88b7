// Every options struct's chainable setters (issue 16: Keras code writes arguments in any order, designated
// initializers only in declaration order): the same layer as the designated form, in any order.
#include <nlohmann/json.hpp>

#include "numerics_util.hpp"

namespace L = strata::layers;

TEST_CASE("chainable setters give the layer designated initializers give, in any order", "[options]") {
  const L::BatchNormalization chained(
      L::BatchNormalizationOptions{}.set_epsilon(1e-3f).set_momentum(0.999f).set_center(false).set_name(
          "bn1"));
  const L::BatchNormalization designated(
      {.momentum = 0.999f, .epsilon = 1e-3f, .center = false, .name = "bn2"});
  auto config = [](const strata::Layer& l) {
    nlohmann::json j = nlohmann::json::parse(l.get_config());
    j.erase("name");
    return j;
  };
  CHECK(config(chained) == config(designated));
  CHECK(chained.name() == "bn1");

  const L::Conv2D conv(
      8, 3, L::Conv2DOptions{}.set_use_bias(false).set_activation("relu").set_strides(2).set_padding("same"));
  const L::Conv2D same(8, 3, {.strides = 2, .padding = "same", .activation = "relu", .use_bias = false});
  CHECK(config(conv) == config(same));

  // A setter returns the struct itself, so a named struct can be built up step by step too.
  L::DenseOptions options;
  options.set_activation("tanh").set_use_bias(false);
  CHECK(options.activation == "tanh");
  CHECK_FALSE(options.use_bias);

  auto x = strata::Input({4}, strata::InputOptions{}.set_dtype("float32").set_name("features"));
  CHECK(x.layer().name() == "features");
  const strata::Model model = strata::applications::ResNet50(
      strata::applications::ResNet50Options{}.set_pooling("avg").set_include_top(false).set_input_shape(
          {32, 32, 3}));
  CHECK(model.outputs().front().shape().to_string() == "(None, 2048)");
}
