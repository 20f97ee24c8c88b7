// A batch norm that cannot fold into a convolution (it reads a concatenation or a sum, as DenseNet's and
// ResNet V2's pre-activation batch norms do) takes the plain relu after it: fuse_activations gives it that
// relu as its only post-op, and the oneDNN backend runs both in one batch-normalization primitive
// (fuse_norm_relu). Capped, leaky or thresholded relus, and a batch norm whose result has other readers,
// keep their own step. Numbers against the reference executor.
#include <string>
#include <vector>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;

namespace {

ir::Graph fused(const strata::Model& model, std::vector<int64_t> dims) {
  ir::Graph graph =
      ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), {dims});
  ir::fold_batch_norm(graph);
  ir::fuse_activations(graph, [](const std::vector<ir::PostOp>&) { return true; });
  return graph;
}

int count_batch_norms(const ir::Graph& graph, bool with_relu) {
  int n = 0;
  for (const ir::Op& op : graph.ops) {
    if (std::holds_alternative<ir::BatchNormOp>(op.attrs) && op.post_ops.empty() != with_relu) ++n;
  }
  return n;
}

// Moving statistics that put about half of each channel below zero, so the relu changes the numbers.
void set_batch_norms(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    if (layer.class_name() != "BatchNormalization") continue;
    std::vector<strata::Tensor> w = layer.get_weights();
    for (size_t i = 0; i < w.size(); ++i) {
      const bool variance = i + 1 == w.size();
      w[i] = strata::Tensor::random_uniform(w[i].dims(), seed++, variance ? 0.2f : -1.0f, 1.5f);
    }
    layer.set_weights(w);
  }
}

// DenseNet's block: the concatenation of the input and a convolution, batch norm, relu, convolution.
strata::Model dense_block(const std::string& activation_after_bn) {
  strata::clear_session();
  auto in = strata::Input({8, 8, 16});
  auto c = L::Conv2D(8, 3, {.padding = "same", .use_bias = false})(in);
  auto x = L::Concatenate()({in, c});
  x = L::BatchNormalization({.epsilon = 1.001e-5f})(x);
  if (activation_after_bn == "relu6") {
    x = L::ReLU({.max_value = 6.0f})(x);
  } else {
    x = L::Activation(activation_after_bn)(x);
  }
  x = L::Conv2D(4, 1)(x);
  return strata::Model(in, x, "dense_block");
}

}  // namespace

TEST_CASE("fuse_activations gives a batch norm its plain relu and nothing else", "[pass][batchnorm]") {
  CHECK(count_batch_norms(fused(dense_block("relu"), {1, 8, 8, 16}), /*with_relu=*/true) == 1);
  for (const std::string other : {"relu6", "leaky_relu", "sigmoid", "elu"}) {
    INFO(other);
    const ir::Graph graph = fused(dense_block(other), {1, 8, 8, 16});
    CHECK(count_batch_norms(graph, /*with_relu=*/true) == 0);
    CHECK(count_batch_norms(graph, /*with_relu=*/false) == 1);
  }
  // A batch norm whose result is read again besides the relu keeps it, and so does one that is a model
  // output.
  strata::clear_session();
  auto in = strata::Input({8, 8, 4});
  auto bn = L::BatchNormalization()(L::add({in, in}));
  strata::Model two_readers(in, L::add({L::Activation("relu")(bn), bn}));
  CHECK(count_batch_norms(fused(two_readers, {1, 8, 8, 4}), /*with_relu=*/true) == 0);
  strata::Model output(in, {L::Activation("relu")(bn), bn});
  CHECK(count_batch_norms(fused(output, {1, 8, 8, 4}), /*with_relu=*/true) == 0);
}

TEST_CASE("A batch norm and its relu run as one oneDNN primitive with the reference's numbers",
          "[pass][batchnorm][numerics]") {
  for (const std::string activation : {"relu", "relu6"}) {
    INFO(activation);
    strata::Model model = dense_block(activation);
    randomize_like_trained(model, 7, random_input({4, 8, 8, 16}, 8));
    set_batch_norms(model, 9);
    const std::string plan = model.compile().plan_string(2);
    INFO(plan);
    CHECK(plan.find("ref:") == std::string::npos);
    // fuse_norm_relu for the plain relu; relu6 (a clip in oneDNN) stays a step of its own.
    CHECK((plan.find("batch_norm + relu") != std::string::npos) == (activation == "relu"));
    const strata::Tensor input = random_input({2, 8, 8, 16}, 10);
    check_against_reference(model, {input}, 4 * float32_tolerance(9 * 16));
    // Half of the batch norm's outputs are negative: the relu is not a no-op here.
    CHECK(sensitivity(model, input) >= 100 * 4 * float32_tolerance(9 * 16));
  }
}

TEST_CASE("A batch norm and its relu fuse on vectors and in bfloat16", "[pass][batchnorm][numerics]") {
  // A rank-2 batch norm (run as an (N, C, 1, 1) image) reading a sum, then relu and a dense layer.
  strata::clear_session();
  auto in = strata::Input({48});
  auto x = L::BatchNormalization()(L::add({in, in}));
  x = L::Dense(8)(L::Activation("relu")(x));
  strata::Model vectors(in, x, "vectors");
  randomize_like_trained(vectors, 11, random_input({4, 48}, 12));
  set_batch_norms(vectors, 13);
  const strata::Tensor input = random_input({3, 48}, 14);
  const std::string plan = vectors.compile().plan_string(3);
  INFO(plan);
  CHECK(plan.find("batch_norm + relu") != std::string::npos);
  check_against_reference(vectors, {input}, 4 * float32_tolerance(48));

  // bfloat16 where the CPU has it natively: the same plan within bfloat16's rounding (8 bits, 3 layers).
  strata::Model block = dense_block("relu");
  randomize_like_trained(block, 15, random_input({4, 8, 8, 16}, 16));
  set_batch_norms(block, 17);
  try {
    const strata::CompiledModel bf16 = block.compile({.precision = "bfloat16"});
    const std::string bf16_plan = bf16.plan_string(2);
    INFO(bf16_plan);
    CHECK(bf16_plan.find("batch_norm + relu") != std::string::npos);
    const strata::Tensor image = random_input({2, 8, 8, 16}, 18);
    CHECK(max_relative_error(bf16.predict(image), block.compile({.backend = "reference"}).predict(image)) <
          3 * 2.0 / 256.0);
  } catch (const strata::ValueError& e) {
    CHECK_THAT(e.what(), Catch::Contains("native bfloat16"));
    WARN("This CPU has no native bfloat16; the bfloat16 plan was not checked");
  }
}
