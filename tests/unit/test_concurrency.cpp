// Several threads predicting on one CompiledModel at once get, bitwise, the answers of serial calls: each
// call takes its own activation arena and scratchpad. Catch's assertions are not thread-safe, so the
// threads only record what they saw and the main thread checks it.
#include <atomic>
#include <string>
#include <thread>

#include "numerics_util.hpp"
#include "runtime/thread_budget.hpp"

using namespace strata_test;

namespace {

constexpr int kThreads = 4;

struct Outcome {
  std::atomic<int> calls{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::string first_failure;  // written once, by the thread that counts the first failure
};

bool bitwise(const strata::Tensor& got, const strata::Tensor& want) {
  return got == want;
}

// Runs `iterations` predicts per thread; thread t cycles through its own inputs[t][...] and compares every
// answer with expected[t][...] (bitwise unless `same` says otherwise).
template <class Predict>
void hammer(const Predict& predict, const std::vector<std::vector<strata::Tensor>>& inputs,
            const std::vector<std::vector<strata::Tensor>>& expected, int iterations, Outcome& outcome,
            bool (*same)(const strata::Tensor&, const strata::Tensor&) = bitwise) {
  std::vector<std::thread> threads;
  for (int t = 0; t < static_cast<int>(inputs.size()); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < iterations; ++i) {
        const size_t k = static_cast<size_t>(i) % inputs[t].size();
        try {
          if (!same(predict(inputs[t][k]), expected[t][k])) ++outcome.mismatches;
        } catch (const std::exception& e) {
          if (outcome.failures++ == 0) outcome.first_failure = e.what();
        }
        ++outcome.calls;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

strata::Model residual_model() {
  strata::Model block = seed_block_1("concurrent_block");
  randomize_weights_keeping_scale(block, 1);
  return block;
}

}  // namespace

TEST_CASE("threads predicting on one compiled model agree with serial calls", "[concurrency][runtime]") {
  const strata::Model block = residual_model();
  // With adaptive threads (0) concurrent calls share the cores, so a call may run on fewer threads than a
  // serial one; oneDNN's Winograd kernels (AVX-512 only) split their tiles by thread count, which changes
  // the last bits at batch 2 (measured on a Zen 4). Bitwise holds without Winograd, or on fixed threads;
  // the last case checks Winograd plans on adaptive threads within float32 rounding.
  struct Variant {
    int num_threads;
    bool fuse, winograd;
  };
  for (const Variant v : {Variant{0, true, false}, Variant{0, false, false}, Variant{1, true, true},
                          Variant{1, false, true}, Variant{0, true, true}}) {
    {
      INFO("num_threads " << v.num_threads << ", fuse " << v.fuse << ", winograd " << v.winograd);
      const strata::CompiledModel compiled =
          block.compile({.num_threads = v.num_threads, .fuse = v.fuse, .winograd = v.winograd});
      // Different inputs per thread, and different batch sizes, so that calls share plans and also run
      // different plans at the same time.
      std::vector<std::vector<strata::Tensor>> inputs(kThreads), expected(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        for (int k = 0; k < 3; ++k) {
          const int64_t batch = 1 + (t + k) % 2;
          inputs[t].push_back(random_input({batch, 32, 32, 3}, static_cast<uint64_t>(100 * t + k)));
          expected[t].push_back(compiled.predict(inputs[t].back()));
        }
      }
      Outcome outcome;
      const bool exact = v.num_threads != 0 || !v.winograd;
      hammer([&](const strata::Tensor& x) { return compiled.predict(x); }, inputs, expected, 12, outcome,
             exact ? bitwise
                   : [](const strata::Tensor& got,
                        const strata::Tensor&
                            want) { return max_relative_error(got, want) <= float32_tolerance(3 * 3 * 32); });
      INFO(outcome.first_failure);
      CHECK(outcome.failures == 0);
      CHECK(outcome.mismatches == 0);
      CHECK(outcome.calls == kThreads * 12);
    }
  }
}

TEST_CASE("threads compiling plans for new shapes at once agree with serial calls",
          "[concurrency][runtime]") {
  // Each thread brings image sizes no other call has used, so plans are compiled while others run.
  auto inputs = strata::Input({strata::None, strata::None, 3});
  auto x = L::Conv2D(8, 3, {.activation = "relu"})(inputs);
  auto residual = x;
  x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(x);
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = L::Conv2D(8, 1, {.strides = 2})(residual);
  strata::Model model(inputs, L::add({x, residual}));
  randomize_weights_keeping_scale(model, 2);

  std::vector<std::vector<strata::Tensor>> images(kThreads), expected(kThreads);
  const strata::CompiledModel serial = model.compile();
  for (int t = 0; t < kThreads; ++t) {
    for (int k = 0; k < 2; ++k) {
      const int64_t size = 9 + 2 * t + k;
      images[t].push_back(random_input({2, size, size + 1, 3}, static_cast<uint64_t>(200 + 10 * t + k)));
      expected[t].push_back(serial.predict(images[t].back()));
    }
  }
  const strata::CompiledModel fresh = model.compile();
  Outcome outcome;
  hammer([&](const strata::Tensor& image) { return fresh.predict(image); }, images, expected, 6, outcome);
  INFO(outcome.first_failure);
  CHECK(outcome.failures == 0);
  CHECK(outcome.mismatches == 0);

  // Model::predict shares one cache between threads too.
  Outcome through_model;
  hammer([&](const strata::Tensor& image) { return model.predict(image); }, images, expected, 6,
         through_model);
  INFO(through_model.first_failure);
  CHECK(through_model.failures == 0);
  CHECK(through_model.mismatches == 0);
}

TEST_CASE("the reference backend is safe across threads too", "[concurrency][runtime]") {
  auto inputs = strata::Input({8, 8, 3});
  auto x = L::Conv2D(4, 3, {.padding = "same", .activation = "relu"})(inputs);
  strata::Model model(inputs, L::add({x, L::Conv2D(4, 1)(inputs)}));
  randomize_weights(model, 3);
  const strata::CompiledModel compiled = model.compile({.backend = "reference"});
  std::vector<std::vector<strata::Tensor>> xs(kThreads), expected(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    xs[t].push_back(random_input({1 + t, 8, 8, 3}, static_cast<uint64_t>(300 + t)));
    expected[t].push_back(compiled.predict(xs[t].back()));
  }
  Outcome outcome;
  hammer([&](const strata::Tensor& image) { return compiled.predict(image); }, xs, expected, 10, outcome);
  INFO(outcome.first_failure);
  CHECK(outcome.failures == 0);
  CHECK(outcome.mismatches == 0);
}

TEST_CASE("many callers with mixed batch sizes share the cores and get the serial answers bitwise",
          "[concurrency][runtime][threads]") {
  // Default options: every pass takes its threads from the process's budget, so with more callers than
  // cores some passes run on fewer threads (or wait). Each answer must be, bitwise, what a serial call on a
  // plan of one of the allowed thread counts gives (oneDNN may round differently with another team size;
  // on the machines tested so far the counts agree too).
  const strata::Model block = residual_model();
  const strata::CompiledModel compiled = block.compile();
  const std::vector<int> counts = strata::detail::thread_counts(strata::detail::usable_cores());
  constexpr int kCallers = 8;
  std::vector<std::vector<strata::Tensor>> inputs(kCallers);
  std::vector<std::vector<std::vector<strata::Tensor>>> allowed(kCallers);  // [caller][input][count]
  std::vector<strata::CompiledModel> fixed;
  for (int n : counts) fixed.push_back(block.compile({.num_threads = n, .adaptive_threads = false}));
  for (int t = 0; t < kCallers; ++t) {
    for (int k = 0; k < 3; ++k) {
      const int64_t batch = 1 + (t + 2 * k) % 5;
      inputs[t].push_back(random_input({batch, 32, 32, 3}, static_cast<uint64_t>(400 + 10 * t + k)));
      allowed[t].emplace_back();
      for (const strata::CompiledModel& f : fixed) allowed[t].back().push_back(f.predict(inputs[t].back()));
    }
  }
  std::atomic<int> mismatches{0}, failures{0}, calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const size_t k = static_cast<size_t>(i) % inputs[t].size();
        try {
          const strata::Tensor y = compiled.predict(inputs[t][k]);
          bool any = false;
          for (const strata::Tensor& a : allowed[t][k]) any = any || y == a;
          if (!any) ++mismatches;
        } catch (const std::exception&) {
          ++failures;
        }
        ++calls;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(mismatches == 0);
  CHECK(calls == kCallers * 10);
  CHECK(strata::detail::ThreadBudget::instance().in_use() == 0);  // every pass gave its threads back
}

namespace {

// A custom layer whose kernel runs another compiled model: a pass inside a pass.
class InnerModel : public strata::CustomLayerDefinition {
 public:
  explicit InnerModel(strata::CompiledModel inner) : inner_(std::move(inner)) {}
  std::string class_name() const override { return "InnerModel"; }
  strata::Shape compute_output_shape(const std::vector<strata::Shape>& inputs) const override {
    return inputs[0];
  }
  void call(const std::vector<const strata::Tensor*>& in, const std::vector<const strata::Tensor*>&,
            strata::Tensor& out) const override {
    out = inner_.predict(*in[0]);
  }

 private:
  strata::CompiledModel inner_;
};

}  // namespace

TEST_CASE("a custom kernel may call predict while its own pass holds every core",
          "[concurrency][runtime][threads]") {
  // The outer pass holds the budget's threads; the inner predict must not wait for them.
  strata::clear_session();
  auto inner_in = strata::Input({8, 8, 4});
  strata::Model inner(inner_in, L::Conv2D(4, 3, {.padding = "same"})(inner_in));
  randomize_weights(inner, 31);
  auto in = strata::Input({8, 8, 4});
  strata::CustomLayer nested(std::make_shared<InnerModel>(inner.compile()));
  strata::Model outer(in, L::Conv2D(4, 1)(nested(L::Conv2D(4, 1)(in))));
  randomize_weights(outer, 32);
  const strata::Tensor x = random_input({2, 8, 8, 4}, 33);
  const strata::Tensor expected = outer.compile({.adaptive_threads = false}).predict(x);
  const strata::CompiledModel compiled = outer.compile();
  std::vector<std::thread> callers;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (!(compiled.predict(x) == expected)) ++mismatches;
      }
    });
  }
  for (std::thread& t : callers) t.join();
  CHECK(mismatches == 0);
  CHECK(strata::detail::ThreadBudget::instance().in_use() == 0);
}
