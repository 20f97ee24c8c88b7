// User-defined layers: shape rule, weights, kernel, errors, and agreement between the backends.
#include <mutex>
#include <set>
#include <thread>

#include "test_util.hpp"

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"

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

namespace {

// Splits the last axis in two halves: two outputs, as a Keras layer whose call returns a list. With
// `grow_second`, a broken kernel that resizes its second output.
class HalfSplit : public strata::MultiOutputLayerDefinition {
 public:
  explicit HalfSplit(bool grow_second = false) : grow_second_(grow_second) {}
  std::string class_name() const override { return "HalfSplit"; }
  std::vector<strata::Shape> compute_output_shapes(const std::vector<strata::Shape>& inputs) const override {
    std::vector<strata::Dim> dims = inputs.at(0).dims();
    if (!dims.back() || *dims.back() % 2 != 0) throw strata::ShapeError("Expected an even last axis");
    dims.back() = *dims.back() / 2;
    return {strata::Shape(dims), strata::Shape(dims)};
  }
  void call_outputs(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>&,
                    const std::vector<strata::Tensor*>& out) const override {
    const int64_t half = out[0]->dims().back();
    for (int64_t i = 0; i < out[0]->size(); ++i) {
      const int64_t row = i / half, col = i % half;
      out[0]->data()[i] = in[0]->data()[row * 2 * half + col];
      out[1]->data()[i] = in[0]->data()[row * 2 * half + half + col];
    }
    if (grow_second_) *out[1] = strata::Tensor::zeros({1});
  }

