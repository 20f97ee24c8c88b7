// Composite layers: a layer whose call composes strata layers and ops (Keras's subclassed layer), compiled
// like the layers it is made of. Checked against values worked by hand in double, against the same model
// written flat (bitwise, and the same plan), against the reference executor, and through weight files.
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "message_matcher.hpp"
#include "test_util.hpp"

#include "graph/functional.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
namespace ops = strata::ops;

namespace {

// EfficientNet's squeeze-and-excitation, as a Keras user subclasses it:
//   self.reduce = Conv2D(reduced, 1, activation="swish"); self.expand = Conv2D(channels, 1, "sigmoid")
//   call(x): x * expand(reduce(mean(x, axis=(1, 2), keepdims=True)))
class SqueezeExcite : public strata::CompositeLayerDefinition {
 public:
  SqueezeExcite(int64_t channels, int64_t reduced)
      : channels_(channels),
        reduced_(reduced),
        reduce_(track("reduce", L::Conv2D(reduced, 1, {.activation = "swish"}))),
        expand_(track("expand", L::Conv2D(channels, 1, {.activation = "sigmoid"}))) {}
  std::string class_name() const override { return "SqueezeExcite"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override {
    return x * expand_(reduce_(ops::mean(x, {1, 2}, true)));
  }
  std::string get_config() const override {
    return nlohmann::json{{"channels", channels_}, {"reduced", reduced_}}.dump();
  }

 private:
  int64_t channels_, reduced_;
  L::Conv2D reduce_, expand_;
};

std::shared_ptr<const strata::CompositeLayerDefinition> squeeze_excite(int64_t channels, int64_t reduced) {
  return std::make_shared<SqueezeExcite>(channels, reduced);
}

// A residual block holding a list of convolutions and a composite: nesting, list attributes, two inputs.
class ResidualBlock : public strata::CompositeLayerDefinition {
 public:
  explicit ResidualBlock(int64_t channels)
      : convs_(track("convs",
                     std::vector<L::Conv2D>{L::Conv2D(channels, 3, {.padding = "same", .activation = "relu"}),
                                            L::Conv2D(channels, 3, {.padding = "same"})})),
        se_(track("se", strata::CompositeLayer(squeeze_excite(channels, 2)))) {}
  std::string class_name() const override { return "ResidualBlock"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override {
    return ops::relu(x + se_(convs_[1](convs_[0](x))));
  }

 private:
  std::vector<L::Conv2D> convs_;
  strata::CompositeLayer se_;
};

// Two inputs, two outputs: (a + b, a * b).
class SumAndProduct : public strata::CompositeLayerDefinition {
 public:
  std::string class_name() const override { return "SumAndProduct"; }
  std::vector<strata::SymbolicTensor> call_all(const std::vector<strata::SymbolicTensor>& in) const override {
    return {in.at(0) + in.at(1), in.at(0) * in.at(1)};
  }
};

// Uses a Dense it does not track: its weights would belong to nobody.
class Untracked : public strata::CompositeLayerDefinition {
 public:
  std::string class_name() const override { return "Untracked"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override { return L::Dense(3)(x); }
};

// Overrides neither call nor call_all.
class Bodiless : public strata::CompositeLayerDefinition {
 public:
  std::string class_name() const override { return "Bodiless"; }
};

// Uses a tensor of the model around it instead of its input.
class Capturing : public strata::CompositeLayerDefinition {
 public:
  explicit Capturing(strata::SymbolicTensor outside) : outside_(std::move(outside)) {}
  std::string class_name() const override { return "Capturing"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override { return x + outside_; }

 private:
  strata::SymbolicTensor outside_;
};

// conv(x) + x: a broadcast error after the convolution was built, when x has other channels than 8.
class FailsAfterConv : public strata::CompositeLayerDefinition {
 public:
  FailsAfterConv() : conv_(track("conv", L::Conv2D(8, 1))) {}
  std::string class_name() const override { return "FailsAfterConv"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override { return conv_(x) + x; }
  const L::Conv2D& conv() const { return conv_; }

 private:
  L::Conv2D conv_;
};

// Its input as it is: integer inputs stay integers.
class Passthrough : public strata::CompositeLayerDefinition {
 public:
  std::string class_name() const override { return "Passthrough"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override { return x; }
};

// A layer made inside the body (Keras discourages it; it works) beside an op of the same class.
class MakesLayers : public strata::CompositeLayerDefinition {
 public:
  std::string class_name() const override { return "MakesLayers"; }
  strata::SymbolicTensor call(const strata::SymbolicTensor& x) const override {
    const strata::SymbolicTensor doubled = x + x;
    return L::Add()({doubled, x});
  }
};

class TracksTwice : public strata::CompositeLayerDefinition {
 public:
  TracksTwice() {
    track("dense", L::Dense(2));
    track("dense", L::Dense(3));
  }
  std::string class_name() const override { return "TracksTwice"; }
};

// The squeeze-and-excitation in double, from the Keras-layout weights: kernels (1, 1, in, out), biases.
strata::Tensor squeeze_excite_by_hand(const strata::Tensor& x, const std::vector<strata::Tensor>& w) {
  const int64_t n = x.dims()[0], h = x.dims()[1], wd = x.dims()[2], c = x.dims()[3];
  const int64_t r = w[0].dims()[3];
  strata::Tensor out = strata::Tensor::zeros(x.dims());
  for (int64_t b = 0; b < n; ++b) {
    std::vector<double> mean(c, 0.0), reduced(r, 0.0);
    for (int64_t p = 0; p < h * wd; ++p) {
      for (int64_t k = 0; k < c; ++k) mean[k] += x.data()[(b * h * wd + p) * c + k];
    }
    for (double& m : mean) m /= static_cast<double>(h * wd);
    for (int64_t j = 0; j < r; ++j) {
      double s = w[1].data()[j];
      for (int64_t k = 0; k < c; ++k) s += mean[k] * w[0].data()[k * r + j];
      reduced[j] = s / (1.0 + std::exp(-s));  // swish
    }
    for (int64_t k = 0; k < c; ++k) {
      double s = w[3].data()[k];
      for (int64_t j = 0; j < r; ++j) s += reduced[j] * w[2].data()[j * c + k];
      const double gate = 1.0 / (1.0 + std::exp(-s));
      for (int64_t p = 0; p < h * wd; ++p) {
        const int64_t at = (b * h * wd + p) * c + k;
        out.data()[at] = static_cast<float>(x.data()[at] * gate);
      }
    }
  }
  return out;
}

int plan_steps(const strata::Model& model, std::vector<int64_t> dims) {
  return occurrences(model.compile().plan_string({std::move(dims)}), "\n");
}

}  // namespace

TEST_CASE("a composite layer computes its body: squeeze-and-excitation against values by hand",
          "[composite]") {
  strata::clear_session();
  auto x = strata::Input({5, 6, 8});
  strata::CompositeLayer se(squeeze_excite(8, 2));
  strata::Model model(x, se(x));
  CHECK(se.name() == "squeeze_excite");
  CHECK(se.class_name() == "SqueezeExcite");
  CHECK(model.count_params() == (8 * 2 + 2) + (2 * 8 + 8));

  const std::vector<strata::Tensor> w = se.get_weights();
  REQUIRE(w.size() == 4);
  CHECK(w[0].dims() == std::vector<int64_t>{1, 1, 8, 2});  // reduce's kernel, bias, then expand's
  CHECK(w[1].dims() == std::vector<int64_t>{2});
  CHECK(w[2].dims() == std::vector<int64_t>{1, 1, 2, 8});
  CHECK(w[3].dims() == std::vector<int64_t>{8});
  // Larger weights than the initializer's, so that the gates differ from 0.5 by a lot.
  std::vector<strata::Tensor> strong;
  for (size_t i = 0; i < w.size(); ++i)
    strong.push_back(strata::Tensor::random_uniform(w[i].dims(), 70 + i, -2.0f, 2.0f));
  se.set_weights(strong);

  const strata::Tensor input = strata::Tensor::random_uniform({3, 5, 6, 8}, 7, -1.0f, 1.0f);
  const strata::Tensor expected = squeeze_excite_by_hand(input, strong);
  CHECK(max_relative_error(model.predict(input), expected) < float32_tolerance(8));
  CHECK(onednn_vs_reference(model, {input}) < float32_tolerance(8));

  // The check can fail: another input moves the output far beyond the tolerance.
  strata::Tensor moved = input;
  moved.data()[0] += 0.5f;
  CHECK(max_relative_error(model.predict(moved), expected) > 100 * float32_tolerance(8));
}

TEST_CASE("a composite layer compiles exactly as the same layers written in the model", "[composite]") {
  strata::clear_session();
  auto x = strata::Input({strata::None, strata::None, 4});
  L::Conv2D stem(8, 3, {.padding = "same", .activation = "relu"});
  strata::CompositeLayer se(squeeze_excite(8, 2));
  auto y = se(stem(x));
  strata::Model composite(x, L::Conv2D(4, 1)(y) + x);

  // The flat model: the same layers, the body written inline.
  L::Conv2D stem2(8, 3, {.padding = "same", .activation = "relu"}), reduce(2, 1, {.activation = "swish"}),
      expand(8, 1, {.activation = "sigmoid"}), head(4, 1);
  auto f = stem2(x);
  f = f * expand(reduce(ops::mean(f, {1, 2}, true)));
  strata::Model flat(x, head(f) + x);
  flat.set_weights(composite.get_weights());

  CHECK(composite.count_params() == flat.count_params());
  for (int64_t size : {7, 12}) {
    const strata::Tensor input = strata::Tensor::random_uniform({2, size, size, 4}, 3 + size, -1.0f, 1.0f);
    CHECK(composite.predict(input) == flat.predict(input));  // bitwise: one plan
    CHECK(onednn_vs_reference(composite, {input}) < float32_tolerance(72));
  }
  // The same fused steps: the swish and sigmoid ride on their convolutions, the multiply on nothing else.
  CHECK(plan_steps(composite, {2, 9, 9, 4}) == plan_steps(flat, {2, 9, 9, 4}));

  // The summary shows one row for the layer, with the parameters of the layers it holds, and no inner op.
  const std::string summary = composite.summary_string();
  CHECK_THAT(summary, Contains("│ squeeze_excite ") && Contains("│ (SqueezeExcite) ") && Contains(" 42 │"));
  CHECK_THAT(summary, !Contains("mean (Mean)"));
  CHECK_THAT(summary, Contains("add (Add)"));  // the body's ops used names of their own, not the model's
  CHECK(occurrences(summary, "(Multiply)") == 0);
}

TEST_CASE("composite layers nest, track lists, and are shared across calls of different shapes",
          "[composite]") {
  strata::clear_session();
  auto x = strata::Input({strata::None, strata::None, 6});
  strata::CompositeLayer block(std::make_shared<ResidualBlock>(6));
  auto a = block(x);
  auto b = block(L::MaxPooling2D(2)(a));  // the same weights on a smaller map: a second expansion
  strata::Model model(x, {a, b});
  const int64_t convs = 2 * (3 * 3 * 6 * 6 + 6), se = (6 * 2 + 2) + (2 * 6 + 6);
  CHECK(block.count_params() == convs + se);
  CHECK(model.count_params() == convs + se);

  const strata::Tensor input = strata::Tensor::random_uniform({2, 8, 8, 6}, 21, -1.0f, 1.0f);
  const auto out = model.predict(std::vector<strata::Tensor>{input});
  REQUIRE(out.size() == 2);
  CHECK(out[0].dims() == std::vector<int64_t>{2, 8, 8, 6});
  CHECK(out[1].dims() == std::vector<int64_t>{2, 4, 4, 6});
  CHECK(onednn_vs_reference(model, {input}) < float32_tolerance(6 * 9 * 2));

  // The second output is the block applied again to the pooled first: a model of the block alone agrees.
  auto z = strata::Input({4, 4, 6});
  strata::Model alone(z, block(z));
  const strata::Tensor pooled = strata::Model(x, L::MaxPooling2D(2)(x)).predict(out[0]);
  CHECK(max_relative_error(alone.predict(pooled), out[1]) < float32_tolerance(6 * 9 * 2));

  // Keras 3's weight paths: the list under convs/conv2d[_1], the nested layer under se/, its own below.
  const auto dir =
      std::filesystem::temp_directory_path() / ("strata_composite_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "block.weights.h5").string();
  model.save_weights(path);
  std::vector<strata::Tensor> zero;
  for (const auto& t : model.get_weights()) zero.push_back(strata::Tensor::zeros(t.dims()));
  model.set_weights(zero);
  model.load_weights(path);
  CHECK(model.predict(std::vector<strata::Tensor>{input})[1] == out[1]);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a composite layer of two inputs and two outputs", "[composite]") {
  strata::clear_session();
  auto a = strata::Input({3});
  auto b = strata::Input({3});
  strata::CompositeLayer layer(std::make_shared<SumAndProduct>());
  CHECK_THROWS_MATCHES(layer({a, b}), strata::ValueError,
                       MessageThat(StartsWith("[sum_and_product (SumAndProduct)] The layer has 2 outputs")));
  CHECK(layer.impl()->inbound_nodes.empty());  // the refused call left no node behind
  const auto outs = layer.call_all({a, b});
  strata::Model model({a, b}, outs);
  const strata::Tensor x({1, 3}, {1, 2, 3}), y({1, 3}, {4, 5, 6});
  const auto got = model.predict({x, y});
  CHECK(got[0] == strata::Tensor({1, 3}, {5, 7, 9}));
  CHECK(got[1] == strata::Tensor({1, 3}, {4, 10, 18}));
}

TEST_CASE("composite layer weights: trainable, set_weights checks, config and registration", "[composite]") {
  strata::clear_session();
  auto x = strata::Input({4, 4, 8});
  strata::CompositeLayer se(squeeze_excite(8, 2), {.name = "se"});
  strata::Model model(x, se(x));
  CHECK(model.count_trainable_params() == 42);
  se.set_trainable(false);
  CHECK(model.count_trainable_params() == 0);
  CHECK_THAT(model.summary_string(), Contains("Non-trainable params: 42"));

  CHECK_THROWS_MATCHES(
      se.set_weights({}), strata::ValueError,
      MessageThat(StartsWith("[se (SqueezeExcite)] set_weights: expected 4 weight tensors, received 0")));
  auto w = se.get_weights();
  w[2] = strata::Tensor::zeros({1, 1, 2, 7});
  CHECK_THROWS_MATCHES(
      se.set_weights(w), strata::ValueError,
      MessageThat(Contains("weight 2 of layer 'conv2d_1' ('kernel') expected shape (1, 1, 2, 8)")));

  const auto config = nlohmann::json::parse(se.get_config());
  CHECK(config["name"] == "se");
  CHECK(config["channels"] == 8);
  CHECK(config["reduced"] == 2);

  CHECK_THROWS_MATCHES(strata::layer_from_config("SqueezeExcite", se.get_config()), strata::ValueError,
                       MessageThat(Contains("Unknown layer class 'SqueezeExcite'")));
  strata::register_composite_layer("SqueezeExcite", [](const std::string& text) {
    const auto c = nlohmann::json::parse(text);
    return squeeze_excite(c["channels"].get<int64_t>(), c["reduced"].get<int64_t>());
  });
  CHECK_THROWS_MATCHES(strata::register_composite_layer(
                           "SqueezeExcite", [](const std::string&) { return squeeze_excite(1, 1); }),
                       strata::ValueError, MessageThat(Contains("SqueezeExcite")));
  strata::Layer again = strata::layer_from_config("SqueezeExcite", se.get_config());
  CHECK(again.class_name() == "SqueezeExcite");
  CHECK(again.name() == "se");
  auto y = strata::Input({4, 4, 8});
  strata::Model copy(y, strata::detail::call_layer(again.impl(), {y}).front());
  copy.set_weights(model.get_weights());
  const strata::Tensor input = strata::Tensor::random_uniform({1, 4, 4, 8}, 5);
  CHECK(copy.predict(input) == model.predict(input));
}

TEST_CASE("composite layer errors name the layer", "[composite][errors]") {
  strata::clear_session();
  auto x = strata::Input({4, 4, 3});
  CHECK_THROWS_MATCHES(
      strata::CompositeLayer(nullptr), strata::ValueError,
      MessageThat(Equals("[CompositeLayer] Expected a definition, received a null pointer")));
  CHECK_THROWS_MATCHES(TracksTwice(), strata::ValueError,
                       MessageThat(Equals("[track] The attribute 'dense' is tracked twice")));
  CHECK_THROWS_MATCHES(strata::CompositeLayer(std::make_shared<Untracked>())(x), strata::ValueError,
                       MessageThat(StartsWith("[untracked (Untracked)] call() uses layer 'dense_2' (Dense), "
                                              "which has weights but is not tracked")));
  CHECK_THROWS_MATCHES(
      strata::CompositeLayer(std::make_shared<Bodiless>())(x), strata::ValueError,
      MessageThat(StartsWith("[bodiless (Bodiless)] [Bodiless] The definition overrides neither")));
  CHECK_THROWS_MATCHES(
      strata::CompositeLayer(squeeze_excite(3, 1))({x, x}), strata::ValueError,
      MessageThat(Equals("[squeeze_excite (SqueezeExcite)] Expected 1 input, received 2; a layer "
                         "of several inputs overrides call_all")));
  // A shape the body's layers refuse: the message names the composite, then the inner layer.
  auto flat = strata::Input({12});
  CHECK_THROWS_MATCHES(strata::CompositeLayer(squeeze_excite(12, 2), {.name = "se"})(flat), strata::Error,
                       MessageThat(StartsWith("[se (SqueezeExcite)] [")));
  // A tensor from outside the body.
  auto other = strata::Input({4, 4, 3});
  CHECK_THROWS_MATCHES(strata::CompositeLayer(std::make_shared<Capturing>(other), {.name = "cap"})(x),
                       strata::GraphError,
                       MessageThat(StartsWith("[cap (Capturing)] [Model \"cap\"] Graph disconnected")));
  // A failed call leaves a usable layer and nothing in the model's names.
  strata::CompositeLayer se(squeeze_excite(3, 1));
  strata::Model model(x, se(x));
  CHECK(model.predict(strata::Tensor::random_uniform({1, 4, 4, 3}, 1)).dims() ==
        std::vector<int64_t>{1, 4, 4, 3});
}

TEST_CASE("a composite layer in a Sequential, built on its first call", "[composite]") {
  strata::clear_session();
  strata::Sequential model(
      {L::Conv2D(8, 1), strata::CompositeLayer(squeeze_excite(8, 2)), L::GlobalAveragePooling2D()});
  auto x = strata::Input({4, 4, 3});
  strata::Model outer(x, model(x));
  CHECK(outer.count_params() == (3 * 8 + 8) + 42);
  const strata::Tensor input = strata::Tensor::random_uniform({2, 4, 4, 3}, 9);
  CHECK(outer.predict(input).dims() == std::vector<int64_t>{2, 8});
  CHECK(onednn_vs_reference(outer, {input}) < float32_tolerance(8));
  CHECK_THAT(model.summary_string(), Contains("(SqueezeExcite)"));
}

TEST_CASE("composite layers through every call path: types, failed calls, names", "[composite]") {
  strata::clear_session();
  // A Sequential calls its layers through the shape rule, not the handle: the body still sees the type.
  auto ids = strata::Input({5}, strata::InputOptions{.name = "ids", .dtype = "int32"});
  const strata::SymbolicTensor same =
      strata::Sequential({strata::CompositeLayer(std::make_shared<Passthrough>())})(ids);
  CHECK(same.dtype() == strata::DType::kInt32);

  // A body that fails after building a tracked layer leaves it unbuilt, so a right call builds it anew.
  auto definition = std::make_shared<FailsAfterConv>();
  strata::CompositeLayer failing(definition);
  CHECK_THROWS_MATCHES(failing(strata::Input({4, 4, 3})), strata::ShapeError,
                       MessageThat(StartsWith("[fails_after_conv (FailsAfterConv)] [")));
  CHECK(definition->conv().get_weights().empty());
  auto eight = strata::Input({4, 4, 8});
  strata::Model model(eight, failing(eight));
  CHECK(model.count_params() == 8 * 8 + 8);

  // Layers made inside the body and the body's ops draw names from one table: no clash, and the model's
  // own names are untouched.
  auto x = strata::Input({3});
  strata::Model made(x, strata::CompositeLayer(std::make_shared<MakesLayers>())(x));
  CHECK(made.predict(strata::Tensor({1, 3}, {1, 2, 3})) == strata::Tensor({1, 3}, {3, 6, 9}));
  auto after = x + x;
  CHECK(after.node()->layer->name() == "add");
}
