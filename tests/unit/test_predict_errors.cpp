// Bad input to predict and bad compile options: each is a strata error of the right type whose message
// names the input and both shapes, and the model works as before afterwards.
#include <string>

#include "message_matcher.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
using Catch::Message;

namespace {

struct TwoInputs {
  strata::Model model;
  strata::Tensor image, vector;
};

// Inputs named so that messages can be checked exactly: an image and a vector of per-channel offsets.
TwoInputs two_input_model(const std::string& tag) {
  auto image = strata::Input({6, 6, 3}, "image_" + tag);
  auto offsets = strata::Input({4}, "offsets_" + tag);
  auto x = L::Conv2D(4, 3, {.padding = "same"})(image);
  strata::Model model({image, offsets}, L::add({x, offsets}), "two_" + tag);
  randomize_weights(model, 1);
  return {model, random_input({2, 6, 6, 3}, 2), random_input({2, 4}, 3)};
}

}  // namespace

TEST_CASE("a wrong number of tensors is a ValueError listing the inputs", "[predict][errors]") {
  TwoInputs m = two_input_model("count");
  const std::vector<strata::Tensor> good{m.image, m.vector};
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    const strata::CompiledModel compiled = m.model.compile({.backend = backend});
    const strata::Tensor answer = compiled.predict(good).front();
    REQUIRE_THROWS_MATCHES(compiled.predict(std::vector<strata::Tensor>{m.image}), strata::ValueError,
                           Message("[predict] Model \"two_count\" expects 2 input tensors ('image_count' (None, 6, 6, 3), "
                                   "'offsets_count' (None, 4)), received 1 ((2, 6, 6, 3))"));
    REQUIRE_THROWS_MATCHES(compiled.predict({m.image, m.vector, m.vector}), strata::ValueError,
                           Message("[predict] Model \"two_count\" expects 2 input tensors ('image_count' (None, 6, 6, 3), "
                                   "'offsets_count' (None, 4)), received 3 ((2, 6, 6, 3), (2, 4), (2, 4))"));
    REQUIRE_THROWS_AS(compiled.predict(std::vector<strata::Tensor>{}), strata::ValueError);
    // The single-tensor overload on a two-input model counts the same way.
    REQUIRE_THROWS_AS(compiled.predict(m.image), strata::ValueError);
    CHECK(compiled.predict(good).front() == answer);
  }
  REQUIRE_THROWS_AS(m.model.predict(m.image), strata::ValueError);

  // The single-tensor overload on a model with two outputs says to use the vector one.
  auto x = strata::Input({4, 4, 2}, "x_outputs");
  strata::Model two_outputs(x, {L::Conv2D(2, 1)(x), L::Conv2D(3, 1)(x)}, "two_outputs");
  REQUIRE_THROWS_MATCHES(two_outputs.compile().predict(random_input({1, 4, 4, 2}, 4)), strata::ValueError,
                         MessageThat(Catch::Contains("two_outputs") && Catch::Contains("2 outputs")));
  REQUIRE_THROWS_AS(two_outputs.predict(random_input({1, 4, 4, 2}, 4)), strata::ValueError);
  CHECK(two_outputs.predict(std::vector<strata::Tensor>{random_input({1, 4, 4, 2}, 4)}).size() == 2);
}

TEST_CASE("a wrong rank or wrong non-batch dimensions is a ShapeError naming the input and both shapes",
          "[predict][errors]") {
  TwoInputs m = two_input_model("shape");
  const std::vector<strata::Tensor> good{m.image, m.vector};
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    const strata::CompiledModel compiled = m.model.compile({.backend = backend});
    const strata::Tensor answer = compiled.predict(good).front();
    // Rank 3 instead of 4 (the batch forgotten), rank 5, and rank 0.
    REQUIRE_THROWS_MATCHES(compiled.predict({random_input({6, 6, 3}, 5), m.vector}), strata::ShapeError,
                           Message("[predict] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received (6, 6, 3)"));
    REQUIRE_THROWS_MATCHES(compiled.predict({random_input({1, 2, 6, 6, 3}, 5), m.vector}), strata::ShapeError,
                           Message("[predict] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received "
                                   "(1, 2, 6, 6, 3)"));
    REQUIRE_THROWS_MATCHES(compiled.predict({m.image, strata::Tensor()}), strata::ShapeError,
                           Message("[predict] Input 1 ('offsets_shape') expected shape (None, 4), received ()"));
    // Wrong height, width, channels.
    REQUIRE_THROWS_MATCHES(compiled.predict({random_input({2, 7, 6, 3}, 6), m.vector}), strata::ShapeError,
                           Message("[predict] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received (2, 7, 6, 3)"));
    REQUIRE_THROWS_MATCHES(compiled.predict({random_input({2, 6, 5, 3}, 6), m.vector}), strata::ShapeError,
                           Message("[predict] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received (2, 6, 5, 3)"));
    REQUIRE_THROWS_MATCHES(compiled.predict({m.image, random_input({2, 3}, 6)}), strata::ShapeError,
                           Message("[predict] Input 1 ('offsets_shape') expected shape (None, 4), received (2, 3)"));
    // NCHW instead of NHWC.
    REQUIRE_THROWS_MATCHES(compiled.predict({random_input({2, 3, 6, 6}, 7), m.vector}), strata::ShapeError,
                           Message("[predict] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received (2, 3, 6, 6)"));
    CHECK(compiled.predict(good).front() == answer);
  }
  // Model::predict and plan_string check the same way.
  REQUIRE_THROWS_AS(m.model.predict({random_input({2, 6, 6, 4}, 8), m.vector}), strata::ShapeError);
  REQUIRE_THROWS_MATCHES(m.model.compile().plan_string({{1, 6, 6, 4}, {1, 4}}), strata::ShapeError,
                         Message("[plan_string] Input 0 ('image_shape') expected shape (None, 6, 6, 3), received "
                                 "(1, 6, 6, 4)"));
}

