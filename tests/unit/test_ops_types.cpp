// The ops that make and change types (strata/ops.hpp): cast, comparisons, logical ops, where, and
// arithmetic on int32, int64 and bool tensors. Types against Keras 3's result_type rules; values against
// tfjs-core's kernels (run as Keras's op classes, operands promoted as Keras does), against the reference
// executor, and by hand for what tfjs lacks (int64, casts at the edges of the integer range, NaN); errors;
// configs; bfloat16 plans that keep integers as they are.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
namespace ops = strata::ops;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using strata::DType;
using strata::SymbolicTensor;
using strata::Tensor;

namespace {

SymbolicTensor int_input(std::vector<strata::Dim> dims, const char* dtype = "int32") {
  return strata::Input(std::move(dims), {.name = "", .dtype = dtype});
}

// Integers in [-10, 10] from the float inputs in [-1, 1): truncated toward zero, as Keras's cast.
SymbolicTensor ints(const SymbolicTensor& x) {
  return ops::cast(x * 10.5, "int32");
}

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;  // batch included
};

std::vector<Case> cases() {
  std::vector<Case> c;
  auto f = [](const SymbolicTensor& t) { return ops::cast(t, "float32"); };
  c.push_back({"where(x > 0.25, x, 0.0): a float comparison, a number branch",
               [] {
                 return single({4, 5, 3}, [](auto x) { return ops::where(ops::greater(x, 0.25), x, 0.0); });
               },
               {{2, 4, 5, 3}}});
  c.push_back({"cast to int32 and back: truncation toward zero",
               [f] {
                 return single({4, 6}, [f](auto x) { return f(ints(x)); });
               },
               {{3, 4, 6}}});
  c.push_back({"comparisons of int32 tensors, broadcast, as float32",
               [f] {
                 return pair({4, 5, 3}, {1, 5, 1}, [f](auto x, auto y) {
                   auto i = ints(x), j = ints(y);
                   return f(ops::less(i, j)) + 2.0 * f(ops::less_equal(i, j)) + 4.0 * f(ops::equal(i, j)) +
                          8.0 * f(ops::not_equal(i, 0)) + 16.0 * f(ops::greater_equal(i, 3)) +
                          32.0 * f(ops::greater(j, i));
                 });
               },
               {{2, 4, 5, 3}, {2, 1, 5, 1}}});
  c.push_back({"int32 arithmetic: tensors, integral numbers, negative, absolute, square",
               [f] {
                 return pair({4, 3}, {4, 1}, [f](auto x, auto y) {
                   auto i = ints(x), j = ints(y);
                   auto k =
                       ops::maximum(i * j - 3, ops::negative(i)) + ops::absolute(j) * 2 - ops::minimum(i, j);
                   return f(ops::square(k) - 7 * i);
                 });
               },
               {{2, 4, 3}, {2, 4, 1}}});
  c.push_back({"an int32 tensor with a float: promoted to float32 (i * 0.25, i / j, sqrt(i*i))",
               [] {
                 return pair({3, 4}, {3, 4}, [](auto x, auto y) {
                   auto i = ints(x), j = ints(y);
                   return i * 0.25 + ops::true_divide(i, ops::square(j) + 1) + ops::sqrt(ops::square(i)) +
                          x * i;
                 });
               },
               {{2, 3, 4}, {2, 3, 4}}});
  c.push_back({"logical ops on comparisons and on floats read as bools",
               [f] {
                 return pair({6, 2}, {6, 2}, [f](auto x, auto y) {
                   auto a = ops::greater(x, 0.0), b = ops::less(y, 0.5);
                   return f(ops::logical_and(a, b)) + 2.0 * f(ops::logical_or(a, ops::logical_not(b))) +
                          4.0 * f(ops::logical_not(ops::cast(ints(x), "bool"))) +
                          8.0 * f(ops::logical_and(ints(y), 1));
                 });
               },
               {{3, 6, 2}, {3, 6, 2}}});
  c.push_back({"where with a broadcast condition and tensor branches; integer branches",
               [f] {
                 return pair({4, 5, 3}, {1, 5, 1}, [f](auto x, auto y) {
                   auto cond = ops::greater(y, 0.0);
                   return ops::where(cond, x, y * 2.0) + f(ops::where(ops::less(x, y), ints(x), 7));
                 });
               },
               {{2, 4, 5, 3}, {2, 1, 5, 1}}});
  c.push_back({"bool and int32 values through transpose, concatenate (mixed types), reshape, expand_dims",
               [f] {
                 auto x = strata::Input({3, 4});
                 auto b = ops::transpose(ops::greater(x, 0.1), {0, 2, 1});               // (None, 4, 3) bool
                 auto i = ops::concatenate({ops::transpose(ints(x), {0, 2, 1}), b}, 1);  // int32
                 auto v = ops::expand_dims(ops::reshape(b, {-1, 12}), 1);
                 return strata::Model({x}, {f(i), f(v)});
               },
               {{2, 3, 4}}});
  return c;
}

}  // namespace

