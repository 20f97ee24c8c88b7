// Keras 3's ops on symbolic tensors (strata/ops.hpp): numbers against tfjs-core's kernels run as Keras's op
// classes (tests/tfjs/run_tfjs.js KerasOp) and against the reference executor, shapes and broadcasting,
// errors, names, summary rows, configs, and fusion of number operands into the op before them.
#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/ops.hpp"
#include "tfjs_oracle.hpp"

using namespace strata_test;
namespace L = strata::layers;
using strata::SymbolicTensor;

namespace {

struct Case {
  std::string what;
  std::function<strata::Model()> build;
  std::vector<std::vector<int64_t>> inputs;  // batch included
  int64_t terms = 1;
};

// A positive tensor for sqrt, log and powers: x * x + 0.5.
SymbolicTensor positive(const SymbolicTensor& x) {
  return x * x + 0.5;
}

std::vector<Case> cases() {
  namespace ops = strata::ops;
  std::vector<Case> c;
  using Binary = SymbolicTensor (*)(const ops::Operand&, const ops::Operand&);
  const std::vector<std::pair<const char*, Binary>> binaries = {
      {"add", ops::add},        {"subtract", ops::subtract},       {"multiply", ops::multiply},
      {"divide", ops::divide},  {"true_divide", ops::true_divide}, {"maximum", ops::maximum},
      {"minimum", ops::minimum}};
  for (const auto& [name, f] : binaries) {
    const bool divides = std::string(name).find("divide") != std::string::npos;
    // Same shapes; one side broadcast (oneDNN's binary); both sides broadcast (plain C++); numbers both
    // sides.
    c.push_back(
        {fmt::format("{} same shapes", name),
         [=] {
           return pair({4, 3}, {4, 3}, [&](auto x, auto y) { return f(x, divides ? positive(y) : y); });
         },
         {{2, 4, 3}, {2, 4, 3}}});
    c.push_back(
        {fmt::format("{} (None, 4, 5, 3) with (None, 1, 1, 3)", name),
         [=] {
           return pair({4, 5, 3}, {1, 1, 3}, [&](auto x, auto y) { return f(x, divides ? positive(y) : y); });
         },
         {{2, 4, 5, 3}, {2, 1, 1, 3}}});
    c.push_back(
        {fmt::format("{} (None, 1, 5) with (None, 4, 1): both broadcast", name),
         [=] {
           return pair({1, 5}, {4, 1}, [&](auto x, auto y) { return f(divides ? positive(x) : x, y); });
         },
         {{2, 1, 5}, {2, 4, 1}}});
    c.push_back(
        {fmt::format("{} broadcast first operand", name),
         [=] {
           return pair({1, 3}, {4, 3}, [&](auto x, auto y) { return f(x, divides ? positive(y) : y); });
         },
         {{3, 1, 3}, {3, 4, 3}}});
    c.push_back({fmt::format("{} tensor and number", name),
                 [=] { return single({6}, [&](auto x) { return f(x, 2.5); }); },
                 {{3, 6}}});
    c.push_back({fmt::format("{} number and tensor", name),
                 [=] { return single({6}, [&](auto x) { return f(-1.5, divides ? positive(x) : x); }); },
                 {{3, 6}}});
  }
  c.push_back({"power with exponents 2, 0.5 and -1.5",
               [] {
                 return single({6}, [](auto x) {
                   auto p = positive(x);
                   return ops::power(x, 2) + ops::power(p, 0.5) + ops::power(p, -1.5);
                 });
               },
               {{3, 6}}});
  // A tensor exponent and a number base: plain C++ on the plan's threads (oneDNN 2.6 has no power binary).
  // Large enough (over 2^15 elements) that the loop splits between threads, with each chunk starting from
  // its own multi-index.
  c.push_back({"power of tensors, same shapes, numbers either side",
               [] {
                 return pair({4, 3}, {4, 3}, [](auto x, auto y) {
                   return ops::power(positive(x), y * 2.0) + ops::power(2.5, x) + ops::power(positive(y), 3);
                 });
               },
               {{2, 4, 3}, {2, 4, 3}}});
  c.push_back({"power (None, 1, 5) with (None, 4, 1): both broadcast",
               [] {
                 return pair({1, 5}, {4, 1}, [](auto x, auto y) { return ops::power(positive(x), y); });
               },
               {{2, 1, 5}, {2, 4, 1}}});
  c.push_back({"power of a large map with a per-channel exponent",
               [] {
                 return pair({64, 48, 12}, {1, 1, 12},
                             [](auto x, auto y) { return ops::power(positive(x), y * 3.0); });
               },
               {{2, 64, 48, 12}, {2, 1, 1, 12}}});
  c.push_back({"erf",
               [] {
                 return single({4, 3}, [](auto x) { return ops::erf(x * 2.0) + 1.0; });
               },
               {{2, 4, 3}}});
  c.push_back({"operators: -x, 1 - x / 3, 2 * x * x, (x + y) / (y * y + 1)",
               [] {
                 return pair({5}, {5}, [](auto x, auto y) {
                   return -x + (1 - x / 3) + 2 * x * x + (x + y) / (y * y + 1);
                 });
               },
               {{2, 5}, {2, 5}}});
  using Unary = SymbolicTensor (*)(const SymbolicTensor&);
  const std::vector<std::pair<const char*, Unary>> unaries = {
      {"negative", ops::negative},  {"abs", ops::abs},
      {"square", ops::square},      {"exp", ops::exp},
      {"relu", ops::relu},          {"relu6", ops::relu6},
      {"sigmoid", ops::sigmoid},    {"tanh", ops::tanh},
      {"softplus", ops::softplus},  {"silu", ops::silu},
      {"selu", ops::selu},          {"hard_sigmoid", ops::hard_sigmoid},
      {"hard_silu", ops::hard_silu}};
  for (const auto& [name, f] : unaries) {
    c.push_back({name, [=] { return single({4, 3}, [&](auto x) { return f(x * 4.0); }); }, {{2, 4, 3}}});
  }
  c.push_back(
      {"sqrt and log",
       [] { return single({7}, [](auto x) { return ops::sqrt(positive(x)) + ops::log(positive(x)); }); },
       {{2, 7}}});
  c.push_back({"clip", [] { return single({7}, [](auto x) { return ops::clip(x, -0.3, 0.4); }); }, {{2, 7}}});
  c.push_back({"gelu approximate and exact",
               [] {
                 return single({7},
                               [](auto x) { return ops::gelu(x * 3.0) + ops::gelu(x * 3.0, false) * 2.0; });
               },
               {{2, 7}}});
  c.push_back(
      {"elu alpha 0.5 and leaky_relu 0.1",
       [] { return single({7}, [](auto x) { return ops::elu(x * 3.0, 0.5) + ops::leaky_relu(x, 0.1); }); },
       {{2, 7}}});
  c.push_back({"softmax and log_softmax over a middle axis, log_softmax over the last",
               [] {
                 return single({4, 5, 3}, [](auto x) {
                   return ops::concatenate(
                       {ops::softmax(x * 2.0, 2), ops::log_softmax(x, 1), ops::log_softmax(x)}, -1);
                 });
               },
               {{2, 4, 5, 3}}});
  c.push_back({"softmax",
               [] {
                 return single({3, 6}, [](auto x) { return ops::softmax(x * 3.0); });
               },
               {{2, 3, 6}},
               6});
  for (bool keepdims : {false, true}) {
    c.push_back({fmt::format("sum, mean, max, min over one and two axes, keepdims {}", keepdims),
                 [=] {
                   return single({4, 5, 3}, [&](auto x) {
                     auto a = ops::sum(x, -1, keepdims) + ops::mean(x, 3, keepdims) +
                              ops::max(x, -1, keepdims) - ops::min(x, 3, keepdims);
                     auto b = ops::max(x, {1, 2}, keepdims) * ops::min(x, {2, 1}, keepdims) +
                              ops::mean(x, {1, 2}, keepdims) - ops::sum(x, {1, 2}, keepdims);
                     return ops::concatenate({ops::reshape(a, {-1, 20}), ops::reshape(b, {-1, 3})}, -1);
                   });
                 },
                 {{2, 4, 5, 3}},
                 20});
  }
  c.push_back({"reshape, expand_dims, squeeze, transpose",
               [] {
                 return single({4, 6}, [](auto x) {
                   auto r = ops::reshape(x, {-1, 2, 3, 4});                                // (None, 2, 3, 4)
                   auto t = ops::transpose(r, {0, 3, 1, 2});                               // (None, 4, 2, 3)
                   auto e = ops::expand_dims(ops::reshape(t, {-1, 24}), -1);               // (None, 24, 1)
                   auto s = ops::squeeze(ops::expand_dims(e, 1), 1);                       // (None, 24, 1)
                   return ops::concatenate({s, ops::expand_dims(ops::squeeze(e), 2)}, 2);  // (None, 24, 2)
                 });
               },
               {{2, 4, 6}}});
  c.push_back({"matmul (None, 3, 4) by (None, 4, 5), relu after",
               [] {
                 return pair({3, 4}, {4, 5}, [](auto a, auto b) { return ops::relu(ops::matmul(a, b)); });
               },
               {{2, 3, 4}, {2, 4, 5}},
               4});
  c.push_back({"attention written with ops: softmax(q k^T / sqrt(d)) v, two heads",
               [] {
                 return single({5, 8}, [](auto x) {
                   auto heads = [](SymbolicTensor t) {  // (None, 5, 8) -> (None, 2, 5, 4)
                     return ops::transpose(ops::reshape(t, {-1, 5, 2, 4}), {0, 2, 1, 3});
                   };
                   auto q = heads(L::Dense(8)(x)), k = heads(L::Dense(8)(x)), v = heads(L::Dense(8)(x));
                   auto scores = ops::softmax(ops::matmul(q, ops::transpose(k, {0, 1, 3, 2})) / 2.0);
                   return ops::reshape(ops::transpose(ops::matmul(scores, v), {0, 2, 1, 3}), {-1, 5, 8});
                 });
               },
               {{2, 5, 8}},
               64});
  c.push_back({"matmul broadcasting a leading axis of 1",
               [] {
                 return pair({1, 3, 4}, {2, 4, 3}, [](auto a, auto b) { return ops::matmul(a, b); });
               },
               {{2, 1, 3, 4}, {2, 2, 4, 3}},
               4});
  // Numbers after convolutions and dense layers: the element-wise steps fuse into them.
  c.push_back({"Conv2D then hard swish written with ops, x * relu6(x + 3) / 6",
               [] {
                 return single({6, 6, 3}, [](auto x) {
                   auto y = L::Conv2D(4, 3)(x);
                   return y * L::ReLU({.max_value = 6.0f})(y + 3.0) / 6.0;
                 });
               },
               {{2, 6, 6, 3}},
               27});
  c.push_back({"Dense then * 0.5 + 1, squeeze-excitation style multiply",
               [] {
                 return single({4, 4, 6}, [](auto x) {
                   auto s = L::Reshape({1, 1, 6})(L::Dense(6)(L::GlobalAveragePooling2D()(x)));
                   return x * ops::sigmoid(s * 0.5 + 1.0);
                 });
               },
               {{2, 4, 4, 6}},
               6});
  return c;
}

}  // namespace

