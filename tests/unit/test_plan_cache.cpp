// The plan cache: one plan per concrete input shape, reused while the weights stay, rebuilt when they
// change, several shapes held at once (least recently used dropped first, past the 8 most recent only when
// they hold too much memory or number more than 64).
#include <memory>
#include <string>

#include "graph/functional.hpp"
#include "numerics_util.hpp"
#include "runtime/compiled_model_impl.hpp"

using namespace strata_test;

namespace {

strata::Model small_model() {
  auto inputs = strata::Input({strata::None, strata::None, 3});
  auto x = L::Conv2D(4, 3, {.padding = "same", .activation = "relu"})(inputs);
  auto y = L::Conv2D(4, 1)(inputs);
  return strata::Model(inputs, L::add({x, y}));
}

// The runtime behind a compiled model, made directly so that the test can see which plan each call gets.
std::unique_ptr<strata::detail::CompiledModelImpl> runtime_of(const strata::Model& model,
                                                              strata::CompileOptions options = {}) {
  auto functional = std::static_pointer_cast<const strata::detail::FunctionalImpl>(
      std::shared_ptr<const strata::detail::LayerImpl>(model.impl()));
  return std::make_unique<strata::detail::CompiledModelImpl>(functional.get(), functional, options);
}

std::vector<std::vector<int64_t>> image(int64_t batch, int64_t h, int64_t w) { return {{batch, h, w, 3}}; }

}  // namespace

TEST_CASE("set_weights after a predict changes the next predict's answer", "[cache][runtime]") {
  strata::Model model = small_model();
  randomize_weights(model, 1);
  const strata::Tensor x = random_input({2, 8, 8, 3}, 2);
  for (const char* backend : {"onednn", "reference"}) {
    INFO("backend " << backend);
    const strata::CompiledModel compiled = model.compile({.backend = backend});
    const strata::Tensor before = compiled.predict(x);
    const strata::Tensor before_default = model.predict(x);

    strata::Layer conv = model.layers()[1];
    REQUIRE(conv.class_name() == "Conv2D");
    std::vector<strata::Tensor> w = conv.get_weights();
    for (strata::Tensor& t : w) t = random_input(t.dims(), 3);
    conv.set_weights(w);
    const strata::Tensor after = compiled.predict(x);
    CHECK(after != before);
    CHECK(model.predict(x) != before_default);
    // The rebuilt plan gives what a fresh compile of the new weights gives.
    CHECK(after == model.compile({.backend = backend}).predict(x));
    CHECK(max_relative_error(after, model.compile({.backend = "reference"}).predict(x)) <= float32_tolerance(3 * 3 * 3 + 3));

    // Setting the whole model's weights, and setting the old ones back, give the old answer again.
    std::vector<strata::Tensor> all = model.get_weights();
    conv.set_weights(std::vector<strata::Tensor>(all.begin(), all.begin() + 2));  // unchanged values, new version
    CHECK(compiled.predict(x) == after);
    randomize_weights(model, 1);
    CHECK(compiled.predict(x) == before);
    CHECK(model.predict(x) == before_default);
  }
}

TEST_CASE("a failed set_weights keeps the weights and the plan", "[cache][runtime]") {
  strata::Model model = small_model();
  randomize_weights(model, 5);
  auto runtime = runtime_of(model);
  const strata::Tensor x = random_input({1, 6, 6, 3}, 6);
  const auto plan = runtime->plan_for(image(1, 6, 6));
  const strata::Tensor before = runtime->predict({&x}, {}).front();
  strata::Layer conv = model.layers()[1];
  std::vector<strata::Tensor> w = conv.get_weights();
  w[0] = strata::Tensor::zeros({3, 3, 3, 5});
  CHECK_THROWS_AS(conv.set_weights(w), strata::ValueError);
  CHECK(runtime->plan_for(image(1, 6, 6)) == plan);
  CHECK(runtime->predict({&x}, {}).front() == before);
}