TEST_CASE("typed ops equal tfjs-core's kernels run as Keras's ops, and the reference executor",
          "[ops][tfjs][numerics]") {
  const std::vector<Case> all = cases();
  const std::vector<TfjsCase> runs = tfjs_runs(all, 900, nullptr);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(all[i].what);
    INFO(results[i].refused);
    REQUIRE(results[i].refused.empty());
    const std::vector<Tensor> ours = runs[i].model.predict(runs[i].inputs);
    const std::vector<Tensor> reference =
        runs[i].model.compile({.backend = "reference"}).predict(runs[i].inputs);
    REQUIRE(ours.size() == results[i].outputs.size());
    for (size_t k = 0; k < ours.size(); ++k) {
      CHECK(ours[k].dims() == results[i].outputs[k].dims());
      const double error = scaled_error(ours[k], results[i].outputs[k]);
      INFO("error against tfjs " << error);
      CHECK(error <= 1e-6);
      CHECK(ours[k] == reference[k]);
    }
  }
}

TEST_CASE("op types follow Keras 3's result_type", "[ops][dtypes]") {
  strata::clear_session();
  auto i32 = int_input({4});
  auto i64 = int_input({4}, "int64");
  auto f32 = strata::Input({4});
  auto b = ops::greater(f32, 0.0);
  const std::vector<std::pair<SymbolicTensor, DType>> expected = {
      {i32 + i32, DType::kInt32},
      {i32 + 3, DType::kInt32},  // a Python int is weak: it keeps the tensor's type
      {i64 * 3, DType::kInt64},
      {i32 * 0.5, DType::kFloat32},  // a weak float makes an integer a float32
      {i32 + i64, DType::kInt64},
      {i64 + f32, DType::kFloat32},
      {b + i32, DType::kInt32},
      {b + 1, DType::kInt32},
      {b * f32, DType::kFloat32},
      {i32 / i32, DType::kFloat32},  // true division always makes floats
      {ops::maximum(i64, 0), DType::kInt64},
      {ops::negative(i64), DType::kInt64},
      {ops::square(b), DType::kInt32},
      {ops::sqrt(i32), DType::kFloat32},
      {ops::exp(i64), DType::kFloat32},
      {ops::greater(i32, 0.5), DType::kBool},
      {ops::logical_not(i32), DType::kBool},
      {ops::where(b, i32, 0.0), DType::kFloat32},
      {ops::where(b, 1, 0), DType::kInt32},
      {ops::where(b, i64, i32), DType::kInt64},
      {ops::cast(f32, "int64"), DType::kInt64},
      {ops::cast(i32, DType::kBool), DType::kBool},
      {ops::concatenate({i32, b}, 1), DType::kInt32},
      {ops::reshape(i64, {-1, 2, 2}), DType::kInt64},
      {ops::expand_dims(b, 1), DType::kBool},
  };
  for (size_t k = 0; k < expected.size(); ++k) {
    INFO("case " << k << ": " << expected[k].first.name());
    CHECK(expected[k].first.dtype() == expected[k].second);
  }
}

namespace {

// Runs `model` on both backends and checks they agree bitwise; returns the oneDNN plan's outputs.
std::vector<Tensor> predict_both(const strata::Model& model, const std::vector<Tensor>& inputs) {
  const std::vector<Tensor> got = model.predict(inputs);
  const std::vector<Tensor> reference = model.compile({.backend = "reference"}).predict(inputs);
  REQUIRE(got.size() == reference.size());
  for (size_t k = 0; k < got.size(); ++k) CHECK(got[k] == reference[k]);
  return got;
}

}  // namespace

