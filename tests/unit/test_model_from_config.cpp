// model_from_json: Keras 3's node form (args, kwargs, __keras_tensor__, modules, a nested Sequential),
// strata's own configs read back (nested models, shared layers, keyword tensors), and one error per way a
// config can be broken.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "graph/functional.hpp"
#include "message_matcher.hpp"
#include "numerics_util.hpp"
#include "strata/saving.hpp"

using namespace strata_test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
namespace L = strata::layers;
using json = nlohmann::json;

namespace {

json keras_tensor(const std::string& layer, int node, int index, json shape) {
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"shape", shape}, {"dtype", "float32"}, {"keras_history", {layer, node, index}}}}};
}

json policy() {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", "float32"}}},
          {"registered_name", nullptr}};
}

json layer_entry(const std::string& cls, json config, json nodes) {
  config["trainable"] = true;
  config["dtype"] = policy();
  return {{"module", "keras.layers"},   {"class_name", cls},      {"config", config},
          {"registered_name", nullptr}, {"name", config["name"]}, {"inbound_nodes", nodes}};
}

json input_entry(const std::string& name, json batch_shape) {
  return {{"module", "keras.layers"},
          {"class_name", "InputLayer"},
          {"config", {{"batch_shape", batch_shape}, {"dtype", "float32"}, {"sparse", false}, {"name", name}}},
          {"registered_name", nullptr},
          {"name", name},
          {"inbound_nodes", json::array()}};
}

json functional(const std::string& name, json layers, json inputs, json outputs) {
  return {{"module", "keras"},
          {"class_name", "Functional"},
          {"config",
           {{"name", name},
            {"trainable", true},
            {"layers", layers},
            {"input_layers", inputs},
            {"output_layers", outputs}}},
          {"registered_name", "Functional"}};
}

// Copies `from`'s weights into `to` and checks both compute the same, bitwise.
void expect_same_model(const strata::Model& from, strata::Model to,
                       const std::vector<strata::Tensor>& inputs) {
  CHECK(to.summary_string() == from.summary_string());
  to.set_weights(from.get_weights());
  const std::vector<strata::Tensor> want = from.predict(inputs), got = to.predict(inputs);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i].dims() == want[i].dims());
    CHECK(std::equal(got[i].data(), got[i].data() + got[i].size(), want[i].data()));
  }
}

json config_of(const strata::Model& model) {
  return {{"class_name", model.impl()->class_name()},
          {"config", dynamic_cast<const strata::detail::FunctionalImpl&>(*model.impl()).config()}};
}

}  // namespace