TEST_CASE("an empty batch or a zero dimension is a ShapeError", "[predict][errors]") {
  auto inputs = strata::Input({strata::None, strata::None, 3}, "any_size");
  strata::Model model(inputs, L::Conv2D(2, 1)(inputs), "any");
  randomize_weights(model, 9);
  const strata::Tensor good = random_input({1, 4, 4, 3}, 10);
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    const strata::CompiledModel compiled = model.compile({.backend = backend});
    const strata::Tensor answer = compiled.predict(good);
    REQUIRE_THROWS_MATCHES(compiled.predict(strata::Tensor::zeros({0, 4, 4, 3})), strata::ShapeError,
                           Message("[predict] Input 0 ('any_size') is empty: expected shape (None, None, None, 3) with "
                                   "at least one sample and no zero dimensions, received (0, 4, 4, 3)"));
    REQUIRE_THROWS_MATCHES(compiled.predict(strata::Tensor::zeros({1, 0, 4, 3})), strata::ShapeError,
                           Message("[predict] Input 0 ('any_size') is empty: expected shape (None, None, None, 3) with "
                                   "at least one sample and no zero dimensions, received (1, 0, 4, 3)"));
    REQUIRE_THROWS_AS(compiled.predict(strata::Tensor::zeros({0, 4, 4, 3}), {.batch_size = 2}), strata::ShapeError);
    CHECK(compiled.predict(good) == answer);
  }
  // An image smaller than the window is the layer's ShapeError, found when the plan is compiled.
  auto big_window = strata::Input({strata::None, strata::None, 3}, "small_image");
  strata::Model windowed(big_window, L::Conv2D(2, 5, {.name = "five_by_five"})(big_window));
  REQUIRE_THROWS_MATCHES(windowed.predict(strata::Tensor::zeros({1, 4, 9, 3})), strata::ShapeError,
                         MessageThat(Catch::StartsWith("[five_by_five (Conv2D)]") && Catch::Contains("4")));
  CHECK(windowed.predict(strata::Tensor::zeros({1, 5, 9, 3})).dims() == std::vector<int64_t>{1, 1, 5, 2});
}

TEST_CASE("inputs with different batch sizes are a ShapeError naming both inputs and shapes", "[predict][errors]") {
  TwoInputs m = two_input_model("batch");
  const std::vector<strata::Tensor> good{m.image, m.vector};
  const strata::CompiledModel compiled = m.model.compile();
  const strata::Tensor answer = compiled.predict(good).front();
  REQUIRE_THROWS_MATCHES(compiled.predict({m.image, random_input({3, 4}, 11)}), strata::ShapeError,
                         Message("[predict] All inputs must have the same batch size; input 0 ('image_batch') has shape "
                                 "(2, 6, 6, 3), input 1 ('offsets_batch') has shape (3, 4)"));
  REQUIRE_THROWS_AS(compiled.predict({m.image, random_input({1, 4}, 11)}, {.batch_size = 1}), strata::ShapeError);
  CHECK(compiled.predict(good).front() == answer);
  CHECK(m.model.predict(good).front() == answer);
}