 private:
  bool grow_second_;
};

bool summary_has(const strata::Model& model, const std::string& text) {
  return model.summary_string().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("a custom layer with several outputs", "[custom]") {
  strata::clear_session();
  auto x = strata::Input({4, 4, 6});
  strata::CustomLayer split(std::make_shared<HalfSplit>(), {.name = "split"});
  const std::vector<strata::SymbolicTensor> halves = split.call_all({x});
  REQUIRE(halves.size() == 2);
  CHECK(halves[1].shape() == strata::Shape{strata::None, 4, 4, 3});
  // One half feeds a convolution, the other a residual add after it and a second model output; a second
  // call's first half goes unused, yet its kernel writes it.
  auto conv = L::Conv2D(3, 3, {.padding = "same", .activation = "relu"})(halves[0]);
  auto sum = L::add({conv, halves[1]});
  const std::vector<strata::SymbolicTensor> again = split.call_all({L::concatenate({sum, conv})});
  strata::Model model(x, {again[1], halves[1]});
  // The column wraps the list over two lines, as Keras's does.
  INFO(model.summary_string());
  CHECK(summary_has(model, "│ split (HalfSplit)   │ [(None, 4, 4, 3), │"));
  CHECK(summary_has(model, "│ (None, 4, 4, 3)]  │"));

  const strata::Tensor input = strata::Tensor::random_uniform({2, 4, 4, 6}, 7, -1.0f, 1.0f);
  CHECK(onednn_vs_reference(model, {input}) < float32_tolerance(27));
  // The second output is the input's upper half, exactly, on both backends; the first is `conv`'s output.
  const std::vector<strata::Tensor> got = model.predict(std::vector<strata::Tensor>{input});
  std::vector<float> upper;
  for (int64_t i = 0; i < input.size(); ++i) {
    if (i % 6 >= 3) upper.push_back(input.data()[i]);
  }
  CHECK(got[1].values() == upper);
  CHECK(got[0].dims() == std::vector<int64_t>{2, 4, 4, 3});
  CHECK(model.compile({.backend = "reference"}).predict(std::vector<strata::Tensor>{input})[1].values() ==
        upper);

  // The IR holds one op writing both values.
  const auto& functional = static_cast<const strata::detail::FunctionalImpl&>(*model.impl());
  const std::string ir = strata::ir::lower_layers(functional, {{2, 4, 4, 6}}).to_string();
  CHECK(ir.find("  %1 2x4x4x3, %2 2x4x4x3 = custom:HalfSplit(%0)") != std::string::npos);
}

TEST_CASE("several outputs: the call operator refuses, broken kernels and shape rules name the layer",
          "[custom][errors]") {
  strata::clear_session();
  auto x = strata::Input({4, 6});
  strata::CustomLayer split(std::make_shared<HalfSplit>(), {.name = "split"});
  REQUIRE_THROWS_MATCHES(split(x), strata::ValueError,
                         MessageThat(Catch::StartsWith("[split (HalfSplit)] The layer has 2 outputs") &&
                                     Catch::Contains("call_all")));
  CHECK_FALSE(split.impl()->built());  // the refused call left no node and built nothing
  REQUIRE_THROWS_MATCHES(
      split(strata::SymbolicTensor()), strata::ValueError,
      MessageThat(Catch::StartsWith("[split (HalfSplit)] Input 0 is an empty SymbolicTensor")));
  REQUIRE_THROWS_MATCHES(split.call_all({strata::Input({5})}), strata::ShapeError,
                         MessageThat(Catch::StartsWith("[split (HalfSplit)] Expected an even last axis")));

  strata::CustomLayer broken(std::make_shared<HalfSplit>(true), {.name = "broken"});
  strata::Model model(x, broken.call_all({x}));
  REQUIRE_THROWS_MATCHES(model.predict(std::vector<strata::Tensor>{strata::Tensor::zeros({2, 4, 6})}),
                         strata::ValueError, MessageThat(Catch::Contains("changed the shape of output 1")));
}

namespace {

// x * x + 1 computed with strata::parallel_for, recording which threads ran chunks; a negative input makes
// one chunk throw.
class ParallelSquare : public strata::CustomLayerDefinition {
 public:
  std::string class_name() const override { return "ParallelSquare"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs[0];
  }
  void call(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>&,
            strata::Tensor& out) const override {
    const float* x = in[0]->data();
    float* y = out.data();
    strata::parallel_for(0, out.size(), [&](int64_t begin, int64_t end) {
      {
        const std::lock_guard lock(mutex_);
        threads_.insert(std::this_thread::get_id());
      }
      for (int64_t i = begin; i < end; ++i) {
        if (x[i] < -100.0f) throw strata::ValueError("ParallelSquare: an input below -100");
        y[i] = x[i] * x[i] + 1.0f;
      }
    });
  }
  size_t threads_seen() const {
    const std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::set<std::thread::id> threads_;
};

}  // namespace

TEST_CASE("a custom kernel runs multi-threaded with parallel_for on the plan's threads",
          "[custom][threads]") {
  auto definition = std::make_shared<ParallelSquare>();
  auto in = strata::Input({64, 64});
  strata::Model model(in, strata::CustomLayer(definition)(in));
  const strata::Tensor x = strata::Tensor::random_uniform({4, 64, 64}, 3, -1.0f, 1.0f);
  const strata::CompiledModel compiled = model.compile({.num_threads = 2, .adaptive_threads = false});
  const strata::Tensor y = compiled.predict(x);
  for (int64_t i = 0; i < x.size(); ++i) REQUIRE(y.values()[i] == x.values()[i] * x.values()[i] + 1.0f);
  if (std::thread::hardware_concurrency() >= 2) CHECK(definition->threads_seen() >= 2);
  // An exception in one chunk reaches predict's caller, naming the layer; the plan still works afterwards.
  strata::Tensor bad = x;
  bad.data()[5000] = -1000.0f;
  REQUIRE_THROWS_MATCHES(compiled.predict(bad), strata::Error,
                         MessageThat(Catch::Contains("an input below -100")));
  CHECK(compiled.predict(x) == y);
  // An empty range calls nothing.
  strata::parallel_for(3, 3, [](int64_t, int64_t) { FAIL("called for an empty range"); });
}
