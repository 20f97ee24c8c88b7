// The subsample_strided_pointwise pass: a strided 1x1 convolution becomes a subsampling (a one-cell max
// pooling with its strides) and the same convolution with unit strides, where the backend asks for it; other
// convolutions stay as they are; and the numbers, against the reference executor, on the shapes that made
// the pass (Xception's shortcuts from odd-sized maps, a residual sum fused in).
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
  return ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), dims);
}

const ir::ConvOp* conv_of(const ir::Graph& graph, const std::string& layer) {
  for (const ir::Op& op : graph.ops) {
    if (!op.layers.empty() && op.layers.front() == layer && ir::op_kind_name(op) == "conv") {
      return &std::get<ir::ConvOp>(op.attrs);
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("subsample_strided_pointwise rewrites the strided 1x1 convolutions it is asked to",
          "[pass][subsample]") {
  strata::clear_session();
  auto in = strata::Input({9, 9, 6});
  const std::vector<strata::SymbolicTensor> outputs = {
      L::Conv2D(8, 1, {.strides = 2, .name = "pointwise_2"})(in),
      L::Conv2D(8, 1, {.strides = {2, 3}, .padding = "same", .name = "pointwise_2x3"})(in),
      L::Conv2D(8, 3, {.strides = 2, .name = "spatial"})(in),          // not 1x1
      L::Conv2D(8, 1, {.name = "unit"})(in),                           // unit strides
      L::DepthwiseConv2D(1, {.strides = 2, .name = "depthwise"})(in),  // grouped
  };
  const strata::Model model(in, outputs);
  ir::Graph graph = lowered(model, {{2, 9, 9, 6}});
  const size_t before = graph.ops.size();

  // A backend that never asks changes nothing.
  ir::subsample_strided_pointwise(graph, [](const ir::Graph&, const ir::Op&) { return false; });
  CHECK(graph.ops.size() == before);

  int asked = 0;
  ir::subsample_strided_pointwise(graph, [&](const ir::Graph& g, const ir::Op& op) {
    ++asked;
    CHECK(ir::is_strided_pointwise(g, op));
    return true;
  });
  INFO(graph.to_string());
  CHECK(asked == 2);
  REQUIRE(graph.ops.size() == before + 2);
  for (const char* name : {"pointwise_2", "pointwise_2x3"}) {
    INFO(name);
    const ir::ConvOp* conv = conv_of(graph, name);
    REQUIRE(conv != nullptr);
    CHECK(conv->window.strides == std::vector<int>{1, 1});
  }
  CHECK(conv_of(graph, "spatial")->window.strides == std::vector<int>{2, 2});
  // Each rewritten convolution reads a subsampling of the input, placed just before it: the output's grid
  // with the input's channels.
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    if (ir::op_kind_name(graph.ops[i]) != "subsample") continue;
    const ir::Op& subsample = graph.ops[i];
    const ir::Op& conv = graph.ops[i + 1];
    CHECK(subsample.inputs == std::vector<ir::ValueId>{graph.inputs[0]});
    CHECK(conv.inputs[0] == subsample.output());
    CHECK(subsample.layers == conv.layers);
    const std::vector<int64_t>& out = graph.values[conv.output()].dims;
    CHECK(graph.values[subsample.output()].dims == std::vector<int64_t>{2, out[1], out[2], 6});
  }
}

TEST_CASE("strided shortcuts from odd-sized maps equal the reference, subsampled where oneDNN asks",
          "[pass][subsample][numerics]") {
  // Xception's block: a strided 1x1 shortcut with its batch norm, summed with a pooled branch.
  strata::clear_session();
  auto in = strata::Input({15, 15, 16});
  auto x = L::Conv2D(24, 3, {.padding = "same", .activation = "relu"})(in);
  auto shortcut =
      L::BatchNormalization()(L::Conv2D(40, 1, {.strides = 2, .padding = "same", .use_bias = false})(x));
  auto branch =
      L::MaxPooling2D(3, {.strides = 2, .padding = "same"})(L::Conv2D(40, 3, {.padding = "same"})(x));
  auto y = L::add({branch, shortcut});
  // And one from a map of even size.
  auto z = L::Conv2D(48, 1, {.strides = 2})(L::Conv2D(32, 1)(y));
  const strata::Model model(in, L::GlobalAveragePooling2D()(z));
  const strata::Tensor input = random_input({3, 15, 15, 16}, 41);
  randomize_like_trained(model, 42, random_input({4, 15, 15, 16}, 43));
  const std::string plan = model.compile().plan_string(3);
  INFO(plan);
  // Without AVX-512, oneDNN 2.6 has its jit_1x1 kernel for the 15x15 shortcut only at unit stride: it runs
  // subsampled. The 8x8 one has it strided and stays.
  if (!onednn_runs_avx512() && __builtin_cpu_supports("avx2")) {
    CHECK(occurrences(plan, "subsample ") == 1);
  }
  const double tolerance = 20 * float32_tolerance(24 * 9 + 40 * 9 + 32);
  for (int threads : {1, 2}) check_against_reference(model, {input}, tolerance, threads);
  CHECK(sensitivity(model, input) >= 100 * tolerance);
}