TEST_CASE("Every op equals tfjs-core's kernel for it and the reference executor", "[ops][tfjs][numerics]") {
  const std::vector<Case> all = cases();
  const std::vector<TfjsCase> runs = tfjs_runs(all, 300, randomize_weights);
  const std::vector<TfjsResult> results = tfjs_predict_all(runs);
  for (size_t i = 0; i < all.size(); ++i) {
    INFO(all[i].what);
    INFO(results[i].refused);
    REQUIRE(results[i].refused.empty());
    const std::vector<strata::Tensor> ours = runs[i].model.predict(runs[i].inputs);
    REQUIRE(ours.size() == results[i].outputs.size());
    for (size_t k = 0; k < ours.size(); ++k) {
      CHECK(ours[k].dims() == results[i].outputs[k].dims());
      const double error = scaled_error(ours[k], results[i].outputs[k]);
      INFO("error against tfjs " << error);
      CHECK(error <= 2 * float32_tolerance(all[i].terms));
    }
    CHECK(onednn_vs_reference(runs[i].model, runs[i].inputs) <= float32_tolerance(all[i].terms));
  }
}

TEST_CASE("ops are named, summarized and configured as Keras 3 does", "[ops]") {
  strata::clear_session();
  auto x = strata::Input({4, 3});
  auto y = strata::Input({4, 3});
  auto sum = x + y;                                  // add (Add)
  auto merged = L::Add()({sum, y});                  // add_1: layers and ops share Keras's name counters
  auto scaled = 2.0 - merged / 3.0;                  // true_divide (TrueDivide), then subtract (Subtract)
  auto out = strata::ops::clip(-scaled, -1.0, 1.0);  // negative (Negative), clip (Clip)
  strata::Model model({x, y}, out);
  std::vector<std::string> names;
  for (const strata::Layer& layer : model.layers()) names.push_back(layer.name() + " " + layer.class_name());
  CHECK(names == std::vector<std::string>{"input_layer InputLayer", "input_layer_1 InputLayer", "add Add",
                                          "add_1 Add", "true_divide TrueDivide", "subtract Subtract",
                                          "negative Negative", "clip Clip"});
  const std::string summary = model.summary_string();
  INFO(summary);
  CHECK(summary.find("│ add (Add)") != std::string::npos);
  CHECK(summary.find("(TrueDivide)") != std::string::npos);
  CHECK(summary.find("Total params: 0 (0.00 B)") != std::string::npos);

  const auto* impl = dynamic_cast<const strata::detail::FunctionalImpl*>(model.impl().get());
  REQUIRE(impl != nullptr);
  const nlohmann::json config = impl->config();
  const nlohmann::json& layers = config["layers"];
  // An op's entry: Keras 3's class and module, its name and constructor arguments as config, the numbers of
  // its call as the node's keyword arguments.
  CHECK(layers[2]["class_name"] == "Add");
  CHECK(layers[2]["module"] == "keras.src.ops.numpy");
  CHECK(layers[2]["config"] == nlohmann::json{{"name", "add"}});
  CHECK_FALSE(layers[3].contains("module"));  // the Add layer
  CHECK(layers[4]["inbound_nodes"][0][0][3] == nlohmann::json{{"x2", 3.0}});
  CHECK(layers[5]["inbound_nodes"][0][0][3] == nlohmann::json{{"x1", 2.0}});
  CHECK(layers[7]["config"] == nlohmann::json{{"name", "clip"}, {"x_min", -1.0}, {"x_max", 1.0}});
  CHECK(strata::Layer(model.layers()[7]).get_config() == R"({"name":"clip","x_max":1.0,"x_min":-1.0})");
  const nlohmann::json nn = strata::ops::leaky_relu(x, 0.1).node()->layer->config();
  CHECK(nn == nlohmann::json{{"negative_slope", 0.1}});
}

