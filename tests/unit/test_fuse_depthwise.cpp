// The fuse_depthwise pass: a 3x3 depthwise convolution reading only a 1x1 convolution's result becomes that
// convolution's depthwise post-op, so the expanded activations never reach memory; the oneDNN backend's rule
// for the paddings it computes the same way Keras does; and the numbers, against the reference executor.
#include <cstdlib>
#include <vector>

#include "backend/onednn/convolution_rules.hpp"
#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;

namespace {

ir::Graph lowered(const strata::Model& model, std::vector<std::vector<int64_t>> dims) {
  ir::Graph graph = ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), dims);
  // The passes before fuse_depthwise, in the pipeline's order.
  ir::fold_zero_padding(graph);
  ir::fold_batch_norm(graph);
  ir::fuse_activations(graph, [](const std::vector<ir::PostOp>&) { return true; });
  return graph;
}

bool accept_all(const ir::Graph&, const ir::Op&, const ir::Op&) {
  return true;
}

// Sets STRATA_DEPTHWISE_FUSION for a scope: "always" lets graphs far below the size rule fuse, so that the
// padding rule and the numbers can be checked on small images.
class ScopedFusionSwitch {
 public:
  explicit ScopedFusionSwitch(const char* value) { setenv("STRATA_DEPTHWISE_FUSION", value, 1); }
  ~ScopedFusionSwitch() { unsetenv("STRATA_DEPTHWISE_FUSION"); }
  ScopedFusionSwitch(const ScopedFusionSwitch&) = delete;
  ScopedFusionSwitch& operator=(const ScopedFusionSwitch&) = delete;
};

// MobileNetV2's inverted residual block: expand (1x1, relu6), depthwise 3x3 (relu6), project (1x1), with the
// padding Keras's MobileNetV2 uses for stride 2 (ZeroPadding2D of correct_pad, then valid).
strata::SymbolicTensor inverted_residual(strata::SymbolicTensor x, int64_t size, int stride, int expanded) {
  x = L::Conv2D(expanded, 1, {.use_bias = false})(x);
  x = L::BatchNormalization()(x);
  x = L::ReLU({.max_value = 6.0f})(x);
  if (stride == 2) {
    const int before = size % 2 == 0 ? 0 : 1;  // correct_pad: (0, 1) for an even size, (1, 1) for an odd one
    x = L::ZeroPadding2D({{before, 1}, {before, 1}})(x);
  }
  x = L::DepthwiseConv2D(
      3, {.strides = stride, .padding = stride == 2 ? "valid" : "same", .use_bias = false})(x);
  x = L::BatchNormalization()(x);
  x = L::ReLU({.max_value = 6.0f})(x);
  return L::Conv2D(16, 1)(x);
}

void give_batch_norms_statistics(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    if (layer.impl()->class_name() != "BatchNormalization") continue;
    std::vector<strata::Tensor> w = layer.get_weights();
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = strata::Tensor::random_uniform(w[i].dims(), seed++, i + 1 == w.size() ? 0.5f : -0.5f, 1.5f);
    }
    layer.set_weights(w);
  }
}

}  // namespace

TEST_CASE("fuse_depthwise makes a depthwise convolution the 1x1 convolution's post-op", "[pass][depthwise]") {
  strata::clear_session();
  auto in = strata::Input({10, 10, 8});
  strata::Model model(in, inverted_residual(in, 10, 1, 24));
  ir::Graph graph = lowered(model, {{1, 10, 10, 8}});
  const size_t before = graph.ops.size();
  ir::fuse_depthwise(graph, accept_all);
  INFO(graph.to_string());
  REQUIRE(graph.ops.size() == before - 1);
  const ir::Op& fused = graph.ops[0];
  CHECK(ir::post_op_chain(graph, fused) == "conv + relu + depthwise + relu");  // relu6s, printed as relu
  CHECK(graph.values[fused.output()].dims == std::vector<int64_t>{1, 10, 10, 24});
  CHECK(fused.layers.size() ==
        6);  // expand, its batch norm and relu6; the depthwise, its batch norm and relu6
}