TEST_CASE("model_from_json reads Keras 3's node form", "[load_model][config]") {
  // A functional model as Keras 3 writes it: two Dense branches added (a list argument), a nested Sequential
  // (Keras 3 counts its calls from 0), and an LSTM given its states by keyword.
  const json x = keras_tensor("features", 0, 0, {nullptr, 8});
  json layers = {
      input_entry("features", {nullptr, 8}),
      input_entry("sequence", {nullptr, 5, 3}),
      layer_entry("Dense", {{"name", "left"}, {"units", 4}, {"activation", "relu"}},
                  {{{"args", {x}}, {"kwargs", json::object()}}}),
      layer_entry("Dense", {{"name", "right"}, {"units", 4}}, {{{"args", {x}}, {"kwargs", json::object()}}}),
      layer_entry(
          "Add", {{"name", "sum"}},
          {{{"args", {{keras_tensor("left", 0, 0, {nullptr, 4}), keras_tensor("right", 0, 0, {nullptr, 4})}}},
            {"kwargs", json::object()}}}),
      {{"module", "keras"},
       {"class_name", "Sequential"},
       {"config",
        {{"name", "head"},
         {"trainable", true},
         {"dtype", policy()},
         {"layers",
          {{{"module", "keras.layers"},
            {"class_name", "InputLayer"},
            {"config",
             {{"batch_shape", {nullptr, 4}}, {"dtype", "float32"}, {"sparse", false}, {"name", "head_in"}}},
            {"registered_name", nullptr}},
           {{"module", "keras.layers"},
            {"class_name", "Dense"},
            {"config", {{"name", "state_h"}, {"units", 6}, {"activation", "tanh"}}},
            {"registered_name", nullptr},
            {"build_config", {{"input_shape", {nullptr, 4}}}}}}},
         {"build_input_shape", {nullptr, 4}}}},
       {"registered_name", nullptr},
       {"name", "head"},
       {"inbound_nodes",
        {{{"args", {keras_tensor("sum", 0, 0, {nullptr, 4})}}, {"kwargs", json::object()}}}}},
      layer_entry("Dense", {{"name", "state_c"}, {"units", 6}},
                  {{{"args", {keras_tensor("sum", 0, 0, {nullptr, 4})}}, {"kwargs", json::object()}}}),
      layer_entry(
          "LSTM", {{"name", "lstm"}, {"units", 6}, {"return_sequences", true}},
          {{{"args", {keras_tensor("sequence", 0, 0, {nullptr, 5, 3})}},
            {"kwargs",
             {{"initial_state",
               {keras_tensor("head", 0, 0, {nullptr, 6}), keras_tensor("state_c", 0, 0, {nullptr, 6})}},
              {"mask", nullptr},
              {"training", false}}}}}),
  };
  // A nested functional model: Keras 3's histories count its calls from 0, output_layers from 1.
  json inner = functional(
      "scale",
      {input_entry("inner_in", {nullptr, 4}),
       layer_entry("Dense", {{"name", "inner_dense"}, {"units", 2}},
                   {{{"args", {keras_tensor("inner_in", 0, 0, {nullptr, 4})}}, {"kwargs", json::object()}}})},
      {{"inner_in", 0, 0}}, {{"inner_dense", 0, 0}});
  inner["name"] = "scale";
  inner["inbound_nodes"] = {
      {{"args", {keras_tensor("sum", 0, 0, {nullptr, 4})}}, {"kwargs", json::object()}}};
  layers.push_back(inner);
  layers.push_back(
      layer_entry("Dense", {{"name", "after_scale"}, {"units", 3}},
                  {{{"args", {keras_tensor("scale", 0, 0, {nullptr, 2})}}, {"kwargs", json::object()}}}));
  const json config = functional("keras3_form", layers, {{"features", 0, 0}, {"sequence", 0, 0}},
                                 {{"lstm", 0, 0}, {"scale", 1, 0}, {"after_scale", 0, 0}});
  strata::Model loaded = strata::model_from_json(config.dump());

  // The same model in strata's API.
  auto features = strata::Input({8}, "features");
  auto sequence = strata::Input({5, 3}, "sequence");
  auto sum = L::Add({.name = "sum"})({L::Dense(4, {.activation = "relu", .name = "left"})(features),
                                      L::Dense(4, {.name = "right"})(features)});
  strata::Sequential head(
      {L::InputLayer({4}, {.name = "head_in"}), L::Dense(6, {.activation = "tanh", .name = "state_h"})},
      "head");
  auto out = L::LSTM(6, {.return_sequences = true, .name = "lstm"})(
      sequence, {head(sum), L::Dense(6, {.name = "state_c"})(sum)});
  auto inner_in = strata::Input({4}, "inner_in");
  const strata::Model scale(inner_in, L::Dense(2, {.name = "inner_dense"})(inner_in), "scale");
  auto scaled = scale(sum);
  const strata::Model built({features, sequence}, {out, scaled, L::Dense(3, {.name = "after_scale"})(scaled)},
                            "keras3_form");
  randomize_weights(built, 11);
  expect_same_model(built, loaded, {random_input({2, 8}, 1), random_input({2, 5, 3}, 2)});
}

