// The fuse_binary_operands pass: a binary op between a convolution's result and one value or one value per
// channel becomes the convolution's binary post-op (the activation after it joins the chain too); what it
// must leave alone; and the numbers of every kind, against the reference executor.
#include <string>
#include <vector>

#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;
namespace ops = strata::ops;

namespace {

// The passes before fuse_binary_operands, in the pipeline's order, all chains accepted; then the pass with
// every fusion accepted.
ir::Graph fused_graph(const strata::Model& model, std::vector<std::vector<int64_t>> dims) {
  ir::Graph graph = ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), dims);
  const auto all_chains = [](const std::vector<ir::PostOp>&) { return true; };
  ir::fold_batch_norm(graph);
  ir::fuse_activations(graph, all_chains);
  ir::fuse_residual_adds(graph, all_chains);
  ir::fuse_activations(graph, all_chains);
  ir::fuse_binary_operands(graph, 1, all_chains, [](const ir::Graph&, const ir::Op&, int) { return true; });
  return graph;
}

std::vector<std::string> chains(const ir::Graph& graph) {
  std::vector<std::string> out;
  for (const ir::Op& op : graph.ops) out.push_back(ir::post_op_chain(graph, op));
  return out;
}

bool has_chain(const ir::Graph& graph, const std::string& chain) {
  const std::vector<std::string> all = chains(graph);
  return std::find(all.begin(), all.end(), chain) != all.end();
}

}  // namespace

TEST_CASE("fuse_binary_operands makes a per-channel or scalar operand the convolution's post-op",
          "[pass][binary]") {
  strata::clear_session();
  auto image = strata::Input({8, 8, 4}, "image");
  auto scale = strata::Input({1, 1, 16}, "scale");
  auto offset = strata::Input({1, 1, 1}, "offset");
  auto x = L::Conv2D(16, 3, {.padding = "same", .activation = "relu"})(image);
  x = L::ReLU()(x * scale);
  auto y = L::Conv2D(16, 1)(image) - offset;
  strata::Model model({image, scale, offset}, {x, y});
  const ir::Graph graph = fused_graph(model, {{1, 8, 8, 4}, {1, 1, 1, 16}, {1, 1, 1, 1}});
  INFO(graph.to_string());
  CHECK(graph.ops.size() == 2);
  CHECK(has_chain(graph, "conv + relu + multiply + relu"));
  CHECK(has_chain(graph, "conv + subtract"));
  // The fused op names every layer it computes.
  for (const ir::Op& op : graph.ops) {
    if (ir::post_op_chain(graph, op) == "conv + subtract") CHECK(op.layers.size() == 2);
  }
}

TEST_CASE("fuse_binary_operands leaves what one post-op cannot compute", "[pass][binary]") {
  strata::clear_session();
  auto image = strata::Input({8, 8, 4});
  auto other = strata::Input({8, 8, 16});
  auto per_sample = strata::Input({1, 1, 16});
  auto conv = [&] { return L::Conv2D(16, 3, {.padding = "same"})(image); };
  auto shared = conv();
  const std::vector<strata::SymbolicTensor> outputs = {
      conv() * other,       // a whole tensor: a full binary post-op pushes convolutions to blocked
      shared * per_sample,  // fused at batch 1 only (below)
      shared + 1.0f,        // a number: an affine activation, not a binary op
      ops::divide(per_sample, conv()),             // the operand first in a divide
      ops::power(conv(), per_sample),              // no oneDNN algorithm
      ops::multiply(conv(), per_sample) + shared,  // the first fuses; a whole-tensor add stays
  };
  strata::Model model({image, other, per_sample}, outputs);
  // Batch 2: the (2, 1, 1, 16) operand differs per sample, which oneDNN's per-channel broadcast cannot take.
  {
    const ir::Graph graph = fused_graph(model, {{2, 8, 8, 4}, {2, 8, 8, 16}, {2, 1, 1, 16}});
    INFO(graph.to_string());
    for (const std::string& chain : chains(graph)) CHECK(chain.find("conv + ") != 0);
  }
  // Batch 1: `shared` has two readers and stays; the multiply in the last output fuses.
  const ir::Graph graph = fused_graph(model, {{1, 8, 8, 4}, {1, 8, 8, 16}, {1, 1, 1, 16}});
  INFO(graph.to_string());
  int fused = 0;
  for (const std::string& chain : chains(graph)) fused += chain == "conv + multiply" ? 1 : 0;
  CHECK(fused == 1);
}

TEST_CASE("a convolution whose operand is computed after it moves to the binary op's place",
          "[pass][binary]") {
  strata::clear_session();
  auto image = strata::Input({8, 8, 4});
  auto y = L::Conv2D(8, 3, {.padding = "same"})(image);
  // The gate is computed from the image after the convolution, in the lowered order.
  auto gate =
      L::Reshape({1, 1, 8})(L::Dense(8, {.activation = "sigmoid"})(L::GlobalAveragePooling2D()(image)));
  strata::Model model(image, y * gate);
  const ir::Graph graph = fused_graph(model, {{1, 8, 8, 4}});
  INFO(graph.to_string());
  REQUIRE(has_chain(graph, "conv + multiply"));
  CHECK(ir::post_op_chain(graph, graph.ops.back()) == "conv + multiply");
}

