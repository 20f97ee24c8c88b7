// User-defined layers: shape rule, weights, kernel, errors, and agreement between the backends.
#include "test_util.hpp"

#include "message_matcher.hpp"

using namespace strata_test;

namespace {

// y = x0 * a + x1, with a learnable scalar a; takes two inputs of one shape.
class ScaledSum : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "ScaledSum"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    if (inputs.size() != 2 || inputs[0] != inputs[1]) throw strata::ShapeError("Expected two inputs of one shape");
    return inputs[0];
  }
  std::vector<strata::WeightSpec> build(const std::vector<strata::Shape>&) const override {
    return {{"a", strata::Tensor({1}, {2.0f}), false}};
  }
  void call(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>& w,
            strata::Tensor& out) const override {
    for (int64_t i = 0; i < out.size(); ++i) out.data()[i] = in[0]->data()[i] * w[0]->data()[0] + in[1]->data()[i];
  }
};

// A broken kernel that resizes its output.
class Resizer : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "Resizer"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override { return inputs[0]; }
  void call(const std::vector<const strata::Tensor*>&, const std::vector<const strata::Tensor*>&,
            strata::Tensor& out) const override {
    out = strata::Tensor::zeros({1});
  }
};

}  // namespace

TEST_CASE("a custom layer with two inputs and a non-trainable weight", "[custom]") {
  strata::clear_session();
  auto a = strata::Input({4, 4, 2});
  auto b = strata::Input({4, 4, 2});
  strata::CustomLayer layer(std::make_shared<ScaledSum>());
  auto y = layer({L::Conv2D(2, 1)(a), b});
  strata::Model model({a, b}, y);
  CHECK(layer.name() == "scaled_sum");
  CHECK(model.count_params() == 4 + 2 + 1);
  CHECK(model.count_trainable_params() == 6);
  const auto xa = strata::Tensor::random_uniform({3, 4, 4, 2}, 1), xb = strata::Tensor::random_uniform({3, 4, 4, 2}, 2);
  CHECK(onednn_vs_reference(model, {xa, xb}) < float32_tolerance(2));
  layer.set_weights({strata::Tensor({1}, {0.0f})});
  CHECK(model.predict({xa, xb})[0] == xb);  // a = 0 leaves x1, and the plan saw the new weight
}

TEST_CASE("custom layer errors name the layer", "[custom][errors]") {
  auto a = strata::Input({4});
  auto b = strata::Input({5});
  strata::CustomLayer layer(std::make_shared<ScaledSum>(), {.name = "mix"});
  REQUIRE_THROWS_MATCHES(layer({a, b}), strata::ShapeError,
                         MessageThat(Catch::StartsWith("[mix (ScaledSum)] Expected two inputs of one shape")));
  CHECK_THROWS_AS(strata::CustomLayer(nullptr), strata::ValueError);

  auto in = strata::Input({3});
  strata::Model broken(in, strata::CustomLayer(std::make_shared<Resizer>())(in));
  REQUIRE_THROWS_MATCHES(broken.predict(strata::Tensor::zeros({2, 3})), strata::ValueError,
                         MessageThat(Catch::Contains("changed the output's shape")));
}