TEST_CASE("op shapes broadcast as Keras's broadcast_shapes", "[ops]") {
  namespace ops = strata::ops;
  using strata::None;
  auto a = strata::Input({None, 1, 3});
  auto b = strata::Input({5, 4, 1});
  CHECK((a + b).shape().to_string() == "(None, 5, 4, 3)");
  CHECK((a * 2).shape().to_string() == "(None, None, 1, 3)");
  auto c = strata::Input({4, 4, 3});
  CHECK(ops::maximum(c, strata::Input({1, 1, 3})).shape().to_string() == "(None, 4, 4, 3)");
  CHECK(ops::softmax(c).shape() == c.shape());
  CHECK(ops::mean(c, {1, 2}).shape().to_string() == "(None, 3)");
  CHECK(ops::max(c, -1, true).shape().to_string() == "(None, 4, 4, 1)");
  CHECK(ops::reshape(c, {-1, 16, 3}).shape().to_string() == "(None, 16, 3)");
  CHECK(ops::expand_dims(c, 1).shape().to_string() == "(None, 1, 4, 4, 3)");
  CHECK(ops::squeeze(strata::Input({1, 5, 1})).shape().to_string() == "(None, 5)");
  CHECK(ops::transpose(c, {0, 3, 1, 2}).shape().to_string() == "(None, 3, 4, 4)");
  CHECK(ops::concatenate({c, c}, -1).shape().to_string() == "(None, 4, 4, 6)");
  CHECK(ops::concatenate({a, a}, 1).shape().to_string() == "(None, None, 1, 3)");
}