TEST_CASE("fuse_depthwise leaves what it cannot fuse", "[pass][depthwise]") {
  strata::clear_session();
  auto in = strata::Input({10, 10, 8});
  auto expanded = L::Conv2D(24, 1)(in);
  // The 1x1 result has a second reader: it must stay in memory.
  auto shared = L::add({L::DepthwiseConv2D(3, {.padding = "same"})(expanded), expanded});
  // A strided 1x1 convolution, a depth multiplier of 2, a 5x5 depthwise kernel.
  auto strided = L::DepthwiseConv2D(3, {.padding = "same"})(L::Conv2D(24, 1, {.strides = 2})(in));
  auto multiplied = L::DepthwiseConv2D(3, {.padding = "same", .depth_multiplier = 2})(L::Conv2D(24, 1)(in));
  auto wide = L::DepthwiseConv2D(5, {.padding = "same"})(L::Conv2D(24, 1)(in));
  strata::Model model(in, {shared, strided, multiplied, wide});
  ir::Graph graph = lowered(model, {{1, 10, 10, 8}});
  const size_t before = graph.ops.size();
  ir::fuse_depthwise(graph, accept_all);
  CHECK(graph.ops.size() == before);
}

TEST_CASE("the oneDNN backend fuses only the depthwise paddings it computes as Keras does",
          "[pass][depthwise]") {
  strata::clear_session();
  const ScopedFusionSwitch always("always");
  // oneDNN's fused depthwise output is ceil(in / stride) with the given top/left padding; it must equal
  // Keras's padding exactly, or the fused numbers would be silently different.
  auto fuses = [](int64_t size, int stride, const std::string& padding, std::pair<int, int> zero_padding) {
    auto in = strata::Input({size, size, 8});
    auto x = L::Conv2D(32, 1)(in);
    if (zero_padding != std::pair<int, int>{0, 0}) x = L::ZeroPadding2D({zero_padding, zero_padding})(x);
    strata::Model model(in, L::DepthwiseConv2D(3, {.strides = stride, .padding = padding})(x));
    const ir::Graph graph = lowered(model, {{1, size, size, 8}});
    REQUIRE(graph.ops.size() == 2);
    return strata::detail::onednn_fuses_depthwise(graph, graph.ops[0], graph.ops[1]);
  };
  CHECK(fuses(12, 1, "same", {0, 0}));  // (1, 1)
  CHECK(fuses(11, 1, "same", {0, 0}));
  CHECK(fuses(12, 2, "valid", {0, 1}));        // MobileNetV2's correct_pad on an even size
  CHECK(fuses(11, 2, "valid", {1, 1}));        // and on an odd size
  CHECK(fuses(12, 2, "same", {0, 0}));         // TensorFlow's same: (0, 1) on an even size
  CHECK(fuses(11, 2, "same", {0, 0}));         // (1, 1) on an odd size
  CHECK_FALSE(fuses(12, 1, "valid", {0, 0}));  // no padding: a smaller output than oneDNN's
  CHECK_FALSE(fuses(12, 2, "valid", {0, 0}));
  CHECK_FALSE(fuses(12, 2, "valid", {1, 1}));  // (1, 1) on an even size: oneDNN would pad (1, 0)
  CHECK_FALSE(fuses(12, 1, "valid", {2, 2}));
}

TEST_CASE("fused expand and depthwise convolutions match the reference", "[pass][depthwise][numerics]") {
  const ScopedFusionSwitch always("always");
  // One expanded channel too: the depthwise convolution is then a plain one (groups 1), random graph seed
  // 1454.
  for (int expanded : {48, 1}) {
    for (int64_t size : {12, 11}) {
      for (int stride : {1, 2}) {
        strata::clear_session();
        auto in = strata::Input({size, size, 8});
        strata::Model model(in, inverted_residual(in, size, stride, expanded));
        randomize_weights_keeping_scale(model, 17);
        give_batch_norms_statistics(model, 90);
        const std::string plan = model.compile().plan_string(2);
        INFO("expanded " << expanded << ", size " << size << ", stride " << stride << "\n" << plan);
        CHECK(plan.find("conv + relu + depthwise + relu") != std::string::npos);
        // Without AVX-512, oneDNN's only kernel for it chains the two reference convolutions (the "always"
        // switch takes it; the size rule never does).
        CHECK((plan.find("ref:") == std::string::npos) == onednn_runs_avx512());
        // Into the blocked layout, expand + depthwise, back to NHWC, project.
        CHECK(plan.find("4 steps") != std::string::npos);
        // Three convolutions deep (8, 9 and 48 terms): the sum of their float32 budgets.
        for (int64_t batch : {1, 3}) {
          check_against_reference(model, {random_input({batch, size, size, 8}, 5)},
                                  3 * float32_tolerance(48));
        }
      }
    }
  }
}