TEST_CASE("integer arithmetic wraps as TensorFlow's, int64 included", "[ops][dtypes][numerics]") {
  strata::clear_session();
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max(),
                    kMin64 = std::numeric_limits<int64_t>::min();
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max(),
                    kMin32 = std::numeric_limits<int32_t>::min();
  auto a = int_input({4}, "int64");
  auto c = int_input({4});
  strata::Model model({a, c}, {a + 1, a * 3 - c, ops::absolute(a), ops::negative(c), c * c,
                               ops::maximum(a, c), ops::cast(a, "int32")});
  const Tensor x = Tensor::from_int64({1, 4}, {kMax64, kMin64, -7, 5'000'000'000});
  const Tensor y = Tensor::from_int32({1, 4}, {kMin32, kMax32, -3, 46341});
  const std::vector<Tensor> out = predict_both(model, {x, y});
  CHECK(out[0] == Tensor::from_int64({1, 4}, {kMin64, kMin64 + 1, -6, 5'000'000'001}));
  // Modulo 2^64, as unsigned arithmetic computes it; the int32 operand widens to int64 first.
  auto wrap = [](int64_t a3, int64_t c3) {
    return static_cast<int64_t>(static_cast<uint64_t>(a3) * 3u - static_cast<uint64_t>(c3));
  };
  CHECK(out[1] == Tensor::from_int64(
                      {1, 4}, {wrap(kMax64, kMin32), wrap(kMin64, kMax32), -18, 15'000'000'000 - 46341}));
  CHECK(out[2] == Tensor::from_int64({1, 4}, {kMax64, kMin64, 7, 5'000'000'000}));  // abs(min) stays min
  CHECK(out[3] == Tensor::from_int32({1, 4}, {kMin32, -kMax32, 3, -46341}));
  CHECK(out[4] == Tensor::from_int32({1, 4}, {0, 1, 9, static_cast<int32_t>(46341LL * 46341 - (1LL << 32))}));
  CHECK(out[5] == Tensor::from_int64({1, 4}, {kMax64, kMax32, -3, 5'000'000'000}));
  // int64 -> int32 keeps the low 32 bits.
  CHECK(out[6] == Tensor::from_int32({1, 4}, {-1, 0, -7, static_cast<int32_t>(5'000'000'000 - (1LL << 32))}));
}

TEST_CASE("casts follow TensorFlow's at the edges: truncation, NaN, out of range, bools",
          "[ops][dtypes][numerics]") {
  strata::clear_session();
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  auto x = strata::Input({10});
  strata::Model model({x}, {ops::cast(x, "int32"), ops::cast(x, "int64"), ops::cast(x, "bool"),
                            ops::cast(ops::cast(x, "bool"), "float32")});
  const Tensor in({1, 10}, {2.7f, -2.7f, -0.0f, nan, inf, -inf, 3e9f, -2147483648.0f, 2147483520.0f, 0.5f});
  const std::vector<Tensor> out = predict_both(model, {in});
  constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
  CHECK(out[0] ==
        Tensor::from_int32({1, 10}, {2, -2, 0, kMin32, kMin32, kMin32, kMin32, kMin32, 2147483520, 0}));
  CHECK(out[1] == Tensor::from_int64({1, 10}, {2, -2, 0, kMin64, kMin64, kMin64, 3'000'000'000, -2147483648LL,
                                               2147483520, 0}));
  CHECK(out[2] == Tensor::from_bool({1, 10}, {1, 1, 0, 1, 1, 1, 1, 1, 1, 1}));
  CHECK(out[3] == Tensor({1, 10}, {1, 1, 0, 1, 1, 1, 1, 1, 1, 1}));
}

TEST_CASE("comparisons and where by hand: NaN, int64 beyond float precision, broadcasting",
          "[ops][dtypes][numerics]") {
  strata::clear_session();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = strata::Input({4});
  auto ids = int_input({1}, "int64");
  strata::Model model({x, ids},
                      {ops::equal(x, x), ops::not_equal(x, 1.0), ops::less_equal(x, 1.0),
                       ops::greater(ids, (int64_t{1} << 53)), ops::where(ops::greater(x, 0.0), ids, 7),
                       ops::where(ops::less(x, 2.0), x, -1.0)});
  const Tensor in({1, 4}, {1.0f, nan, 3.0f, -2.0f});
  const Tensor big = Tensor::from_int64({1, 1}, {(int64_t{1} << 53) + 1});
  const std::vector<Tensor> out = predict_both(model, {in, big});
  CHECK(out[0] == Tensor::from_bool({1, 4}, {1, 0, 1, 1}));
  CHECK(out[1] == Tensor::from_bool({1, 4}, {0, 1, 1, 1}));  // NaN != 1
  CHECK(out[2] == Tensor::from_bool({1, 4}, {1, 0, 0, 1}));
  CHECK(out[3] == Tensor::from_bool({1, 1}, {1}));  // compared as int64, not rounded through a float
  CHECK(out[4] == Tensor::from_int64({1, 4}, {(int64_t{1} << 53) + 1, 7, (int64_t{1} << 53) + 1, 7}));
  CHECK(out[5].dims() == std::vector<int64_t>{1, 4});
  CHECK(out[5].data()[0] == 1.0f);
  CHECK(out[5].data()[1] == -1.0f);  // NaN < 2 is false
  CHECK(out[5].data()[3] == -2.0f);
}

TEST_CASE("large typed ops split across threads and agree with one thread", "[ops][dtypes][numerics]") {
  strata::clear_session();
  auto x = strata::Input({64, 48, 12});
  auto y = strata::Input({1, 48, 1});
  auto i = ops::cast(x * 100.0, "int64");
  auto out = ops::where(ops::greater(x, y), i * 3 - ops::cast(y, "int64"), ops::negative(i));
  strata::Model model({x, y}, out);
  const std::vector<Tensor> in = {random_input({2, 64, 48, 12}, 5), random_input({2, 1, 48, 1}, 6)};
  const std::vector<Tensor> two = model.compile({.num_threads = 2}).predict(in);
  const std::vector<Tensor> one = model.compile({.num_threads = 1}).predict(in);
  REQUIRE(two[0].dtype() == DType::kInt64);
  CHECK(two == one);
  // One element by hand.
  const float xv = in[0].data()[0], yv = in[1].data()[0];
  const auto iv = static_cast<int64_t>(xv * 100.0f);
  CHECK(two[0].int64_data()[0] == (xv > yv ? iv * 3 - static_cast<int64_t>(yv) : -iv));
}

TEST_CASE("typed-op errors name the op, what was expected and what was received", "[ops][dtypes][errors]") {
  strata::clear_session();
  auto f32 = strata::Input({4}, "x");
  auto i32 = int_input({4});
  auto i64 = int_input({4}, "int64");
  auto b = ops::greater(f32, 0.0);
  CHECK_THROWS_MATCHES(b + b, strata::ValueError,
                       MessageThat(StartsWith("[add (Add)] Expected numeric operands, received bool ones")));
  CHECK_THROWS_MATCHES(ops::power(i32, 2), strata::ValueError,
                       MessageThat(Contains("strata computes power in float32; received int32 operands")));
  CHECK_THROWS_MATCHES(ops::negative(b), strata::ValueError,
                       MessageThat(Contains("Expected a numeric input, received bool")));
  CHECK_THROWS_MATCHES(
      ops::relu(i32), strata::ValueError,
      MessageThat(StartsWith("[relu (Relu)] Expected float32 inputs, received int32 for input 0")));
  CHECK_THROWS_MATCHES(ops::mean(i32, 1), strata::ValueError,
                       MessageThat(Contains("Expected float32 inputs, received int32")));
  CHECK_THROWS_MATCHES(
      L::Dense(3)(b), strata::ValueError,
      MessageThat(StartsWith("[dense (Dense)] Expected float32 inputs, received bool for input 0")));
  CHECK_THROWS_MATCHES(ops::transpose(ops::expand_dims(i64, 1), {0, 2, 1}), strata::ValueError,
                       MessageThat(Contains("strata moves int64 elements only through views")));
  CHECK_THROWS_MATCHES(i32 + 3'000'000'000LL, strata::ValueError,
                       MessageThat(Contains("The number 3000000000 is not a int32 value")));
  CHECK_THROWS_MATCHES(ops::cast(f32, "float64"), strata::ValueError,
                       MessageThat(StartsWith("[cast (Cast)] Unknown dtype 'float64'")));
}

TEST_CASE("typed ops are configured and summarized as Keras 3 writes them", "[ops][dtypes]") {
  strata::clear_session();
  auto ids = int_input({5});
  auto mask = ops::not_equal(ids, 0);
  auto out = ops::where(mask, ops::cast(ids, "float32") * 0.5, -1.0);
  strata::Model model({ids}, out, "masked");
  const nlohmann::json config = static_cast<const strata::detail::FunctionalImpl&>(*model.impl()).config();
  const nlohmann::json& layers = config["layers"];
  auto find = [&](const std::string& name) {
    for (const auto& l : layers) {
      if (l["config"]["name"] == name) return l;
    }
    FAIL("no layer " << name);
    return nlohmann::json();
  };
  const nlohmann::json not_equal = find("not_equal");
  CHECK(not_equal["class_name"] == "NotEqual");
  CHECK(not_equal["module"] == "keras.src.ops.numpy");
  const nlohmann::json cast = find("cast");
  CHECK(cast["class_name"] == "Cast");
  CHECK(cast["module"] == "keras.src.ops.core");
  CHECK(cast["config"]["dtype"] == "float32");
  const nlohmann::json where = find("where");
  CHECK(where["class_name"] == "Where");
  const std::string text = config.dump();
  // The integral number is an int, as Python's 0; the float a float.
  CHECK(text.find("\"x2\":0}") != std::string::npos);
  CHECK(text.find("\"x2\":-1.0") != std::string::npos);
  const std::string summary = model.summary_string();
  CHECK(summary.find("│ not_equal") != std::string::npos);
  CHECK(summary.find("(NotEqual)") != std::string::npos);
  CHECK(summary.find("where (Where)") != std::string::npos);
}

TEST_CASE("bfloat16 plans keep integers and bools as they are", "[ops][dtypes][bfloat16]") {
  if (!native_bfloat16()) {
    WARN("this CPU does not run bfloat16 natively: nothing to check");
    return;
  }
  strata::clear_session();
  auto x = strata::Input({8, 8, 4});
  auto y = L::Conv2D(4, 3, {.padding = "same"})(x);
  auto i = ops::cast(y * 4.0, "int32");
  auto out = ops::where(ops::greater(i, 0), y, 0.0);
  strata::Model model({x}, {out, i});
  randomize_weights(model, 3);
  const Tensor in = random_input({1, 8, 8, 4}, 4);
  const std::vector<Tensor> bf = model.compile({.precision = "bfloat16"}).predict(std::vector<Tensor>{in});
  REQUIRE(bf[1].dtype() == DType::kInt32);
  // Every output element is consistent within the bfloat16 plan itself: where i > 0 the float is kept.
  for (int64_t k = 0; k < bf[0].size(); ++k) {
    if (bf[1].int32_data()[k] > 0) {
      CHECK(bf[0].data()[k] > 0.0f);
    } else {
      CHECK(bf[0].data()[k] == 0.0f);
    }
  }
}

TEST_CASE("number operands are typed as Python's: bool strong, integers exact, floats saturating",
          "[ops][dtypes][numerics]") {
  strata::clear_session();
  const float inf = std::numeric_limits<float>::infinity();
  auto x = strata::Input({3});
  auto ids = int_input({3}, "int64");
  auto mask = ops::greater(x, 0.0);
  // Python's True is strongly typed: where of two bools stays bool, as Keras's result_type says.
  CHECK(ops::where(mask, ops::logical_not(mask), false).dtype() == DType::kBool);
  CHECK(ops::equal(mask, true).dtype() == DType::kBool);
  CHECK_THROWS_MATCHES(mask + true, strata::ValueError, MessageThat(Contains("received bool ones")));
  CHECK((ids + true).dtype() == DType::kInt64);
  CHECK_THROWS_MATCHES(ops::add(x, std::numeric_limits<uint64_t>::max()), strata::ValueError,
                       MessageThat(Contains("above INT64_MAX")));
  const int64_t big = (int64_t{1} << 53) + 1;  // not a double
  strata::Model model({x, ids}, {ops::equal(ids, big), ops::where(mask, ids, big), ops::less(x, 1e39),
                                 ops::where(mask, x, -1e300), x + std::numeric_limits<int64_t>::max(),
                                 ops::logical_and(mask, true), ops::absolute(mask)});
  const std::vector<Tensor> out = predict_both(
      model, {Tensor({1, 3}, {1.0f, -1.0f, 2.0f}), Tensor::from_int64({1, 3}, {big, big - 1, 0})});
  CHECK(out[0] == Tensor::from_bool({1, 3}, {1, 0, 0}));
  CHECK(out[1] == Tensor::from_int64({1, 3}, {big, big, 0}));
  CHECK(out[2] == Tensor::from_bool({1, 3}, {1, 1, 1}));  // 1e39 is beyond float32: infinity
  CHECK(out[3] == Tensor({1, 3}, {1.0f, -inf, 2.0f}));
  CHECK(out[4].data()[0] == 9223372036854775807.0f);
  CHECK(out[5] == Tensor::from_bool({1, 3}, {1, 0, 1}));
  CHECK(out[6] == out[5]);  // a bool is its own absolute value, as in Keras's TensorFlow backend
  // The config writes the int64 exactly, as Python would.
  const std::string config =
      static_cast<const strata::detail::FunctionalImpl&>(*model.impl()).config().dump();
  CHECK(config.find("\"x2\":9223372036854775807") != std::string::npos);
  CHECK(config.find("\"x2\":9007199254740993") != std::string::npos);
  CHECK(config.find("\"x2\":true") != std::string::npos);
}

TEST_CASE("ordered comparisons of bools compare false < true, as numpy", "[ops][dtypes][numerics]") {
  strata::clear_session();
  auto a = strata::Input({4}, {.name = "a", .dtype = "bool"});
  auto b = strata::Input({4}, {.name = "b", .dtype = "bool"});
  strata::Model model({a, b},
                      {ops::less(a, b), ops::greater_equal(a, b), ops::equal(a, b), ops::not_equal(a, true)});
  const std::vector<Tensor> out =
      predict_both(model, {Tensor::from_bool({1, 4}, {0, 0, 1, 1}), Tensor::from_bool({1, 4}, {0, 1, 0, 1})});
  CHECK(out[0] == Tensor::from_bool({1, 4}, {0, 1, 0, 0}));
  CHECK(out[1] == Tensor::from_bool({1, 4}, {1, 0, 1, 1}));
  CHECK(out[2] == Tensor::from_bool({1, 4}, {1, 0, 0, 1}));
  CHECK(out[3] == Tensor::from_bool({1, 4}, {1, 1, 0, 0}));
}

TEST_CASE("a bool input tensor holding a byte other than 0 or 1 is refused by predict",
          "[ops][dtypes][errors]") {
  strata::clear_session();
  auto m = strata::Input({3}, {.name = "m", .dtype = "bool"});
  strata::Model model({m}, ops::logical_not(m));
  Tensor bad = Tensor::from_bool({1, 3}, {0, 1, 1});
  static_cast<uint8_t*>(bad.raw_data())[2] = 2;
  for (const char* backend : {"onednn", "reference"}) {
    CHECK_THROWS_MATCHES(model.compile({.backend = backend}).predict(bad), strata::ValueError,
                         MessageThat(Contains("Input 0 ('m') holds byte 2 at element 2 of a bool tensor")));
  }
}

TEST_CASE("the precision pass leaves integer and bool values as they are, on any CPU",
          "[ops][dtypes][passes]") {
  strata::clear_session();
  auto x = strata::Input({4, 4, 3});
  auto i = ops::cast(x * 4.0, "int32");
  auto b = ops::greater(x, 0.0);
  auto moved = ops::transpose(ops::concatenate({i, b}, 3), {0, 2, 1, 3});  // int32, via oneDNN reorders
  auto out = ops::where(ops::transpose(b, {0, 2, 1, 3}), L::Conv2D(3, 1)(x), 0.0);
  strata::Model model({x}, {out, moved});
  const auto& impl = static_cast<const strata::detail::FunctionalImpl&>(*model.impl());
  strata::ir::Graph graph = strata::ir::lower_layers(impl, {{1, 4, 4, 3}});
  strata::ir::choose_precision(graph);
  int bf16 = 0;
  for (const strata::ir::Op& op : graph.ops) {
    INFO(graph.to_string());
    const strata::ir::DataType type = graph.values[op.output()].dtype;
    if (std::holds_alternative<strata::ir::ConvOp>(op.attrs)) CHECK(type == strata::ir::DataType::kBFloat16);
    if (std::holds_alternative<strata::ir::ConcatOp>(op.attrs) ||
        std::holds_alternative<strata::ir::TransposeOp>(op.attrs)) {
      CHECK((type == strata::ir::DataType::kInt32 || type == strata::ir::DataType::kBool));
    }
    if (const auto* e = std::get_if<strata::ir::ElementwiseOp>(&op.attrs)) {
      for (strata::ir::ValueId v : op.inputs) CHECK(graph.values[v].dtype != strata::ir::DataType::kBFloat16);
      if (e->kind == strata::ir::ElementwiseOp::Kind::kGreater) CHECK(type == strata::ir::DataType::kBool);
    }
    bf16 += type == strata::ir::DataType::kBFloat16 ? 1 : 0;
  }
  CHECK(bf16 >= 1);
  CHECK(graph.values[graph.outputs[0]].dtype == strata::ir::DataType::kFloat32);
  CHECK(graph.values[graph.outputs[1]].dtype == strata::ir::DataType::kInt32);
}
