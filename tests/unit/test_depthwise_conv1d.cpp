// DepthwiseConv1D and SeparableConv1D: shapes, errors, weights, and values against tfjs. tfjs has neither
// class, so it computes the same layer written in 2D (a (1, steps) image, a (1, k) kernel: the definition
// Keras's own 1D layers expand to), with the same weights; and a dilated case worked by hand.
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using Catch::Matchers::Contains;

namespace {

// The 2D twin of a 1D model: (steps, C) viewed as (1, steps, C), the 1D layer as its 2D class.
strata::Model twin(int steps, int channels,
                   const std::function<strata::SymbolicTensor(strata::SymbolicTensor)>& f) {
  auto x = strata::Input({steps, channels});
  auto y = f(L::Reshape({1, steps, channels})(x));
  return strata::Model(x, L::Reshape({-1, *y.shape()[3]})(y));
}

// Copies every weight of `from`'s layers into `to`'s layer of the same position, adding a leading 1 axis to
// each kernel (k, ...) -> (1, k, ...): a 1D layer's weights as its 2D twin's.
void copy_as_2d(const strata::Model& from, const strata::Model& to, const std::string& from_layer,
                const std::string& to_layer) {
  std::vector<strata::Tensor> weights = from.get_layer(from_layer).get_weights();
  for (strata::Tensor& w : weights) {
    if (w.dims().size() < 2) continue;
    std::vector<int64_t> dims = w.dims();
    dims.insert(dims.begin(), 1);
    w = strata::Tensor(dims, std::vector<float>(w.data(), w.data() + w.size()));
  }
  to.get_layer(to_layer).set_weights(weights);
}

}  // namespace

TEST_CASE("DepthwiseConv1D and SeparableConv1D: shapes, weights and errors", "[depthwise_conv1d]") {
  auto x = strata::Input({12, 4});
  L::DepthwiseConv1D dw(3, {.strides = 2, .padding = "same", .depth_multiplier = 2});
  CHECK(dw(x).shape().to_string() == "(None, 6, 8)");
  CHECK(dw.get_weights()[0].dims() == std::vector<int64_t>{3, 4, 2});
  CHECK(dw.get_weights()[1].dims() == std::vector<int64_t>{8});
  CHECK(dw.name().rfind("depthwise_conv1d", 0) == 0);
  L::SeparableConv1D sep(5, 4, {.dilation_rate = 2});
  CHECK(sep(x).shape().to_string() == "(None, 6, 5)");
  const auto w = sep.get_weights();
  CHECK(w[0].dims() == std::vector<int64_t>{4, 4, 1});
  CHECK(w[1].dims() == std::vector<int64_t>{1, 4, 5});
  CHECK(w[2].dims() == std::vector<int64_t>{5});
  CHECK(sep.name().rfind("separable_conv1d", 0) == 0);
  CHECK_THROWS_MATCHES(
      L::DepthwiseConv1D(3, {.padding = "causal", .name = "d"}), strata::ValueError,
      MessageThat(Contains("[d (DepthwiseConv1D)] Unknown padding 'causal'. Expected one of: valid, same")));
  CHECK_THROWS_MATCHES(
      L::DepthwiseConv1D(3, {.depth_multiplier = 0, .name = "d"}), strata::ValueError,
      MessageThat(Contains("[d (DepthwiseConv1D)] Expected a positive depth_multiplier, received 0")));
  CHECK_THROWS_MATCHES(
      L::SeparableConv1D(0, 3, {.name = "s"}), strata::ValueError,
      MessageThat(Contains("[s (SeparableConv1D)] Expected a positive filters, received 0")));
  CHECK_THROWS_MATCHES(L::SeparableConv1D(2, 5, {.name = "s"})(strata::Input({4, 3})), strata::ShapeError,
                       MessageThat(Contains("[s (SeparableConv1D)] Output steps would be 0")));
}

TEST_CASE("DepthwiseConv1D with dilation, worked by hand", "[depthwise_conv1d][numerics]") {
  // Two channels, kernel [1, 10] per channel (channel 1: [2, 20]), dilation 2, valid: y_t = k0 x_t + k1
  // x_{t+2}.
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    auto x = strata::Input({4, 2});
    L::DepthwiseConv1D layer(2, {.dilation_rate = 2, .use_bias = false});
    strata::Model model(x, layer(x));
    layer.set_weights({strata::Tensor({2, 2, 1}, {1, 2, 10, 20})});
    const strata::Tensor y =
        model.compile({.backend = backend}).predict(strata::Tensor({1, 4, 2}, {1, -1, 2, -2, 3, -3, 4, -4}));
    REQUIRE(y.dims() == std::vector<int64_t>{1, 2, 2});
    CHECK(std::vector<float>(y.data(), y.data() + 4) == std::vector<float>{31, -62, 42, -84});
  }
}

TEST_CASE("DepthwiseConv1D and SeparableConv1D equal tfjs's 2D twins", "[depthwise_conv1d][tfjs]") {
  struct Case {
    const char* padding;
    int stride, dilation, dm;
    bool separable;
  };
  const Case cases[] = {{"valid", 1, 1, 1, false}, {"same", 2, 1, 2, false}, {"same", 1, 1, 3, false},
                        {"valid", 2, 1, 2, true},  {"same", 1, 2, 1, true},  {"same", 3, 1, 2, true}};
  std::vector<TfjsCase> runs;
  std::vector<strata::Model> ours;
  uint64_t seed = 1;
  for (const Case& c : cases) {
    auto x = strata::Input({11, 3});
    strata::SymbolicTensor y = c.separable ? L::SeparableConv1D(4, 3,
                                                                {.strides = c.stride,
                                                                 .padding = c.padding,
                                                                 .dilation_rate = c.dilation,
                                                                 .depth_multiplier = c.dm,
                                                                 .activation = "tanh",
                                                                 .name = "layer"})(x)
                                           : L::DepthwiseConv1D(3, {.strides = c.stride,
                                                                    .padding = c.padding,
                                                                    .depth_multiplier = c.dm,
                                                                    .dilation_rate = c.dilation,
                                                                    .activation = "relu",
                                                                    .name = "layer"})(x);
    strata::Model model(x, y);
    randomize_weights(model, seed++);
    strata::Model model2d = twin(11, 3, [&](auto t) {
      return c.separable ? L::SeparableConv2D(4, {1, 3},
                                              {.strides = {1, c.stride},
                                               .padding = c.padding,
                                               .dilation_rate = {1, c.dilation},
                                               .depth_multiplier = c.dm,
                                               .activation = "tanh",
                                               .name = "layer"})(t)
                         : L::DepthwiseConv2D({1, 3}, {.strides = {1, c.stride},
                                                       .padding = c.padding,
                                                       .depth_multiplier = c.dm,
                                                       .dilation_rate = {1, c.dilation},
                                                       .activation = "relu",
                                                       .name = "layer"})(t);
    });
    copy_as_2d(model, model2d, "layer", "layer");
    runs.push_back({model2d, {random_input({2, 11, 3}, seed++)}});
    ours.push_back(model);
  }
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    INFO("case " << i);
    REQUIRE(results[i].refused.empty());
    const strata::Tensor got = ours[i].predict(runs[i].inputs[0]);
    CHECK(scaled_error(got, results[i].outputs[0]) <= 2 * float32_tolerance(3 * 3 * 3));
  }
}