TEST_CASE("op errors name the op, what was expected and what was received", "[ops][errors]") {
  namespace ops = strata::ops;
  using Catch::Matchers::Contains;
  auto x = strata::Input({4, 3});
  REQUIRE_THROWS_MATCHES(x + strata::Input({5, 3}), strata::ShapeError,
                         strata_test::MessageThat(Contains("(Add)]") && Contains("failure dim has value 4") &&
                                                  Contains("(None, 4, 3) and (None, 5, 3)")));
  REQUIRE_THROWS_MATCHES(x * strata::Input({3}), strata::ShapeError,
                         strata_test::MessageThat(Contains("(Multiply)]") && Contains("different ranks") &&
                                                  Contains("expand_dims")));
  REQUIRE_THROWS_MATCHES(ops::add(1, 2), strata::ValueError,
                         strata_test::MessageThat(Contains("(Add)]") && Contains("two numbers")));
  REQUIRE_THROWS_MATCHES(
      ops::power(x, strata::Input({5, 3})), strata::ShapeError,
      strata_test::MessageThat(Contains("(Power)]") && Contains("(None, 4, 3) and (None, 5, 3)")));
  REQUIRE_THROWS_MATCHES(
      ops::softmax(x, 0), strata::ValueError,
      strata_test::MessageThat(Contains("(Softmax)]") && Contains("axis 0 is the batch axis")));
  REQUIRE_THROWS_MATCHES(ops::log_softmax(x, -5), strata::ValueError,
                         strata_test::MessageThat(Contains("(LogSoftmax)]") && Contains("out of bounds")));
  REQUIRE_THROWS_MATCHES(ops::softmax(x, 3), strata::ValueError,
                         strata_test::MessageThat(Contains("axis 3 is out of bounds")));
  REQUIRE_THROWS_MATCHES(ops::clip(x, 1.0, -1.0), strata::ValueError,
                         strata_test::MessageThat(Contains("x_min <= x_max")));
  REQUIRE_THROWS_MATCHES(ops::mean(x), strata::ValueError,
                         strata_test::MessageThat(Contains("(Mean)]") && Contains("batch")));
  REQUIRE_THROWS_MATCHES(
      ops::sum(x, {0, 1}), strata::ValueError,
      strata_test::MessageThat(Contains("(Sum)]") && Contains("axis 0 is the batch axis")));
  REQUIRE_THROWS_MATCHES(ops::max(x, {1, -2}), strata::ValueError,
                         strata_test::MessageThat(Contains("(Max)]") && Contains("appears twice")));
  REQUIRE_THROWS_MATCHES(
      ops::reshape(x, {-1, 5}), strata::ValueError,
      strata_test::MessageThat(Contains("(Reshape)]") && Contains("12 elements per sample") &&
                               Contains("newshape=(-1, 5)")));
  REQUIRE_THROWS_MATCHES(ops::reshape(x, {2, 6}), strata::ValueError,
                         strata_test::MessageThat(Contains("start with -1")));
  REQUIRE_THROWS_MATCHES(ops::squeeze(x, 1), strata::ValueError,
                         strata_test::MessageThat(Contains("(Squeeze)]") && Contains("size is not 1")));
  REQUIRE_THROWS_MATCHES(ops::transpose(x), strata::ValueError,
                         strata_test::MessageThat(Contains("(Transpose)]") && Contains("axes=None")));
  REQUIRE_THROWS_MATCHES(ops::transpose(x, {2, 0, 1}), strata::ValueError,
                         strata_test::MessageThat(Contains("batch axis must stay first")));
  REQUIRE_THROWS_MATCHES(ops::concatenate({x, x}), strata::ValueError,
                         strata_test::MessageThat(Contains("(Concatenate)]") && Contains("batch axis")));
  REQUIRE_THROWS_MATCHES(ops::concatenate({x, strata::Input({5, 4})}, 1), strata::ShapeError,
                         strata_test::MessageThat(Contains("match except on axis 1")));
  REQUIRE_THROWS_MATCHES(ops::matmul(x, strata::Input({4, 2})), strata::ShapeError,
                         strata_test::MessageThat(Contains("(Matmul)]") && Contains("Inner dimensions")));
  REQUIRE_THROWS_MATCHES(ops::matmul(x, strata::Input({3})), strata::ShapeError,
                         strata_test::MessageThat(Contains("one rank, 3 or more")));
  REQUIRE_THROWS_MATCHES(x + SymbolicTensor(), strata::ValueError,
                         strata_test::MessageThat(Contains("(Add)]")));
  auto ids = strata::Input({4}, {.dtype = "int32"});
  REQUIRE_THROWS_MATCHES(ops::sigmoid(ids), strata::ValueError,
                         strata_test::MessageThat(Contains("(Sigmoid)]") && Contains("float32")));
  // Concrete sizes that do not broadcast, where the symbolic shapes could (an unknown dimension).
  auto v = strata::Input({strata::None, 3});
  strata::Model model({x, v}, x + v);
  REQUIRE_THROWS_MATCHES(model.predict({strata::Tensor::zeros({1, 4, 3}), strata::Tensor::zeros({1, 5, 3})}),
                         strata::ShapeError,
                         strata_test::MessageThat(Contains("(Add)]") && Contains("(1, 4, 3) and (1, 5, 3)")));
}

