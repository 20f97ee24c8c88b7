// strata::Model as a graph: Keras's layer order, lookup, inputs and outputs, shared layers, default names,
// parameter counts and weights. Expected orders are worked out from Keras's map_graph: a layer's depth is
// one more than its deepest consumer's, layers sort by decreasing depth, ties by the order in which a walk
// back from the outputs (outputs in order, each node's inputs in order) first meets them.
#include "message_matcher.hpp"
#include "test_util.hpp"

using Catch::Matchers::Contains;
using strata::None;
using strata::Shape;
using strata_test::MessageThat;
using strata_test::L::add;
using strata_test::L::Add;
using strata_test::L::AveragePooling2D;
using strata_test::L::Conv2D;
using strata_test::L::MaxPooling2D;

namespace {

std::vector<std::string> names_of(const strata::Model& model) {
  std::vector<std::string> names;
  for (const strata::Layer& layer : model.layers()) names.push_back(layer.name());
  return names;
}

strata::Tensor filled(std::vector<int64_t> dims, float value) {
  std::vector<float> values(static_cast<size_t>(strata::element_count(dims)), value);
  return strata::Tensor(std::move(dims), std::move(values));
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("layers() follows Keras's order: depth first, then the walk from the outputs", "[model][order]") {
  // Created in the order in, short, long_1, long_2, merge. Walking back from merge meets merge, short, in,
  // long_2, long_1. Depths: merge 0, short 1, long_2 1, long_1 2, in 3. So Keras lists
  // in (3), long_1 (2), short and long_2 (1, in walk order), merge (0).
  auto in = strata::Input({8, 8, 4}, "in");
  auto a = Conv2D(4, 1, {.name = "short"})(in);
  auto b = Conv2D(4, 1, {.name = "long_1"})(in);
  b = Conv2D(4, 1, {.name = "long_2"})(b);
  auto out = add({a, b}, {.name = "merge"});
  strata::Model model(in, out, "order");
  CHECK(names_of(model) == Names{"in", "long_1", "short", "long_2", "merge"});

  // Swapping the add's inputs changes the walk: merge, long_2, long_1, in, short -> long_2 before short.
  auto out2 = add({b, a}, {.name = "merge_2"});
  strata::Model swapped(in, out2, "swapped");
  CHECK(names_of(swapped) == Names{"in", "long_1", "long_2", "short", "merge_2"});
}

TEST_CASE("the seed block's layers in Keras's order", "[model][order][seed]") {
  strata::clear_session();
  strata::Model block = strata_test::seed_block_2();
  CHECK(names_of(block) == Names{"input_layer", "conv2d", "conv2d_1", "max_pooling2d", "conv2d_2", "add"});
  const std::vector<strata::Layer> layers = block.layers();
  REQUIRE(layers.size() == 6);
  CHECK(layers[0].class_name() == "InputLayer");
  CHECK(layers[1].class_name() == "Conv2D");
  CHECK(layers[3].class_name() == "MaxPooling2D");
  CHECK(layers[5].class_name() == "Add");
  CHECK(layers[5].output().shape() == Shape{None, 15, 15, 64});
  CHECK(layers[0] == block.inputs()[0].layer());
}

TEST_CASE("several inputs and outputs", "[model][io]") {
  auto in_a = strata::Input({16, 16, 3}, "in_a");
  auto in_b = strata::Input({16, 16, 3}, "in_b");
  auto a = Conv2D(8, 3, {.padding = "same", .name = "conv_a"})(in_a);
  auto b = Conv2D(8, 3, {.padding = "same", .name = "conv_b"})(in_b);
  auto sum = add({a, b}, {.name = "sum"});
  auto pooled = MaxPooling2D(2, {.name = "pool"})(sum);
  strata::Model model({in_a, in_b}, {pooled, a}, "two_by_two");

  REQUIRE(model.inputs().size() == 2);
  CHECK(model.inputs()[0] == in_a);
  CHECK(model.inputs()[1] == in_b);
  REQUIRE(model.outputs().size() == 2);
  CHECK(model.outputs()[0] == pooled);
  CHECK(model.outputs()[1] == a);
  CHECK(model.outputs()[0].shape() == Shape{None, 8, 8, 8});
  CHECK(model.outputs()[1].shape() == Shape{None, 16, 16, 8});
  // depths: pool 0, sum 1, conv_a 2, conv_b 2, in_a 3, in_b 3 (conv_a as an output does not lower its depth)
  CHECK(names_of(model) == Names{"in_a", "in_b", "conv_a", "conv_b", "sum", "pool"});
  // 2 * (3*3*3*8 + 8)
  CHECK(model.count_params() == 2 * (3 * 3 * 3 * 8 + 8));

  // The order of the inputs given does not change the layer order, which follows the outputs.
  strata::Model reversed({in_b, in_a}, {pooled, a}, "reversed_inputs");
  CHECK(reversed.inputs()[0] == in_b);
  CHECK(names_of(reversed) == Names{"in_a", "in_b", "conv_a", "conv_b", "sum", "pool"});

  // Outputs at equal depth are listed in the order of the outputs.
  auto first = Conv2D(2, 1, {.name = "first"})(in_a);
  auto second = Conv2D(2, 1, {.name = "second"})(in_a);
  strata::Model outs(in_a, {second, first}, "outs");
  CHECK(names_of(outs) == Names{"in_a", "second", "first"});
  CHECK(outs.outputs()[0] == second);
}

TEST_CASE("an input the outputs do not need still belongs to the model", "[model][io]") {
  auto used = strata::Input({8, 8, 3}, "used");
  auto unused = strata::Input({8, 8, 3}, "unused");
  auto y = Conv2D(2, 1, {.name = "conv"})(used);
  strata::Model model({used, unused}, y, "spare_input");
  // Keras puts it at depth 0 ahead of the other depth-0 layers.
  CHECK(names_of(model) == Names{"used", "unused", "conv"});
  CHECK(model.inputs().size() == 2);
}

TEST_CASE("get_layer finds a layer by name; an unknown name is a GraphError", "[model][get_layer]") {
  strata::clear_session();
  strata::Model block = strata_test::seed_block_1();
  const strata::Layer conv = block.get_layer("conv2d_1");
  CHECK(conv.name() == "conv2d_1");
  CHECK(conv.class_name() == "Conv2D");
  CHECK(conv.count_params() == 3 * 3 * 32 * 64 + 64);
  CHECK(conv == block.layers()[2]);
  CHECK(block.get_layer("input_layer").class_name() == "InputLayer");
  REQUIRE_THROWS_MATCHES(block.get_layer("conv2d_9"), strata::GraphError,
                         MessageThat(Contains("residual_block") && Contains("'conv2d_9'") &&
                                     Contains("input_layer, conv2d, conv2d_1, conv2d_2, add")));
  REQUIRE_THROWS_AS(block.get_layer(""), strata::GraphError);
}

TEST_CASE("default names count per class and clear_session resets them", "[model][names]") {
  strata::clear_session();
  CHECK(Conv2D(1, 1).name() == "conv2d");
  CHECK(Conv2D(1, 1).name() == "conv2d_1");
  CHECK(MaxPooling2D().name() == "max_pooling2d");
  CHECK(MaxPooling2D().name() == "max_pooling2d_1");
  CHECK(AveragePooling2D().name() == "average_pooling2d");
  CHECK(Add().name() == "add");
  auto in = strata::Input({4, 4, 1});
  CHECK(in.layer().name() == "input_layer");
  CHECK(strata::Input({4, 4, 1}).layer().name() == "input_layer_1");
  // An explicit name does not use up a default one.
  CHECK(Conv2D(1, 1, {.name = "custom"}).name() == "custom");
  CHECK(Conv2D(1, 1).name() == "conv2d_2");
  // add() makes a new Add layer each time.
  auto y = Conv2D(1, 1)(in);
  CHECK(add({y, y}).layer().name() == "add_1");
  CHECK(strata::Model(in, y).name() == "functional");
  CHECK(strata::Model(in, y).name() == "functional_1");
  CHECK(strata::Model(in, y, "named").name() == "named");

  strata::clear_session();
  CHECK(Conv2D(1, 1).name() == "conv2d");
  CHECK(MaxPooling2D().name() == "max_pooling2d");
  CHECK(strata::Input({4}).layer().name() == "input_layer");
  CHECK(strata::Model(in, y).name() == "functional");
  // Existing layers keep their names.
  CHECK(y.layer().name() == "conv2d_3");
}

TEST_CASE("a layer called twice shares its weights", "[model][shared]") {
  strata::clear_session();
  auto in_a = strata::Input({8, 8, 3}, "in_a");
  auto in_b = strata::Input({8, 8, 3}, "in_b");
  Conv2D shared(4, 3, {.padding = "same", .name = "shared"});
  auto a = shared(in_a);
  auto b = shared(in_b);
  auto sum = add({a, b}, {.name = "sum"});
  strata::Model model({in_a, in_b}, sum, "siamese");

  CHECK(a.name() == "shared[0][0]");
  CHECK(b.name() == "shared[1][0]");
  CHECK(a.layer() == b.layer());
  CHECK(names_of(model) == Names{"in_a", "in_b", "shared", "sum"});
  // counted once: 3*3*3*4 + 4
  CHECK(shared.count_params() == 112);
  CHECK(model.count_params() == 112);
  CHECK(model.get_weights().size() == 2);

  const std::string summary = model.summary_string({.line_length = 200});
  INFO(summary);
  CHECK_THAT(summary, Contains("shared (Conv2D)") && Contains("in_a[0][0], in_b[0][0]") &&
                          Contains("shared[0][0], shared[1][0]") && Contains("Total params: 112 (448.00 B)"));
  // the shared layer has one row
  CHECK(summary.find("shared (Conv2D)") == summary.rfind("shared (Conv2D)"));

  // Both calls compute with the one kernel: a 1x1 kernel of ones, no bias, sums the 3 channels.
  auto in_c = strata::Input({2, 2, 3}, "in_c");
  auto in_d = strata::Input({2, 2, 3}, "in_d");
  Conv2D ones(1, 1, {.use_bias = false, .name = "ones"});
  auto c = ones(in_c);
  auto d = ones(in_d);
  strata::Model twice({in_c, in_d}, add({c, d}, {.name = "sum_cd"}), "twice");
  ones.set_weights({filled({1, 1, 3, 1}, 1.0f)});
  const auto out = twice.compile({.backend = "reference"})
                       .predict({filled({1, 2, 2, 3}, 1.0f), filled({1, 2, 2, 3}, 2.0f)});
  REQUIRE(out.size() == 1);
  // 3 * 1 + 3 * 2 = 9 at every pixel
  CHECK(out[0] == filled({1, 2, 2, 1}, 9.0f));
}

TEST_CASE("a layer called twice in a chain makes the summary non-sequential", "[model][shared]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 3});
  Conv2D conv(3, 3, {.padding = "same"});
  auto y = conv(conv(in));
  strata::Model model(in, y, "repeat");
  CHECK(names_of(model) == Names{"input_layer", "conv2d"});
  CHECK(model.count_params() == 3 * 3 * 3 * 3 + 3);
  const std::string summary = model.summary_string({.line_length = 200});
  INFO(summary);
  CHECK_THAT(summary, Contains("Connected to") && Contains("input_layer[0][0], conv2d[0][0]"));
  CHECK(y.name() == "conv2d[1][0]");
}

TEST_CASE("a call outside the model is not part of it", "[model][shared]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 3}, "inside");
  Conv2D conv(4, 1, {.name = "conv"});
  auto y = conv(in);
  auto other = strata::Input({8, 8, 3}, "outside");
  conv(other);
  strata::Model model(in, y, "one_call");
  CHECK(names_of(model) == Names{"inside", "conv"});
  // A plain chain: no Connected to column, and no trace of the outside call.
  const std::string summary = model.summary_string();
  CHECK_THAT(summary, !Contains("Connected to") && !Contains("outside"));
}

TEST_CASE("count_params equals Keras's", "[model][params]") {
  strata::clear_session();
  strata::Model block1 = strata_test::seed_block_1();
  // conv2d 3*3*3*32 + 32 = 896; conv2d_1 3*3*32*64 + 64 = 18,496; conv2d_2 1*1*32*64 + 64 = 2,112
  CHECK(block1.get_layer("conv2d").count_params() == 896);
  CHECK(block1.get_layer("conv2d_1").count_params() == 18496);
  CHECK(block1.get_layer("conv2d_2").count_params() == 2112);
  CHECK(block1.get_layer("add").count_params() == 0);
  CHECK(block1.get_layer("input_layer").count_params() == 0);
  CHECK(block1.count_params() == 21504);
  CHECK(block1.count_trainable_params() == 21504);
  // The second block has the same convolutions; pooling adds nothing.
  CHECK(strata_test::seed_block_2().count_params() == 21504);

  block1.get_layer("conv2d").set_trainable(false);
  CHECK(block1.count_params() == 21504);
  CHECK(block1.count_trainable_params() == 21504 - 896);
  CHECK_THAT(block1.summary_string(), Contains("Non-trainable params: 896 (3.50 KB)"));
}

TEST_CASE("get_weights and set_weights in Keras's order and layouts", "[model][weights]") {
  strata::clear_session();
  strata::Model block = strata_test::seed_block_1();
  const std::vector<strata::Tensor> weights = block.get_weights();
  REQUIRE(weights.size() == 6);
  // model.layers order: conv2d, conv2d_1, conv2d_2, each kernel (HWIO) then bias
  CHECK(weights[0].dims() == std::vector<int64_t>{3, 3, 3, 32});
  CHECK(weights[1].dims() == std::vector<int64_t>{32});
  CHECK(weights[2].dims() == std::vector<int64_t>{3, 3, 32, 64});
  CHECK(weights[3].dims() == std::vector<int64_t>{64});
  CHECK(weights[4].dims() == std::vector<int64_t>{1, 1, 32, 64});
  CHECK(weights[5].dims() == std::vector<int64_t>{64});

  std::vector<strata::Tensor> replacement;
  for (size_t i = 0; i < weights.size(); ++i)
    replacement.push_back(filled(weights[i].dims(), 0.5f + static_cast<float>(i)));
  block.set_weights(replacement);
  CHECK(block.get_weights() == replacement);
  const auto projection = block.get_layer("conv2d_2").get_weights();
  REQUIRE(projection.size() == 2);
  CHECK(projection[0] == replacement[4]);
  CHECK(projection[1] == replacement[5]);

  // One layer at a time.
  strata::Layer conv = block.get_layer("conv2d");
  const std::vector<strata::Tensor> own = {filled({3, 3, 3, 32}, -1.0f), filled({32}, 2.0f)};
  conv.set_weights(own);
  CHECK(conv.get_weights() == own);
  CHECK(block.get_weights()[0] == own[0]);
  CHECK(block.get_weights()[2] == replacement[2]);
}

TEST_CASE("set_weights with a wrong count or shape throws and changes nothing", "[model][weights][error]") {
  strata::clear_session();
  strata::Model block = strata_test::seed_block_1();
  const std::vector<strata::Tensor> before = block.get_weights();
  strata::Layer conv = block.get_layer("conv2d_1");
  const std::vector<strata::Tensor> conv_before = conv.get_weights();

  // Layer: wrong count
  REQUIRE_THROWS_MATCHES(
      conv.set_weights({filled({3, 3, 32, 64}, 1.0f)}), strata::ValueError,
      MessageThat(Contains("conv2d_1") && Contains("expected 2") && Contains("received 1")));
  // Layer: right kernel, wrong bias; the kernel must not be half-applied
  REQUIRE_THROWS_MATCHES(
      conv.set_weights({filled({3, 3, 32, 64}, 1.0f), filled({63}, 1.0f)}), strata::ValueError,
      MessageThat(Contains("conv2d_1") && Contains("bias") && Contains("(64,)") && Contains("(63,)")));
  // Layer: a transposed kernel
  REQUIRE_THROWS_MATCHES(
      conv.set_weights({filled({64, 32, 3, 3}, 1.0f), filled({64}, 1.0f)}), strata::ValueError,
      MessageThat(Contains("kernel") && Contains("(3, 3, 32, 64)") && Contains("(64, 32, 3, 3)")));
  CHECK(conv.get_weights() == conv_before);

  // Model: wrong count
  std::vector<strata::Tensor> fewer(before.begin(), before.end() - 1);
  REQUIRE_THROWS_MATCHES(
      block.set_weights(fewer), strata::ValueError,
      MessageThat(Contains("residual_block") && Contains("expected 6") && Contains("received 5")));
  // Model: the last tensor is wrong; the first layers must not be changed
  std::vector<strata::Tensor> wrong_last;
  for (const auto& w : before) wrong_last.push_back(filled(w.dims(), 3.0f));
  wrong_last.back() = filled({32}, 3.0f);
  REQUIRE_THROWS_MATCHES(block.set_weights(wrong_last), strata::ValueError,
                         MessageThat(Contains("conv2d_2") && Contains("(64,)") && Contains("(32,)")));
  CHECK(block.get_weights() == before);
}

TEST_CASE("Layer::output() and input() give the first call's tensors", "[model][layer]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 3});
  Conv2D conv(4, 3);
  auto y = conv(in);
  CHECK(conv.output() == y);
  CHECK(conv.input() == in);
  CHECK(y.layer() == conv);
  CHECK(conv.output().shape() == Shape{None, 6, 6, 4});

  // After a second call, still the first.
  auto in2 = strata::Input({10, 10, 3});
  auto y2 = conv(in2);
  CHECK(conv.output() == y);
  CHECK_FALSE(conv.output() == y2);
  CHECK(conv.input() == in);

  // An Input's layer: its output and its input are the Input tensor itself.
  CHECK(in.layer().output() == in);
  CHECK(in.layer().input() == in);
  CHECK(in.layer().class_name() == "InputLayer");

  // A merge has several inputs: input() refuses, output() works.
  auto sum = add({y, y});
  CHECK(sum.layer().output() == sum);
  REQUIRE_THROWS_MATCHES(sum.layer().input(), strata::GraphError, MessageThat(Contains("2 inputs")));
  // inputs() gives them all, the mask argument of a masked call left out.
  CHECK(sum.layer().inputs() == std::vector<strata::SymbolicTensor>{y, y});
  CHECK(conv.inputs() == std::vector<strata::SymbolicTensor>{in});
  CHECK(in.layer().inputs() == std::vector<strata::SymbolicTensor>{in});
  auto steps = strata::Input({5, 3});
  auto masked = strata::layers::Masking()(steps);
  auto last = strata::layers::LSTM(2)(masked);
  CHECK(last.layer().inputs() == std::vector<strata::SymbolicTensor>{masked});

  // A layer never called has neither.
  Conv2D idle(4, 3, {.name = "idle"});
  REQUIRE_THROWS_MATCHES(idle.output(), strata::GraphError,
                         MessageThat(Contains("[idle (Conv2D)]") && Contains("never been called")));
  REQUIRE_THROWS_MATCHES(idle.input(), strata::GraphError, MessageThat(Contains("never been called")));
  REQUIRE_THROWS_MATCHES(idle.inputs(), strata::GraphError, MessageThat(Contains("never been called")));
  // An empty handle is a ValueError.
  REQUIRE_THROWS_AS(strata::Layer().output(), strata::ValueError);
  REQUIRE_THROWS_AS(strata::Layer().name(), strata::ValueError);
}

TEST_CASE("a model's input() and output() are the tensors it was built from, as Keras's", "[model][layer]") {
  // Transfer learning's `x = base_model.output`: a model never called as a layer still has them.
  strata::clear_session();
  auto in = strata::Input({8, 8, 3}, "image");
  auto features = Conv2D(4, 3)(in);
  strata::Model base(in, features, "base");
  CHECK(base.input() == in);
  CHECK(base.output() == features);
  const strata::SymbolicTensor head = strata::layers::GlobalAveragePooling2D()(base.output());
  strata::Model transfer(base.input(), head, "transfer");
  CHECK(transfer.output().shape() == Shape{None, 4});

  // Called as a layer, still the tensors it was built from (Keras's Functional.output).
  auto other = strata::Input({8, 8, 3});
  const strata::SymbolicTensor called = base(other);
  CHECK(base.output() == features);
  CHECK_FALSE(base.output() == called);

  // Several outputs: output() refuses and names outputs().
  strata::Model two(in, {features, head}, "two");
  REQUIRE_THROWS_MATCHES(
      two.output(), strata::GraphError,
      MessageThat(Contains("[two (Functional)]") && Contains("2 outputs") && Contains("outputs()")));
  CHECK(two.input() == in);
}

TEST_CASE("a Model is a Layer named after the model", "[model][layer]") {
  strata::clear_session();
  strata::Model block = strata_test::seed_block_1("my_block");
  CHECK(block.name() == "my_block");
  CHECK(block.class_name() == "Functional");
  CHECK_THAT(block.summary_string(), Contains("Model: \"my_block\""));
}
