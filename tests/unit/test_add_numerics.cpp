// Add on the oneDNN backend equals the reference executor: broadcasting adds, adds of three inputs, residual
// adds fused into either branch as a `sum` post-op, and residual adds that must stay separate because the
// other operand is read later or is a model output (the plan shows the separate add; the numbers still match).
#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "numerics_util.hpp"

using namespace strata_test;

namespace {

// Lines of the plan report whose primitive is exactly `chain` ("add", "conv + sum").
int count_steps(const std::string& plan, const std::string& chain) {
  std::istringstream lines(plan);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string index;
    fields >> index;
    if (index.empty() || !std::all_of(index.begin(), index.end(), ::isdigit)) continue;
    // Columns are separated by runs of spaces; within the primitive column, " + " joins the post-ops.
    const size_t begin = line.find_first_not_of(' ', line.find(index) + index.size());
    if (begin == std::string::npos) continue;
    const size_t end = line.find("  ", begin);
    if (line.substr(begin, end == std::string::npos ? std::string::npos : end - begin) == chain) ++n;
  }
  return n;
}

// Which of `candidates` the plan names on the step that carries a sum post-op: the convolution that took
// the add. Empty when no step has a sum, or when several candidates share it.
std::string sum_carrier(const std::string& plan, const std::vector<std::string>& candidates) {
  std::istringstream lines(plan);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(" + sum") == std::string::npos) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream words(line);
    std::set<std::string> names;
    for (std::string w; words >> w;) names.insert(w);
    std::string found;
    for (const std::string& c : candidates) {
      if (!names.contains(c)) continue;
      if (!found.empty()) return "";
      found = c;
    }
    return found;
  }
  return "";
}

}  // namespace

TEST_CASE("broadcasting adds", "[add][numerics]") {
  uint64_t seed = 1;
  struct Case {
    std::vector<std::optional<int64_t>> a, b;
  };
  const Case cases[] = {
      {{5, 6, 4}, {5, 6, 4}},  // no broadcast
      {{5, 6, 4}, {1, 1, 4}},  // a per-channel bias
      {{1, 1, 4}, {5, 6, 4}},  // the broadcast operand first
      {{5, 6, 4}, {5, 6, 1}},  // one value per pixel
      {{5, 6, 4}, {1, 6, 4}},  // broadcast along the height
      {{5, 1, 4}, {1, 6, 4}},  // both operands broadcast
      {{5, 6, 1}, {1, 1, 4}},  // both operands broadcast
  };
  for (const Case& c : cases) {
    auto a = strata::Input(c.a, "");
    auto b = strata::Input(c.b, "");
    strata::Model model({a, b}, L::add({a, b}));
    std::vector<int64_t> a_dims{3}, b_dims{3};
    for (const auto& d : c.a) a_dims.push_back(*d);
    for (const auto& d : c.b) b_dims.push_back(*d);
    INFO("add of " << strata::to_shape(a_dims) << " and " << strata::to_shape(b_dims));
    const std::vector<strata::Tensor> inputs{random_input(a_dims, seed), random_input(b_dims, seed + 1)};
    seed += 2;
    // One float addition per element: correctly rounded on both sides, so exact.
    check_against_reference(model, inputs, 0.0);
  }
}

TEST_CASE("an add of inputs of different ranks lines up the batch axes, as Keras does", "[add][numerics]") {
  // Keras expands the lower-rank input at axis 1: (N, 8) is added as (N, 1, 1, 8). Aligning the whole
  // shapes from the right instead would pair N with the width: an error at batch 3 and wrong numbers at
  // batch 4, where the width is 4 too.
  auto image = strata::Input({4, 4, 8});
  auto vector = strata::Input({8});
  auto sum = L::add({image, vector});
  CHECK(sum.shape().to_string() == "(None, 4, 4, 8)");
  strata::Model model({image, vector}, {sum, L::add({vector, image})});
  for (int64_t batch : {1, 3, 4}) {
    INFO("batch " << batch);
    const std::vector<strata::Tensor> inputs{random_input({batch, 4, 4, 8}, 61), random_input({batch, 8}, 62)};
    std::vector<float> expected;
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t p = 0; p < 16; ++p) {
        for (int64_t c = 0; c < 8; ++c) expected.push_back(inputs[0].data()[(n * 16 + p) * 8 + c] + inputs[1].data()[n * 8 + c]);
      }
    }
    const strata::Tensor want({batch, 4, 4, 8}, expected);
    for (const char* backend : {"onednn", "reference"}) {
      INFO("backend " << backend);
      const auto got = model.compile({.backend = backend}).predict(inputs);
      CHECK(got[0] == want);
      CHECK(got[1] == want);
    }
  }
}