TEST_CASE("model_from_json reads back the configs strata writes", "[load_model][config]") {
  SECTION("a nested model called twice, a shared layer, several outputs") {
    auto a = strata::Input({6}, "a");
    const strata::Model inner(a, L::Dense(3, {.activation = "tanh", .name = "inner_dense"})(a), "inner");
    auto x = strata::Input({6}, "x");
    auto y = strata::Input({6}, "y");
    const L::Dense shared(6, {.name = "shared"});
    auto left = inner(shared(x));
    auto right = inner(shared(y));
    const strata::Model model({x, y}, {L::Concatenate({.name = "both"})({left, right}), right}, "outer");
    randomize_weights(model, 3);
    const strata::Model loaded = strata::model_from_json(config_of(model).dump());
    expect_same_model(model, loaded, {random_input({2, 6}, 4), random_input({2, 6}, 5)});
  }
  SECTION("MultiHeadAttention with key and mask, Bidirectional with states") {
    auto q = strata::Input({4, 8}, "q");
    auto v = strata::Input({5, 8}, "v");
    auto mask = strata::Input({4, 5}, "mask");
    L::MultiHeadAttention mha(2, 4, {.name = "mha"});
    auto att = mha(q, v, {.key = v, .attention_mask = mask});
    auto seq = L::Bidirectional(L::GRU(3, {.return_sequences = true}), {.name = "bi"})(att);
    const strata::Model model({q, v, mask}, seq, "attend");
    randomize_weights(model, 7);
    const strata::Model loaded = strata::model_from_json(config_of(model).dump());
    strata::Tensor m({2, 4, 5}, std::vector<float>(40, 0.0f));
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = (i % 3) != 0 ? 1.0f : 0.0f;
    expect_same_model(model, loaded, {random_input({2, 4, 8}, 8), random_input({2, 5, 8}, 9), m});
  }
  SECTION("a Sequential, as Keras 2.0 to 2.2 wrote it: a list whose first layer has the input shape") {
    const json layers = {
        {{"class_name", "Dense"},
         {"config",
          {{"name", "d1"}, {"units", 5}, {"batch_input_shape", {nullptr, 3}}, {"activation", "relu"}}}},
        {{"class_name", "Dense"}, {"config", {{"name", "d2"}, {"units", 2}}}}};
    const strata::Model loaded =
        strata::model_from_json(json{{"class_name", "Sequential"}, {"config", layers}}.dump());
    CHECK(loaded.inputs().front().shape() == strata::Shape({strata::None, 3}));
    CHECK(loaded.layers().size() == 2);
    CHECK(loaded.layers().front().name() == "d1");
  }
}

TEST_CASE("Keras 2's hard_sigmoid is read as Keras 2 computes it", "[load_model][config]") {
  const json layers = {
      {{"class_name", "Activation"},
       {"config", {{"name", "gate"}, {"activation", "hard_sigmoid"}, {"batch_input_shape", {nullptr, 4}}}}}};
  const strata::Tensor x({1, 4}, {-3.0f, -1.0f, 1.0f, 2.0f});
  for (const auto& [version, slope] : {std::pair{"2.3.1", 0.2f}, {"3.3.3", 1.0f / 6.0f}}) {
    INFO(version);
    const json config = {{"class_name", "Sequential"}, {"config", layers}, {"keras_version", version}};
    const strata::Tensor y = strata::model_from_json(config.dump()).predict(x);
    for (int i = 0; i < 4; ++i) CHECK(y.data()[i] == std::clamp(slope * x.data()[i] + 0.5f, 0.0f, 1.0f));
  }
}