TEST_CASE("the cache holds several shapes", "[cache][runtime]") {
  strata::Model model = small_model();
  randomize_weights(model, 7);
  auto runtime = runtime_of(model);

  // Each shape compiles once; coming back to it finds the same plan.
  const auto a = runtime->plan_for(image(1, 8, 8));
  const auto b = runtime->plan_for(image(2, 8, 8));
  const auto c = runtime->plan_for(image(1, 5, 7));
  CHECK(a != b);
  CHECK(b != c);
  CHECK(runtime->plan_for(image(1, 8, 8)) == a);
  CHECK(runtime->plan_for(image(2, 8, 8)) == b);
  CHECK(runtime->plan_for(image(1, 5, 7)) == c);

  // Answers do not depend on which shapes ran before.
  const strata::Tensor x8 = random_input({2, 8, 8, 3}, 8);
  const strata::Tensor x5 = random_input({1, 5, 7, 3}, 9);
  const strata::Tensor first8 = runtime->predict({&x8}, {}).front();
  const strata::Tensor first5 = runtime->predict({&x5}, {}).front();
  for (int round = 0; round < 3; ++round) {
    CHECK(runtime->predict({&x5}, {}).front() == first5);
    CHECK(runtime->predict({&x8}, {}).front() == first8);
  }

  // The cache is bounded: with `a` used recently and `b` not, new shapes push out `b` first (here with a
  // cap of 8 shapes, whatever they hold).
  const size_t capacity = strata::detail::CompiledModelImpl::kMinCachedShapes;
  REQUIRE(capacity >= 3);
  runtime->set_cache_limits(capacity, capacity, 0);
  runtime->plan_for(image(1, 8, 8));
  runtime->plan_for(image(1, 5, 7));
  for (size_t i = 0; i + 2 < capacity; ++i) runtime->plan_for(image(1, 9 + static_cast<int64_t>(i), 9));
  CHECK(runtime->plan_for(image(1, 8, 8)) == a);
  CHECK(runtime->plan_for(image(1, 5, 7)) == c);
  const auto b_again = runtime->plan_for(image(2, 8, 8));
  CHECK(b_again != b);
  CHECK(runtime->predict({&x8}, {}).front() == first8);

  // New weights: every cached shape is rebuilt on its next use, and only once.
  randomize_weights(model, 10);
  const auto a_new = runtime->plan_for(image(1, 8, 8));
  CHECK(a_new != a);
  CHECK(runtime->plan_for(image(1, 8, 8)) == a_new);
  CHECK(runtime->predict({&x8}, {}).front() != first8);
}

TEST_CASE("a layer shared by two models rebuilds both models' plans", "[cache][runtime]") {
  auto inputs = strata::Input({6, 6, 3});
  L::Conv2D shared(4, 3);
  auto one = strata::Model(inputs, shared(inputs));
  auto two = strata::Model(inputs, L::Conv2D(2, 1)(shared(inputs)));
  randomize_weights(two, 11);
  const strata::Tensor x = random_input({1, 6, 6, 3}, 12);
  const strata::CompiledModel c1 = one.compile();
  const strata::CompiledModel c2 = two.compile();
  const strata::Tensor y1 = c1.predict(x), y2 = c2.predict(x);
  randomize_weights(one, 13);
  CHECK(c1.predict(x) != y1);
  CHECK(c2.predict(x) != y2);
  CHECK(c2.predict(x) == two.compile().predict(x));
}