TEST_CASE("broadcasting add after convolutions", "[add][numerics]") {
  // A convolution's (None, 6, 6, 8) plus a 1x1 convolution of a pooled (None, 1, 1, 8) summary: the fusion
  // pass must leave the broadcast add alone (a sum post-op needs equal shapes).
  auto inputs = strata::Input({6, 6, 3});
  auto x = L::Conv2D(8, 3, {.padding = "same"})(inputs);
  auto pooled = L::AveragePooling2D(6)(x);
  auto gate = L::Conv2D(8, 1)(pooled);
  auto y = L::Conv2D(8, 3, {.padding = "same"})(x);
  strata::Model model(inputs, L::add({y, gate}));
  randomize_weights_keeping_scale(model, 11);
  const std::string plan = model.compile().plan_string(2);
  INFO(plan);
  CHECK(plan.find("sum") == std::string::npos);
  check_against_reference(model, {random_input({2, 6, 6, 3}, 12)}, float32_tolerance(3 * 3 * 3 + 3 * 3 * 8 + 1));
}

TEST_CASE("an add of three inputs", "[add][numerics]") {
  auto inputs = strata::Input({7, 7, 4});
  auto a = L::Conv2D(8, 3, {.padding = "same"})(inputs);
  auto b = L::Conv2D(8, 1)(inputs);
  auto c = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(inputs);
  auto sum = L::add({a, b, c});
  strata::Model model(inputs, L::Conv2D(4, 1)(sum));
  randomize_weights_keeping_scale(model, 21);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  // Both partial sums fold into convolutions: no separate add remains.
  CHECK(count_steps(plan, "add") == 0);
  CHECK(plan.find("4 steps") != std::string::npos);
  check_against_reference(model, {random_input({3, 7, 7, 4}, 22)}, float32_tolerance(3 * 3 * 4 + 2 + 8));

  // Three model inputs, no convolutions: two separate adds.
  auto x = strata::Input({4, 5, 2});
  auto y = strata::Input({4, 5, 2});
  auto z = strata::Input({1, 5, 2});
  strata::Model raw({x, y, z}, L::add({x, y, z}));
  const std::vector<strata::Tensor> xyz{random_input({2, 4, 5, 2}, 23), random_input({2, 4, 5, 2}, 24),
                                        random_input({2, 1, 5, 2}, 25)};
  // Two float additions per element, in Keras's order on both sides.
  check_against_reference(raw, xyz, 0.0);
}

TEST_CASE("residual adds fuse into either branch", "[add][numerics]") {
  std::set<std::string> carriers;
  for (bool shortcut_first : {false, true}) {
    for (const char* activation : {"linear", "relu"}) {
      INFO("shortcut first " << shortcut_first << ", main-path activation " << activation);
      // Both branches end in a convolution. The one that runs last carries the sum (it moves the least);
      // which one that is follows Keras's node order, which the operand order breaks ties of.
      auto inputs = strata::Input({9, 9, 4});
      auto shortcut = L::Conv2D(8, 1, {.strides = 2, .name = "shortcut"})(inputs);
      auto x = L::Conv2D(8, 3, {.strides = 2, .padding = "same", .activation = activation})(inputs);
      x = L::Conv2D(8, 3, {.padding = "same", .activation = activation, .name = "main"})(x);
      auto sum = shortcut_first ? L::add({shortcut, x}) : L::add({x, shortcut});
      strata::Model model(inputs, L::Conv2D(4, 3)(sum));
      randomize_weights_keeping_scale(model, 31);
      const std::string plan = model.compile().plan_string(1);
      INFO(plan);
      CHECK(count_steps(plan, "add") == 0);
      const std::string carrier = sum_carrier(plan, {"main", "shortcut"});
      CHECK((carrier == "main" || carrier == "shortcut"));
      carriers.insert(carrier);
      if (carrier == "main") {
        CHECK(count_steps(plan, std::string("conv + ") + (std::string(activation) == "relu" ? "relu + sum" : "sum")) == 1);
      } else {
        CHECK(count_steps(plan, "conv + sum") == 1);
      }
      // Accumulation along the deepest path: 3x3x4, 3x3x8, the add, 3x3x8.
      check_against_reference(model, {random_input({2, 9, 9, 4}, 32)}, float32_tolerance(3 * 3 * 4 + 3 * 3 * 8 * 2 + 1));

      // The main path ends in pooling (the seed's second block), so the shortcut's convolution carries the
      // sum and moves to the add's place, writing over the pooled values.
      auto in2 = strata::Input({9, 9, 4});
      auto y = L::Conv2D(8, 3, {.padding = "same", .activation = activation})(in2);
      y = L::MaxPooling2D(2, {.padding = "same", .name = "pool"})(y);
      auto projected = L::Conv2D(8, 1, {.strides = 2, .name = "projection"})(in2);
      strata::Model pooled(in2, shortcut_first ? L::add({projected, y}) : L::add({y, projected}));
      randomize_weights_keeping_scale(pooled, 37);
      const std::string pooled_plan = pooled.compile().plan_string(1);
      INFO(pooled_plan);
      CHECK(count_steps(pooled_plan, "add") == 0);
      CHECK(count_steps(pooled_plan, "conv + sum") == 1);
      CHECK(sum_carrier(pooled_plan, {"projection", "pool"}) == "projection");
      check_against_reference(pooled, {random_input({2, 9, 9, 4}, 38)}, float32_tolerance(3 * 3 * 4 + 1));
    }
  }
  // Over the operand orders, each branch carried the sum at least once.
  CHECK(carriers == std::set<std::string>{"main", "shortcut"});

  // A chain of residual blocks, each add read by the next block's convolutions.
  auto in2 = strata::Input({8, 8, 8});
  auto y = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(in2);
  for (int block = 0; block < 3; ++block) {
    auto r = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(y);
    r = L::Conv2D(8, 3, {.padding = "same"})(r);
    auto projected = L::Conv2D(8, 1)(y);
    y = L::Conv2D(8, 1, {.activation = "relu"})(L::add({r, projected}));
  }
  strata::Model chain(in2, y);
  randomize_weights_keeping_scale(chain, 35);
  const std::string chain_plan = chain.compile().plan_string(1);
  INFO(chain_plan);
  CHECK(count_steps(chain_plan, "add") == 0);
  CHECK(count_steps(chain_plan, "conv + sum") == 3);
  // Rounding errors of successive layers add up: the tolerance is for the accumulation along the deepest
  // path (the first 3x3, then per block 3x3, 3x3, the add and a 1x1).
  check_against_reference(chain, {random_input({2, 8, 8, 8}, 36)}, float32_tolerance(72 + 3 * (72 + 72 + 1 + 8)));
}