TEST_CASE("model_from_json names what is wrong with a config", "[load_model][config][errors]") {
  const json x = {"in", 0, 0, json::object()};
  const auto model = [](json layers, json outputs = {{"d", 0, 0}}) {
    return json{
        {"class_name", "Functional"},
        {"config",
         {{"name", "m"}, {"layers", layers}, {"input_layers", {{"in", 0, 0}}}, {"output_layers", outputs}}}}
        .dump();
  };
  const json input = {{"class_name", "InputLayer"},
                      {"name", "in"},
                      {"config", {{"batch_input_shape", {nullptr, 3}}, {"name", "in"}}},
                      {"inbound_nodes", json::array()}};
  const auto dense = [](const std::string& name, json nodes) {
    return json{{"class_name", "Dense"},
                {"name", name},
                {"config", {{"name", name}, {"units", 2}}},
                {"inbound_nodes", nodes}};
  };
  CHECK_THROWS_MATCHES(strata::model_from_json("{\"class_name\": "), strata::ValueError,
                       MessageThat(StartsWith("[model_from_json] The text is not valid JSON")));
  CHECK_THROWS_MATCHES(strata::model_from_json(R"({"config": {}})"), strata::ValueError,
                       MessageThat(Contains("expected the key 'class_name'")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(R"({"class_name": "Dense", "config": {}})"), strata::ValueError,
      MessageThat(Contains("expected a model of class Functional, Model or Sequential, received 'Dense'")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, dense("d", {{{"nowhere", 0, 0, json::object()}}})})),
      strata::ValueError,
      MessageThat(Contains("layer 'd', node #0: the call reads a tensor of layer 'nowhere', which the "
                           "model config does not have")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, dense("d", {{{"in", 3, 0, json::object()}}})})),
      strata::ValueError,
      MessageThat(Contains("the call reads node 3 of layer 'in', which has 1 call(s) in the config")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model(
          {input, dense("d", {{{"e", 0, 0, json::object()}}}), dense("e", {{{"d", 0, 0, json::object()}}})})),
      strata::ValueError,
      MessageThat(Contains(
          "the graph has a cycle: these calls wait for each other's outputs: 'd' node #0, 'e' node #0")));
  CHECK_THROWS_MATCHES(strata::model_from_json(model({input, dense("d", {{x}}), dense("d", {{x}})})),
                       strata::ValueError, MessageThat(Contains("two layers are named 'd'")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, dense("d", {{{"in", 0, 0, {{"scale", 2}}}}})})),
      strata::ValueError,
      MessageThat(Contains("[d (Dense)] The call passes the keyword argument 'scale' = 2, which this "
                           "layer does not take")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, dense("d", {{x}})}, {{"d", 0, 7}})), strata::ValueError,
      MessageThat(Contains("output_layers: the call reads output 7 of layer 'd' (node 0), which has 1 "
                           "output(s)")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, dense("d", {{{"_CONSTANT_VALUE", -1, 3, json::object()}}})})),
      strata::ValueError,
      MessageThat(Contains("layer 'd', node #0: the call passes a constant (tf.keras's _CONSTANT_VALUE)")));
  json lambda = dense("d", {{x}});
  lambda["class_name"] = "Lambda";
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, lambda})), strata::ValueError,
      MessageThat(Contains("layer 'd': the class 'Lambda' is not one strata has. Register an "
                           "implementation before loading: strata::register_custom_layer(\"Lambda\", "
                           "factory)")));
  json wrong_type = dense("d", {{x}});
  wrong_type["config"]["units"] = "two";
  CHECK_THROWS_MATCHES(strata::model_from_json(model({input, wrong_type})), strata::ValueError,
                       MessageThat(Contains("[d (Dense)] config key 'units'")));
  // An operation's config holds its constructor arguments only; its call, its operands.
  json op = dense("d", {{x}});
  op["module"] = "keras.src.ops.numpy";
  op["class_name"] = "Add";
  CHECK_THROWS_MATCHES(strata::model_from_json(model({input, op})), strata::ValueError,
                       MessageThat(Contains("[d (Add)] the call has no argument 'x2'")));
  op["config"] = {{"name", "d"}, {"units", 2}};
  op["inbound_nodes"] =
      json::array({{{"args", {keras_tensor("in", 0, 0, {nullptr, 3}), 1}}, {"kwargs", json::object()}}});
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, op})), strata::ValueError,
      MessageThat(Contains("[d (Add)] config key 'units': the operation does not take it (received 2)")));
  json masked = dense("d", json::array({{{"args", {keras_tensor("in", 0, 0, {nullptr, 3})}},
                                         {"kwargs", {{"mask", keras_tensor("in", 0, 0, {nullptr, 3})}}}}}));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(model({input, masked})), strata::ValueError,
      MessageThat(Contains("[d (Dense)] The call passes a mask ('mask': 1 tensor(s)), which this layer "
                           "does not take")));
  std::string deep = "1";
  for (int i = 0; i < 300; ++i) deep = "[" + deep + "]";
  CHECK_THROWS_MATCHES(strata::model_from_json("{\"class_name\": \"Functional\", \"config\": " + deep + "}"),
                       strata::ValueError,
                       MessageThat(Equals("[model_from_json] The text nests more than 256 levels")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(
          R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})"),
      strata::ValueError, MessageThat(Contains("Sequential 's': the model has no input shape")));
  CHECK_THROWS_MATCHES(
      strata::model_from_json(R"({"class_name": "Sequential", "keras_version": "1.2.2", "config": []})"),
      strata::ValueError, MessageThat(Contains("written by Keras 1.2.2")));
}