TEST_CASE("fused binary post-ops match the reference", "[pass][binary][numerics]") {
  using Fn = strata::SymbolicTensor (*)(const ops::Operand&, const ops::Operand&);
  const std::vector<std::pair<std::string, Fn>> kinds = {
      {"add", ops::add},       {"subtract", ops::subtract}, {"multiply", ops::multiply},
      {"divide", ops::divide}, {"maximum", ops::maximum},   {"minimum", ops::minimum},
  };
  for (const auto& [name, fn] : kinds) {
    for (const int64_t channels : {16, 1}) {
      for (const bool scalar : {false, true}) {
        strata::clear_session();
        auto image = strata::Input({9, 9, 5});
        auto operand = strata::Input({1, 1, scalar ? 1 : channels});
        auto x = L::Conv2D(channels, 3, {.padding = "same"})(image);
        // The operand kept away from zero, for the divide.
        auto safe = ops::add(ops::abs(operand), 0.5f);
        strata::Model model({image, operand}, L::Activation("tanh")(fn(x, safe)));
        randomize_weights(model, 3);
        const std::vector<strata::Tensor> inputs = {random_input({1, 9, 9, 5}, 4),
                                                    random_input({1, 1, 1, scalar ? 1 : channels}, 5)};
        const std::string plan =
            model.compile({.num_threads = 1})
                .plan_string(std::vector<std::vector<int64_t>>{inputs[0].dims(), inputs[1].dims()});
        INFO(name << ", " << channels << " channels, scalar " << scalar << "\n" << plan);
        CHECK(plan.find("conv + " + name + " + tanh") != std::string::npos);
        CHECK(plan.find("ref:") == std::string::npos);
        check_against_reference(model, inputs, float32_tolerance(45), 1);
      }
    }
  }
}

TEST_CASE("an operand with a batch axis of 1 is per channel at any batch", "[pass][binary][numerics]") {
  // ops::arange reshaped to (1, 1, 1, C) broadcasts over the (batch, H, W, C) result, whatever the batch.
  strata::clear_session();
  auto image = strata::Input({7, 7, 3});
  auto y =
      L::Conv2D(6, 3, {.padding = "same"})(image) - ops::reshape(ops::arange(0.0, 0.6, 0.1), {-1, 1, 1, 6});
  strata::Model model(image, y);
  randomize_weights(model, 12);
  for (const int64_t batch : {1, 2}) {
    const std::string plan = model.compile({.num_threads = 1}).plan_string(batch);
    INFO(plan);
    CHECK(plan.find("conv + subtract") != std::string::npos);
    check_against_reference(model, {random_input({batch, 7, 7, 3}, 13)}, float32_tolerance(27), 1);
  }
}

TEST_CASE("a gate computed from the input scales a convolution in one step", "[pass][binary][numerics]") {
  // A squeeze-and-excitation-like gate on a convolution of the image (not on the tensor the gate reads,
  // whose two readers keep it in memory).
  strata::clear_session();
  auto image = strata::Input({12, 12, 8});
  auto gate =
      L::Reshape({1, 1, 24})(L::Dense(24, {.activation = "sigmoid"})(L::GlobalAveragePooling2D()(image)));
  auto y = L::Conv2D(24, 3, {.padding = "same", .activation = "relu"})(image) * gate;
  strata::Model model(image, L::Conv2D(8, 1)(y));
  randomize_weights(model, 8);
  const strata::CompiledModel one_thread = model.compile({.num_threads = 1});
  const std::string plan = one_thread.plan_string(1);
  INFO(plan);
  CHECK(plan.find("conv + relu + multiply") != std::string::npos);
  // Batch 3: one gate per sample, a separate binary step.
  CHECK(one_thread.plan_string(3).find("conv + relu + multiply") == std::string::npos);
  // Two threads: measured no faster fused, so two steps.
  CHECK(model.compile({.num_threads = 2}).plan_string(1).find("conv + relu + multiply") == std::string::npos);
  for (const int64_t batch : {1, 3}) {
    check_against_reference(model, {random_input({batch, 12, 12, 8}, 9)}, 2 * float32_tolerance(216), 1);
  }
}

TEST_CASE("a convolution that runs Winograd keeps its binary op apart", "[pass][binary]") {
  strata::clear_session();
  auto image = strata::Input({28, 28, 64});
  auto scale = strata::Input({1, 1, 64});
  strata::Model model({image, scale}, L::Conv2D(64, 3, {.padding = "same"})(image) * scale);
  const std::vector<std::vector<int64_t>> dims = {{1, 28, 28, 64}, {1, 1, 1, 64}};
  const std::string plan = model.compile({.num_threads = 1}).plan_string(dims);
  INFO(plan);
  // Where oneDNN has Winograd (AVX-512) the convolution runs it, then the multiply; elsewhere they fuse.
  CHECK((plan.find("wino") != std::string::npos) == onednn_runs_avx512());
  CHECK((plan.find("conv + multiply") == std::string::npos) == onednn_runs_avx512());
}