TEST_CASE("expand and depthwise fuse by the size rule; STRATA_DEPTHWISE_FUSION=never stops them",
          "[pass][depthwise][numerics]") {
  strata::clear_session();
  auto in = strata::Input({56, 56, 16});
  strata::Model model(in, inverted_residual(in, 56, 2, 96));
  randomize_weights_keeping_scale(model, 23);
  give_batch_norms_statistics(model, 70);
  // The 1x1 result is 4 * 56 * 56 * 96 * 4 bytes = 4.8 MB at batch 4, under the rule's 8 MiB: two steps
  // apart; 9.6 MB at batch 8, more than twice the 1.6 + 2.4 MB converted: one fused step between two
  // conversions. At stride 1 the 9.6 MB depthwise output would cost as much to convert: apart.
  CHECK(model.compile().plan_string(4).find("+ depthwise") == std::string::npos);
  const std::string plan = model.compile().plan_string(8);
  INFO(plan);
  CHECK(plan.find("conv + relu + depthwise + relu") != std::string::npos);
  CHECK(plan.find("nChw16c") != std::string::npos);
  check_against_reference(model, {random_input({8, 56, 56, 16}, 6)}, 3 * float32_tolerance(96));
  strata::Model stride_1(in, inverted_residual(in, 56, 1, 96));
  CHECK(stride_1.compile().plan_string(8).find("+ depthwise") == std::string::npos);
  const ScopedFusionSwitch never("never");
  CHECK(model.compile().plan_string(8).find("+ depthwise") == std::string::npos);
}

TEST_CASE("in a chain of depthwise separable blocks, pairs whose ends stay blocked fuse at any size",
          "[pass][depthwise][numerics]") {
  // MobileNet's dw -> 1x1 -> dw -> 1x1 ...: a fused step hands the next pair a blocked tensor, so an end
  // between two pairs is counted as converting nothing. At batch 8 the first pair's 1x1 result (112 * 112 *
  // 32 * 4 bytes per image, 12.8 MB) is twice the 6.4 MB input it converts: fused; the second pair is counted
  // as converting nothing: fused, although the size rule alone would refuse it; the third would convert its
  // 12.8 MB depthwise output for the last 1x1: apart (so the second pair's output is converted after all,
  // the price of the structural guess). At batch 1 the chain never starts (1.6 MB, under 8 MiB).
  strata::clear_session();
  auto in = strata::Input({112, 112, 16});
  auto bn_relu6 = [](strata::SymbolicTensor x) {
    return L::ReLU({.max_value = 6.0f})(L::BatchNormalization()(x));
  };
  auto x = bn_relu6(L::DepthwiseConv2D(3, {.padding = "same", .use_bias = false})(in));
  for (int pair = 0; pair < 3; ++pair) {
    x = bn_relu6(L::Conv2D(32, 1, {.use_bias = false})(x));
    x = bn_relu6(L::DepthwiseConv2D(3, {.padding = "same", .use_bias = false})(x));
  }
  x = L::Conv2D(16, 1)(x);
  strata::Model model(in, x);
  randomize_weights_keeping_scale(model, 24);
  give_batch_norms_statistics(model, 71);
  const std::string plan = model.compile().plan_string(8);
  INFO(plan);
  // Without AVX-512 the chooser keeps nhwc, where oneDNN has no fused kernel worth running.
  CHECK(occurrences(plan, "conv + relu + depthwise + relu") == (onednn_runs_avx512() ? 2 : 0));
  CHECK(model.compile().plan_string(1).find("+ depthwise") == std::string::npos);
  check_against_reference(model, {random_input({8, 112, 112, 16}, 7)}, 3 * float32_tolerance(32));
}