TEST_CASE("model_from_json makes the calls whatever order the config lists them in", "[load_model][config]") {
  // A chain of 300 Dense layers listed from the last to the first: each call waits for the one before.
  const int n = 300;
  json layers = json::array();
  for (int i = n; i >= 1; --i) {
    const std::string input = i == 1 ? std::string("in") : fmt::format("d{}", i - 1),
                      name = fmt::format("d{}", i);
    layers.push_back({{"class_name", "Dense"},
                      {"name", name},
                      {"config", {{"name", name}, {"units", 1}}},
                      {"inbound_nodes", {{{input, 0, 0, json::object()}}}}});
  }
  layers.push_back({{"class_name", "InputLayer"},
                    {"name", "in"},
                    {"config", {{"batch_input_shape", {nullptr, 1}}, {"name", "in"}}},
                    {"inbound_nodes", json::array()}});
  const json config = {{"class_name", "Functional"},
                       {"config",
                        {{"name", "chain"},
                         {"layers", layers},
                         {"input_layers", {{"in", 0, 0}}},
                         {"output_layers", {{fmt::format("d{}", n), 0, 0}}}}}};
  const strata::Model model = strata::model_from_json(config.dump());
  REQUIRE(model.layers().size() == static_cast<size_t>(n + 1));
  CHECK(model.layers()[1].name() == "d1");
  CHECK(model.layers().back().name() == fmt::format("d{}", n));
}

TEST_CASE("model_from_json counts a nested Sequential's calls as the Keras that wrote the config",
          "[load_model][config]") {
  // One Sequential called on two inputs, in Keras 2's node lists. Keras 2 (and strata's configs) count the
  // built Sequential's own node first; Keras 3's legacy .h5 configs (version 3, no module) do not.
  const json seq = {{"class_name", "Sequential"},
                    {"name", "seq"},
                    {"config",
                     {{"name", "seq"},
                      {"layers",
                       {{{"class_name", "InputLayer"},
                         {"config", {{"batch_input_shape", {nullptr, 2}}, {"name", "seq_in"}}}},
                        {{"class_name", "Dense"}, {"config", {{"name", "inner"}, {"units", 2}}}}}}}},
                    {"inbound_nodes", {{{"a", 0, 0, json::object()}}, {{"b", 0, 0, json::object()}}}}};
  const auto input = [](const std::string& name) {
    return json{{"class_name", "InputLayer"},
                {"name", name},
                {"config", {{"batch_input_shape", {nullptr, 2}}, {"name", name}}},
                {"inbound_nodes", json::array()}};
  };
  for (const auto& [version, first] : {std::pair{"2.3.1", 1}, {"3.3.3", 0}}) {
    INFO(version);
    const json config = {{"class_name", "Functional"},
                         {"keras_version", version},
                         {"config",
                          {{"name", "twice"},
                           {"layers", {input("a"), input("b"), seq}},
                           {"input_layers", {{"a", 0, 0}, {"b", 0, 0}}},
                           {"output_layers", {{"seq", first, 0}, {"seq", first + 1, 0}}}}}};
    const strata::Model model = strata::model_from_json(config.dump());
    // Each output is the call on its own input: a model from input 0 to output 0 (and 1 to 1) connects.
    CHECK_NOTHROW(strata::Model(model.inputs()[0], model.outputs()[0]));
    CHECK_NOTHROW(strata::Model(model.inputs()[1], model.outputs()[1]));
    CHECK_THROWS_AS(strata::Model(model.inputs()[0], model.outputs()[1]), strata::GraphError);
  }
}