TEST_CASE("a residual add whose operand is read later stays a separate add", "[add][numerics]") {
  // s = a + b, then a is read again by a later add. Writing s into a's buffer would destroy a before that
  // read; writing it into b's buffer would need a's convolution to carry the sum, but a has two readers.
  auto inputs = strata::Input({8, 8, 3});
  auto a = L::Conv2D(8, 3, {.padding = "same"})(inputs);
  auto b = L::Conv2D(8, 3, {.padding = "same"})(inputs);
  auto s = L::add({a, b});
  auto t = L::Conv2D(8, 3, {.padding = "same"})(s);
  auto u = L::add({t, a});
  strata::Model model(inputs, u);
  randomize_weights_keeping_scale(model, 41);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(count_steps(plan, "add") == 1);
  // The second add may fuse: a's last reader is that add.
  CHECK(count_steps(plan, "conv + sum") == 1);
  check_against_reference(model, {random_input({2, 8, 8, 3}, 42)}, float32_tolerance(3 * 3 * 3 + 3 * 3 * 8 + 2));

  // The identity shortcut x + f(x): f's convolution reads x, so it cannot write into x's buffer, and x has
  // two readers. The add stays separate.
  auto in2 = strata::Input({8, 8, 8});
  auto x = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(in2);
  auto fx = L::Conv2D(8, 3, {.padding = "same"})(x);
  strata::Model identity(in2, L::add({x, fx}));
  randomize_weights_keeping_scale(identity, 43);
  const std::string identity_plan = identity.compile().plan_string(1);
  INFO(identity_plan);
  CHECK(count_steps(identity_plan, "add") == 1);
  check_against_reference(identity, {random_input({2, 8, 8, 8}, 44)}, float32_tolerance(3 * 3 * 8 * 2 + 1));
}

TEST_CASE("a residual add whose operand is a model output stays a separate add", "[add][numerics]") {
  auto inputs = strata::Input({8, 8, 3});
  auto a = L::Conv2D(8, 3, {.padding = "same", .activation = "relu"})(inputs);
  auto b = L::Conv2D(8, 1)(inputs);
  auto s = L::add({a, b});
  for (bool a_is_output : {true, false}) {
    INFO((a_is_output ? "a" : "b") << " is a model output");
    strata::Model model(inputs, {s, a_is_output ? a : b});
    randomize_weights_keeping_scale(model, 51);
    const std::string plan = model.compile().plan_string(1);
    INFO(plan);
    CHECK(count_steps(plan, "add") == 1);
    CHECK(plan.find("sum") == std::string::npos);
    const std::vector<strata::Tensor> x{random_input({2, 8, 8, 3}, 52)};
    check_against_reference(model, x, float32_tolerance(3 * 3 * 3 + 1));
    // The output operand is the convolution's own result, not the sum written over it.
    const auto got = model.compile().predict(x);
    const auto ref = model.compile({.backend = "reference"}).predict(x);
    CHECK(max_relative_error(got[1], ref[1]) <= float32_tolerance(3 * 3 * 3));
  }

  // The add's result itself is both an output and read by a later layer.
  auto in2 = strata::Input({8, 8, 3});
  auto p = L::Conv2D(8, 3, {.padding = "same"})(in2);
  auto q = L::Conv2D(8, 3, {.padding = "same"})(in2);
  auto sum = L::add({p, q});
  auto r = L::Conv2D(8, 1, {.activation = "relu"})(sum);
  strata::Model model(in2, {sum, L::add({r, sum})});
  randomize_weights_keeping_scale(model, 53);
  const std::string plan = model.compile().plan_string(1);
  INFO(plan);
  CHECK(count_steps(plan, "add") == 1);  // sum is an output, so r's convolution may not overwrite it
  CHECK(count_steps(plan, "conv + sum") == 1);
  check_against_reference(model, {random_input({2, 8, 8, 3}, 54)}, float32_tolerance(3 * 3 * 3 + 1 + 8 + 1));
}