TEST_CASE("plans for different input shapes share their reordered and folded weights", "[plan][memory]") {
  strata::clear_session();
  auto in = strata::Input({strata::None, strata::None, 8});
  auto x = L::Conv2D(16, 3, {.padding = "same", .use_bias = false})(in);
  x = L::BatchNormalization()(x);
  x = L::Activation("relu")(x);
  strata::Model model(in, L::Conv2D(8, 1)(x), "shared_weights");
  const strata::CompiledModel compiled = model.compile();
  const std::string first = compiled.plan_string({{1, 12, 12, 8}});
  INFO(first);
  CHECK(first.find("(0 shared with other plans)") != std::string::npos);
  const std::string second = compiled.plan_string({{2, 20, 20, 8}});
  INFO(second);
  // Both convolutions' weights (the first folded with the batch norm) come from the first plan.
  CHECK(second.find("(0 shared with other plans)") == std::string::npos);
  const auto total = second.substr(second.find("weights ") + 8);
  const auto bytes = total.substr(0, total.find(' '));
  CHECK(second.find("(" + bytes + " shared with other plans)") != std::string::npos);
  // New weights are never served from the cache.
  std::vector<strata::Tensor> w = model.get_layer("conv2d").get_weights();
  w[0] = strata::Tensor::random_uniform(w[0].dims(), 3);
  model.get_layer("conv2d").set_weights(w);
  const std::string third = compiled.plan_string({{3, 12, 12, 8}});
  CHECK(third.find("(0 shared") == std::string::npos);  // the 1x1 conv's weights are still shared
  const auto x0 = strata::Tensor::random_uniform({1, 12, 12, 8}, 4);
  CHECK(max_relative_error(compiled.predict(x0), model.compile({.backend = "reference"}).predict(x0)) <
        float32_tolerance(72));
}

TEST_CASE("many sequence lengths stay cached: no plan is rebuilt on the second round", "[cache][runtime]") {
  auto tokens = strata::Input({strata::None, 8});
  strata::Model model(tokens, L::Dense(4)(L::Dense(16, {.activation = "relu"})(tokens)));
  auto runtime = runtime_of(model, {.num_threads = 1, .adaptive_threads = false});
  std::vector<std::shared_ptr<const strata::detail::Plan>> first;
  for (int64_t length = 1; length <= 40; ++length) {
    const strata::Tensor x = random_input({1, length, 8}, static_cast<uint64_t>(length));
    runtime->predict({&x}, {});
    first.push_back(runtime->plan_for({{1, length, 8}}));
  }
  for (int64_t length = 1; length <= 40; ++length) {
    INFO("length " << length);
    CHECK(runtime->plan_for({{1, length, 8}}) == first[static_cast<size_t>(length - 1)]);
  }
  // Past kMaxCachedShapes the oldest go, however little they hold.
  for (int64_t length = 41;
       length <= 40 + static_cast<int64_t>(strata::detail::CompiledModelImpl::kMaxCachedShapes); ++length) {
    runtime->plan_for({{1, length, 8}});
  }
  CHECK(runtime->plan_for({{1, 1, 8}}) != first[0]);
}

TEST_CASE("past the most recent shapes, the memory their plans hold bounds the cache", "[cache][runtime]") {
  // Images of one pixel count: every plan's arena is the same size.
  auto images = strata::Input({strata::None, strata::None, 3});
  strata::Model model(images, L::Dense(8)(L::Dense(16)(images)));
  auto runtime = runtime_of(model, {.num_threads = 1, .adaptive_threads = false});
  const std::vector<std::vector<std::vector<int64_t>>> shapes = {
      image(1, 4, 6), image(1, 6, 4), image(1, 3, 8), image(1, 8, 3), image(1, 2, 12)};
  auto run = [&](const std::vector<std::vector<int64_t>>& dims) {
    const strata::Tensor x = random_input(dims[0], 1);
    runtime->predict({&x}, {});  // a pass leaves the plan's arena pooled: the memory it holds
    return runtime->plan_for(dims);
  };
  const auto a = run(shapes[0]);
  const int64_t held = a->executor->held_bytes();
  REQUIRE(held > 0);
  // Two shapes always kept, and room for one more plan's memory.
  runtime->set_cache_limits(2, 64, held);
  std::vector<std::shared_ptr<const strata::detail::Plan>> plans = {a};
  for (size_t i = 1; i < shapes.size(); ++i) plans.push_back(run(shapes[i]));
  // Most recent first: 4 and 3 (always kept), 2 (within the bytes); 1 and 0 dropped as 3 and 4 came.
  CHECK(runtime->plan_for(shapes[4]) == plans[4]);
  CHECK(runtime->plan_for(shapes[3]) == plans[3]);
  CHECK(runtime->plan_for(shapes[2]) == plans[2]);
  CHECK(runtime->plan_for(shapes[0]) != plans[0]);
}