namespace {

json op_entry(const std::string& module, const std::string& cls, json config, json args) {
  return {{"module", module},       {"class_name", cls},
          {"config", config},       {"registered_name", cls},
          {"name", config["name"]}, {"inbound_nodes", {{{"args", args}, {"kwargs", json::object()}}}}};
}

}  // namespace

TEST_CASE("model_from_json reads Keras 3's operations, numbers in their places",
          "[load_model][config][ops]") {
  // x = keras.Input((4,)); s = 2 - (x + 3.0); m = keras.ops.mean(s, axis=-1, keepdims=True);
  // out = keras.ops.concatenate([s * m, keras.ops.relu(x)], axis=-1), as Keras 3 writes it.
  const json x = keras_tensor("x", 0, 0, {nullptr, 4});
  const json layers = {
      input_entry("x", {nullptr, 4}),
      op_entry("keras.src.ops.numpy", "Add", {{"name", "add"}}, {x, 3.0}),
      op_entry("keras.src.ops.numpy", "Subtract", {{"name", "subtract"}},
               {2, keras_tensor("add", 0, 0, {nullptr, 4})}),
      op_entry("keras.src.ops.numpy", "Mean", {{"name", "mean"}, {"axis", -1}, {"keepdims", true}},
               {keras_tensor("subtract", 0, 0, {nullptr, 4})}),
      op_entry("keras.src.ops.numpy", "Multiply", {{"name", "multiply"}},
               {keras_tensor("subtract", 0, 0, {nullptr, 4}), keras_tensor("mean", 0, 0, {nullptr, 1})}),
      op_entry("keras.src.ops.nn", "Relu", {{"name", "relu"}}, {x}),
      op_entry("keras.src.ops.numpy", "Concatenate", {{"name", "concatenate"}, {"axis", -1}},
               {{keras_tensor("multiply", 0, 0, {nullptr, 4}), keras_tensor("relu", 0, 0, {nullptr, 4})}}),
  };
  const strata::Model model =
      strata::model_from_json(functional("ops", layers, {"x", 0, 0}, {"concatenate", 0, 0}).dump());
  CHECK(model.get_layer("subtract").class_name() == "Subtract");
  const strata::Tensor out = model.predict(strata::Tensor({1, 4}, {1.0f, 2.0f, -3.0f, 4.0f}));
  // s = 2 - (x + 3) = (-2, -3, 2, -5); mean -2; s * mean = (4, 6, -4, 10); relu(x) = (1, 2, 0, 4).
  CHECK(out.values() == std::vector<float>{4.0f, 6.0f, -4.0f, 10.0f, 1.0f, 2.0f, 0.0f, 4.0f});
  // Written back as Keras writes it: the numbers where they were.
  const json again = json::parse(model.to_json());
  const json& entries = again["config"]["layers"];
  const auto subtract =
      std::find_if(entries.begin(), entries.end(), [](const json& e) { return e["name"] == "subtract"; });
  REQUIRE(subtract != entries.end());
  CHECK((*subtract)["module"] == "keras.src.ops.numpy");
  CHECK((*subtract)["registered_name"] == "Subtract");
  CHECK(!subtract->contains("build_config"));
  CHECK((*subtract)["inbound_nodes"][0]["args"][0] == 2);
  CHECK((*subtract)["inbound_nodes"][0]["args"][1]["config"]["keras_history"] == json{"add", 0, 0});

  SECTION("an operation strata does not have, or a call it does not take") {
    json bad = layers;
    bad[5] = op_entry("keras.src.ops.numpy", "Einsum", {{"name", "relu"}}, {x});
    CHECK_THROWS_MATCHES(
        strata::model_from_json(functional("ops", bad, {"x", 0, 0}, {"concatenate", 0, 0}).dump()),
        strata::ValueError,
        MessageThat(Contains("layer 'relu', node #0: the Keras operation Einsum (module "
                             "keras.src.ops.numpy) is not one strata has")));
    bad = layers;
    bad[5] = op_entry("keras.src.ops.nn", "Relu", {{"name", "relu"}}, {x, 2});
    CHECK_THROWS_MATCHES(
        strata::model_from_json(functional("ops", bad, {"x", 0, 0}, {"concatenate", 0, 0}).dump()),
        strata::ValueError,
        MessageThat(Contains("[relu (Relu)] the call passes 2 positional arguments; the operation takes 1")));
    bad = layers;
    bad[3]["config"]["axis"] = "last";
    CHECK_THROWS_MATCHES(
        strata::model_from_json(functional("ops", bad, {"x", 0, 0}, {"concatenate", 0, 0}).dump()),
        strata::ValueError,
        MessageThat(
            Contains("[mean (Mean)] config key 'axis': expected a list of integers, received \"last\"")));
  }
}

