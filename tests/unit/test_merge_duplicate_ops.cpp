// The merge_duplicate_ops pass: two identical activations or poolings of one value become one op whose
// result both readers read (NASNet's repeated relus and 3x3 average poolings); different attributes,
// different inputs and model outputs stay apart; and the numbers, against the reference executor.
#include <string>
#include <vector>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;
namespace L = strata::layers;

namespace {

ir::Graph lowered(const strata::Model& model, std::vector<std::vector<int64_t>> dims) {
  ir::Graph graph = ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), dims);
  // The passes before merge_duplicate_ops, in the pipeline's order.
  ir::fold_zero_padding(graph);
  ir::fold_batch_norm(graph);
  return graph;
}

size_t count_kind(const ir::Graph& graph, const std::string& kind) {
  size_t n = 0;
  for (const ir::Op& op : graph.ops) n += ir::op_kind_name(op) == kind ? 1 : 0;
  return n;
}

// A NASNet-like cell: one tensor read by two relus (two separable branches) and by two equal 3x3 average
// poolings, summed.
strata::Model cell() {
  strata::clear_session();
  auto in = strata::Input({8, 8, 4});
  auto h = L::Conv2D(6, 1)(in);
  auto left = L::SeparableConv2D(6, 3, {.padding = "same"})(L::Activation("relu", {.name = "relu_left"})(h));
  auto right =
      L::SeparableConv2D(6, 5, {.padding = "same"})(L::Activation("relu", {.name = "relu_right"})(h));
  auto pool_a = L::AveragePooling2D(3, {.strides = 1, .padding = "same", .name = "pool_a"})(h);
  auto pool_b = L::AveragePooling2D(3, {.strides = 1, .padding = "same", .name = "pool_b"})(h);
  return strata::Model(in, L::Concatenate()({L::add({left, right}), L::add({pool_a, pool_b})}));
}

}  // namespace

TEST_CASE("merge_duplicate_ops keeps one of two equal relus and one of two equal poolings", "[pass][merge]") {
  const strata::Model model = cell();
  ir::Graph graph = lowered(model, {{1, 8, 8, 4}});
  REQUIRE(count_kind(graph, "relu") == 2);
  REQUIRE(count_kind(graph, "avg_pool") == 2);
  const size_t before = graph.ops.size();
  ir::merge_duplicate_ops(graph);
  INFO(graph.to_string());
  CHECK(graph.ops.size() == before - 2);
  CHECK(count_kind(graph, "relu") == 1);
  CHECK(count_kind(graph, "avg_pool") == 1);
  for (const ir::Op& op : graph.ops) {
    if (ir::op_kind_name(op) == "relu")
      CHECK(op.layers == std::vector<std::string>{"relu_left", "relu_right"});
    if (ir::op_kind_name(op) == "avg_pool") CHECK(op.layers == std::vector<std::string>{"pool_a", "pool_b"});
  }
  // The sum of the two poolings now reads one value twice.
  bool found = false;
  for (const ir::Op& op : graph.ops) {
    if (ir::op_kind_name(op) == "add" && op.inputs[0] == op.inputs[1]) found = true;
  }
  CHECK(found);
}

TEST_CASE("merge_duplicate_ops leaves different computations and model outputs apart", "[pass][merge]") {
  strata::clear_session();
  auto in = strata::Input({6, 6, 3});
  auto other = L::Conv2D(3, 1)(in);
  const std::vector<strata::SymbolicTensor> kept = {
      L::Activation("relu")(in),
      L::ReLU({.max_value = 6.0f})(in),  // another activation
      L::Activation("relu")(other),      // another input
      L::MaxPooling2D(3, {.strides = 1, .padding = "same"})(in),
      L::AveragePooling2D(3, {.strides = 1, .padding = "same"})(in),  // another kind of pooling
      L::AveragePooling2D(2, {.strides = 1, .padding = "same"})(in),  // another window
  };
  const strata::Model model(in, L::Concatenate()(kept));
  ir::Graph graph = lowered(model, {{1, 6, 6, 3}});
  const size_t before = graph.ops.size();
  ir::merge_duplicate_ops(graph);
  CHECK(graph.ops.size() == before);

  // Two model outputs computed alike keep their own values.
  strata::clear_session();
  auto x = strata::Input({4, 4, 2});
  const strata::Model two(
      x, std::vector<strata::SymbolicTensor>{L::Activation("relu")(x), L::Activation("relu")(x)});
  ir::Graph outputs = lowered(two, {{1, 4, 4, 2}});
  ir::merge_duplicate_ops(outputs);
  CHECK(count_kind(outputs, "relu") == 2);
  const std::vector<strata::Tensor> results =
      two.compile().predict(std::vector<strata::Tensor>{random_input({1, 4, 4, 2}, 3)});
  CHECK(results.at(0) == results.at(1));
}