TEST_CASE("a negative batch_size is a ValueError", "[predict][errors]") {
  TwoInputs m = two_input_model("slices");
  REQUIRE_THROWS_MATCHES(m.model.predict({m.image, m.vector}, {.batch_size = -1}), strata::ValueError,
                         Message("[predict] Expected batch_size >= 0 (0 means the whole batch), received -1"));
  CHECK(m.model.predict({m.image, m.vector}, {.batch_size = 1}) == m.model.predict({m.image, m.vector}));
}

TEST_CASE("unknown backend or precision and negative num_threads are ValueErrors at compile", "[compile][errors]") {
  TwoInputs m = two_input_model("options");
  const std::vector<strata::Tensor> good{m.image, m.vector};
  const strata::Tensor answer = m.model.predict(good).front();
  REQUIRE_THROWS_MATCHES(m.model.compile({.backend = "cuda"}), strata::ValueError,
                         Message("[compile] Unknown backend 'cuda'. Expected one of: onednn, reference"));
  REQUIRE_THROWS_MATCHES(m.model.compile({.backend = "oneDNN"}), strata::ValueError,
                         Message("[compile] Unknown backend 'oneDNN'. Expected one of: onednn, reference"));
  REQUIRE_THROWS_MATCHES(m.model.compile({.precision = "float16"}), strata::ValueError,
                         MessageThat(Catch::StartsWith("[compile] ") && Catch::Contains("precision 'float16'") &&
                                     Catch::Contains("Expected one of: float32")));
  REQUIRE_THROWS_MATCHES(m.model.compile({.num_threads = -1}), strata::ValueError,
                         Message("[compile] Expected num_threads >= 0 (0 means all cores), received -1"));
  // Every strata error is a strata::Error and a std::runtime_error.
  REQUIRE_THROWS_AS(m.model.compile({.backend = ""}), strata::Error);
  REQUIRE_THROWS_AS(m.model.compile({.backend = ""}), std::runtime_error);
  CHECK(m.model.predict(good).front() == answer);
  CHECK(max_relative_error(m.model.compile({.num_threads = 1}).predict(good).front(), answer) <=
        float32_tolerance(3 * 3 * 3 + 2));
}

// Issue 13, item 5: with non_finite = "error" a pass meeting NaN or an infinity is refused, naming where it
// is; by default it gives Keras's NaN (test_layer_numerics "NaN gives Keras's values on both backends").
TEST_CASE("non_finite = \"error\": NaN or infinite inputs and weights are ValueErrors naming where",
          "[predict][errors][nan]") {
  TwoInputs m = two_input_model("non_finite");
  const std::vector<strata::Tensor> good{m.image, m.vector};
  const strata::CompiledModel strict = m.model.compile({.non_finite = "error"});
  const strata::Tensor answer = strict.predict(good).front();
  strata::Tensor bad = m.vector;
  bad.data()[1 * 4 + 2] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_MATCHES(
      strict.predict({m.image, bad}), strata::ValueError,
      Message("[predict] Input 1 ('offsets_non_finite') holds nan at index (1, 2); expected finite values "
              "(compiled with non_finite = \"error\"; \"keras\" computes Keras's answer instead)"));
  strata::Tensor infinite = m.image;
  infinite.data()[5] = -std::numeric_limits<float>::infinity();
  REQUIRE_THROWS_MATCHES(strict.predict({infinite, m.vector}), strata::ValueError,
                         MessageThat(Catch::StartsWith("[predict] Input 0 ('image_non_finite') holds -inf at "
                                                       "index (0, 0, 1, 2); expected finite values")));
  // Slices are checked as they run; the default gives NaN where Keras does.
  REQUIRE_THROWS_AS(strict.predict({m.image, bad}, {.batch_size = 1}), strata::ValueError);
  const strata::Tensor nan_out = m.model.predict({m.image, bad}).front();  // (2, 6, 6, 4)
  CHECK(std::isnan(nan_out.data()[6 * 6 * 4 + 2]));                        // sample 1, channel 2
  CHECK_FALSE(std::isnan(nan_out.data()[2]));
  CHECK(strict.predict(good).front() == answer);

  REQUIRE_THROWS_MATCHES(m.model.compile({.non_finite = "ignore"}), strata::ValueError,
                         Message("[compile] Unknown non_finite 'ignore'. Expected one of: keras, error"));

  strata::Layer conv = m.model.layers()[1];
  std::vector<strata::Tensor> weights = conv.get_weights();
  weights[0].data()[7] = std::numeric_limits<float>::infinity();
  conv.set_weights(weights);
  REQUIRE_THROWS_MATCHES(
      strict.predict(good), strata::ValueError,
      Message(
          std::string("[predict] Layer '") + conv.name() +
          "' has a NaN or infinite weight; expected finite weights (compiled with non_finite = \"error\"; "
          "\"keras\" computes Keras's answer instead)"));
}