TEST_CASE("operations: infinities as Keras writes them, an operation called twice, Keras 2's node form",
          "[load_model][config][ops]") {
  namespace ops = strata::ops;
  auto x = strata::Input({4}, "x");
  const float inf = std::numeric_limits<float>::infinity();
  auto masked = ops::where(ops::greater(x, 0.0), x, -inf);
  auto clipped = ops::clip(x, -static_cast<double>(inf), 1.5);
  const strata::Model model(x, ops::concatenate({ops::softmax(masked), clipped}, -1), "inf");
  const std::string text = model.to_json();
  // Python's json writes -Infinity, which is what Keras's files hold; strata writes and reads it the same.
  CHECK_THAT(text, Contains("-Infinity"));
  CHECK(text.find("null]") == std::string::npos);
  const strata::Tensor in({1, 4}, {1.0f, -2.0f, 3.0f, -4.0f});
  const strata::Model loaded = strata::model_from_json(text);
  CHECK(loaded.predict(in) == model.predict(in));
  CHECK(loaded.predict(in).values()[5] == -2.0f);
  // Keras 2's node form (strata's own config()): numbers as keyword arguments, Concatenate's list as entries.
  const strata::Model legacy = strata::model_from_json(config_of(model).dump());
  CHECK(legacy.predict(in) == model.predict(in));

  // One Operation called twice (Keras: op = Add(); op(op(x, 1.0), 2.0)), beside an entry named add_1.
  const json xt = keras_tensor("x", 0, 0, {nullptr, 4});
  json twice = op_entry("keras.src.ops.numpy", "Add", {{"name", "add"}}, {xt, 1.0});
  twice["inbound_nodes"].push_back(
      {{"args", {keras_tensor("add", 0, 0, {nullptr, 4}), 2.0}}, {"kwargs", json::object()}});
  const json layers = {input_entry("x", {nullptr, 4}), twice,
                       op_entry("keras.src.ops.numpy", "Add", {{"name", "add_1"}},
                                {keras_tensor("add", 1, 0, {nullptr, 4}), 3.0})};
  const strata::Model called_twice =
      strata::model_from_json(functional("twice", layers, {"x", 0, 0}, {"add_1", 0, 0}).dump());
  CHECK(called_twice.predict(in).values() == std::vector<float>{7.0f, 4.0f, 9.0f, 2.0f});

  // Required constructor arguments, and an empty axis list.
  json no_min = layers;
  no_min[2] = op_entry("keras.src.ops.numpy", "Clip", {{"name", "add_1"}, {"x_max", 1.0}}, {xt});
  CHECK_THROWS_MATCHES(strata::model_from_json(functional("m", no_min, {"x", 0, 0}, {"add_1", 0, 0}).dump()),
                       strata::ValueError,
                       MessageThat(Contains("config key 'x_min' is missing; the operation requires it")));
  json empty_axes = layers;
  empty_axes[2] = op_entry("keras.src.ops.numpy", "Mean",
                           {{"name", "add_1"}, {"axis", json::array()}, {"keepdims", false}}, {xt});
  CHECK_THROWS_MATCHES(
      strata::model_from_json(functional("m", empty_axes, {"x", 0, 0}, {"add_1", 0, 0}).dump()),
      strata::ValueError,
      MessageThat(Contains("config key 'axis': expected None, an integer or a list of at least one")));
  CHECK_THROWS_MATCHES(ops::mean(x, std::vector<int>{}), strata::ValueError,
                       MessageThat(Contains("Expected at least one axis to reduce, received an empty list")));
}