TEST_CASE("merge_duplicate_ops makes the duplicate's views views of the kept value", "[pass][merge]") {
  // A global pooling without keepdims lowers to the pooling and a reshape that shares its buffer; merged
  // with the same pooling kept 4D (then flattened), the reshape must view the kept value's buffer. The
  // random-graph sweep's seed 172 found this.
  strata::clear_session();
  auto image = strata::Input({5, 5, 4});
  const strata::Model model(
      image, L::Concatenate()({L::GlobalMaxPooling2D()(image),
                               L::Flatten()(L::GlobalMaxPooling2D({.keepdims = true})(image))}));
  ir::Graph graph = lowered(model, {{2, 5, 5, 4}});
  REQUIRE(count_kind(graph, "max_pool") == 2);
  ir::merge_duplicate_ops(graph);
  INFO(graph.to_string());
  REQUIRE(count_kind(graph, "max_pool") == 1);
  const ir::ValueId kept = graph.ops[0].output();
  for (const ir::Op& op : graph.ops) {
    if (ir::op_kind_name(op) == "reshape") CHECK(graph.values[op.output()].in_place_of == kept);
  }
  check_against_reference(model, {random_input({2, 5, 5, 4}, 5)}, float32_tolerance(25));
}

TEST_CASE("Three merged relus, and a merged pooling that two residual sums read", "[pass][merge][numerics]") {
  // NASNet's reduction cell: one max pooling of h is summed with two branches. Once merged, the pooling's
  // buffer is read after the first sum, which must then not write into it in place.
  strata::clear_session();
  auto in = strata::Input({8, 8, 4});
  auto h = L::Conv2D(6, 1)(in);
  std::vector<strata::SymbolicTensor> relus;
  for (int i = 0; i < 3; ++i) relus.push_back(L::Activation("relu")(h));
  auto c1 = L::Conv2D(6, 3, {.padding = "same"})(relus[0]);
  auto c2 = L::Conv2D(6, 3, {.padding = "same"})(relus[1]);
  auto c3 = L::Conv2D(6, 1)(relus[2]);
  auto m1 = L::MaxPooling2D(3, {.strides = 1, .padding = "same"})(h);
  auto m2 = L::MaxPooling2D(3, {.strides = 1, .padding = "same"})(h);
  const strata::Model model(in, L::Concatenate()({L::add({m1, c1}), L::add({m2, c2}), c3}));
  ir::Graph graph = lowered(model, {{2, 8, 8, 4}});
  ir::merge_duplicate_ops(graph);
  INFO(graph.to_string());
  CHECK(count_kind(graph, "relu") == 1);
  CHECK(count_kind(graph, "max_pool") == 1);
  randomize_weights(model, 9);
  const strata::Tensor x = random_input({2, 8, 8, 4}, 10);
  check_against_reference(model, {x}, 3 * float32_tolerance(3 * 3 * 6));
  if (native_bfloat16()) {
    // The precision pass runs after the merge: the shared values get one type for all their readers.
    const strata::Tensor bf16 = model.compile({.precision = "bfloat16"}).predict(x);
    CHECK(max_relative_error(bf16, model.compile({.backend = "reference"}).predict(x)) < 3 * 2.0 / 256.0);
  }
}

TEST_CASE("A duplicate's view can be a model output", "[pass][merge][numerics]") {
  // The second global pooling (no keepdims: a pooling and a reshape viewing it) is merged into the first;
  // its reshape, a model output, then views the kept pooling's buffer.
  strata::clear_session();
  auto image = strata::Input({4, 4, 3});
  auto kept = L::Flatten()(L::GlobalAveragePooling2D({.keepdims = true})(image));
  auto viewed = L::GlobalAveragePooling2D()(image);
  const strata::Model model(image, std::vector<strata::SymbolicTensor>{L::Dense(2)(kept), viewed});
  ir::Graph graph = lowered(model, {{2, 4, 4, 3}});
  ir::merge_duplicate_ops(graph);
  CHECK(count_kind(graph, "avg_pool") == 1);
  randomize_weights(model, 11);
  check_against_reference(model, {random_input({2, 4, 4, 3}, 12)}, float32_tolerance(16));
}

TEST_CASE("A cell with merged relus and poolings computes what the reference does",
          "[pass][merge][numerics]") {
  const strata::Model model = cell();
  randomize_weights(model, 5);
  const std::string plan = model.compile().plan_string(2);
  INFO(plan);
  CHECK(plan.find("relu_left, relu_right") != std::string::npos);
  CHECK(plan.find("pool_a, pool_b") != std::string::npos);
  check_against_reference(model, {random_input({2, 8, 8, 4}, 6)}, 3 * float32_tolerance(5 * 5 * 6));
}