TEST_CASE("a number operand fuses into the op before it", "[ops][fusion]") {
  auto x = strata::Input({8, 8, 3});
  auto y = L::Conv2D(8, 3)(x);
  auto z = L::Dense(4)(L::Flatten()(y * 0.5 + 1.0));
  strata::Model model(x, z - 2.0);
  randomize_weights(model, 5);
  const std::string plan = model.compile().plan_string({{2, 8, 8, 3}});
  INFO(plan);
  CHECK(plan.find("conv + affine ") != std::string::npos);  // * 0.5 + 1.0 as one step
  CHECK(plan.find("2 steps") != std::string::npos);
  CHECK(plan.find("dense + affine") != std::string::npos);
  auto a = strata::Input({3, 4}), b = strata::Input({4, 5});
  strata::Model product({a, b}, strata::ops::sigmoid(strata::ops::matmul(a, b)));
  CHECK(product.compile().plan_string({{2, 3, 4}, {2, 4, 5}}).find("matmul + sigmoid") != std::string::npos);
  check_against_reference(model, {random_input({2, 8, 8, 3}, 6)}, float32_tolerance(27 * 36 * 8));
}

TEST_CASE("a reduction over axes of one element is those elements (oneDNN refuses such a reduction)",
          "[ops]") {
  strata::clear_session();
  auto x = strata::Input({4, 1});
  const strata::Model model(
      x, {strata::ops::sum(x, 2, true), strata::ops::max(x, {1, 2}, true), strata::ops::mean(x, 2)});
  const strata::Tensor in = random_input({2, 4, 1}, 3);
  for (const char* backend : {"onednn", "reference"}) {
    INFO(backend);
    const std::vector<strata::Tensor> out =
        model.compile({.backend = backend}).predict(std::vector<strata::Tensor>{in});
    CHECK(out[0] == in);
    for (int b = 0; b < 2; ++b) {
      const float* v = in.data() + b * 4;
      CHECK(out[1].data()[b] == *std::max_element(v, v + 4));
    }
    CHECK(out[2].dims() == std::vector<int64_t>{2, 4});
  }
}