TEST_CASE("model_from_json takes dict inputs and outputs in Keras's flattened order",
          "[load_model][config]") {
  // keras.Model({"token": t, "extra": e}, {"score": s, "all": [a, b]}): Keras 3 writes the structures, and
  // flattens dicts by sorted key (extra before token; all's list before score).
  auto extra = strata::Input({3}, "extra");
  auto token = strata::Input({4}, "token");
  auto joined = L::Concatenate({.name = "joined"})({extra, token});
  auto score = L::Dense(1, {.name = "score"})(joined);
  auto a = L::Dense(2, {.name = "a"})(joined);
  auto b = L::Dense(2, {.name = "b"})(joined);
  const strata::Model model({extra, token}, {a, b, score}, "dicts");
  json config = config_of(model);
  config["config"]["input_layers"] = {{"token", {"token", 0, 0}}, {"extra", {"extra", 0, 0}}};
  config["config"]["output_layers"] = {{"score", {"score", 0, 0}}, {"all", {{"a", 0, 0}, {"b", 0, 0}}}};
  const strata::Model loaded = strata::model_from_json(config.dump());
  REQUIRE(loaded.inputs().size() == 2);
  CHECK(loaded.inputs()[0].node()->layer->name() == "extra");
  CHECK(loaded.inputs()[1].node()->layer->name() == "token");
  REQUIRE(loaded.outputs().size() == 3);
  CHECK(loaded.outputs()[0].node()->layer->name() == "a");
  CHECK(loaded.outputs()[1].node()->layer->name() == "b");
  CHECK(loaded.outputs()[2].node()->layer->name() == "score");

  config["config"]["input_layers"] = {{"token", 7}};
  CHECK_THROWS_MATCHES(strata::model_from_json(config.dump()), strata::ValueError,
                       MessageThat(Contains("or a list or dict of them, received 7")));
}

TEST_CASE("model_from_json reads Keras 3's keyword inputs", "[load_model][config]") {
  const json x = keras_tensor("in", 0, 0, {nullptr, 3});
  const json layers = {input_entry("in", {nullptr, 3}),
                       layer_entry("Dense", {{"name", "d"}, {"units", 2}},
                                   {{{"args", json::array()}, {"kwargs", {{"inputs", x}}}}})};
  const strata::Model model =
      strata::model_from_json(functional("kw", layers, {{"in", 0, 0}}, {{"d", 0, 0}}).dump());
  CHECK(model.outputs().front().shape() == strata::Shape({strata::None, 2}));
  const json both = {
      input_entry("in", {nullptr, 3}),
      layer_entry("Dense", {{"name", "d"}, {"units", 2}}, {{{"args", {x}}, {"kwargs", {{"inputs", x}}}}})};
  CHECK_THROWS_MATCHES(
      strata::model_from_json(functional("kw", both, {{"in", 0, 0}}, {{"d", 0, 0}}).dump()),
      strata::ValueError,
      MessageThat(Contains("[d (Dense)] The call passes 'inputs' both positionally and as a keyword "
                           "argument")));
}
