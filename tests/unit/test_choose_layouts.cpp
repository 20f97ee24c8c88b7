// The choose_layouts pass: Winograd convolutions get blocked inputs and outputs through convert ops, one per
// value and none between two blocked convolutions; direct convolutions reading a blocked value stay blocked;
// plain values everywhere else; the same numbers. And the oneDNN backend's rules for which convolutions run
// as Winograd and which run well blocked.
#include <memory>
#include <vector>

#include "backend/onednn/convolution_rules.hpp"
#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;

namespace {

ir::Graph lowered(const strata::Model& model, std::vector<std::vector<int64_t>> dims) {
  return ir::lower_layers(static_cast<const strata::detail::FunctionalImpl&>(*model.impl()), dims);
}

// Every convolution whose 3x3 kernel it sees: the pass's mechanics without the backend's measured rule.
bool every_3x3(const ir::Graph&, const ir::Op& op) {
  const auto* c = std::get_if<ir::ConvOp>(&op.attrs);
  return c != nullptr && c->kernel->dims()[0] == 3;
}

// No direct convolution runs blocked: the Winograd mechanics alone.
bool no_blocked(const ir::Graph&, const ir::Op&) {
  return false;
}

int count_ops(const ir::Graph& graph, bool (*is)(const ir::Op&)) {
  int n = 0;
  for (const ir::Op& op : graph.ops) n += is(op) ? 1 : 0;
  return n;
}
bool is_convert(const ir::Op& op) {
  return std::holds_alternative<ir::ConvertOp>(op.attrs);
}
bool is_winograd(const ir::Op& op) {
  const auto* c = std::get_if<ir::ConvOp>(&op.attrs);
  return c != nullptr && c->algorithm == ir::ConvOp::Algorithm::kWinograd;
}

// Every op reads and writes the layouts it runs in: Winograd convolutions blocked, direct ones in one layout,
// converts change the layout, everything else plain.
void check_layouts(const ir::Graph& graph) {
  for (const ir::Op& op : graph.ops) {
    const ir::Layout out = graph.values[op.output()].layout;
    if (is_winograd(op)) {
      CHECK(graph.values[op.inputs[0]].layout == ir::Layout::kBlocked16);
      CHECK(out == ir::Layout::kBlocked16);
    } else if (std::holds_alternative<ir::ConvOp>(op.attrs)) {
      // A direct convolution runs in one layout: its input, its output, the value a sum adds and the buffer
      // it writes into.
      CHECK(graph.values[op.inputs[0]].layout == out);
      for (const ir::PostOp& p : op.post_ops) {
        if (p.operand >= 0) CHECK(graph.values[p.operand].layout == out);
      }
      if (graph.values[op.output()].in_place_of >= 0) {
        CHECK(graph.values[graph.values[op.output()].in_place_of].layout == out);
      }
    } else if (is_convert(op)) {
      CHECK(graph.values[op.inputs[0]].layout != out);
    } else {
      for (ir::ValueId v : op.inputs) CHECK(graph.values[v].layout == ir::Layout::kPlain);
      CHECK(out == ir::Layout::kPlain);
    }
  }
  for (ir::ValueId v : graph.inputs) CHECK(graph.values[v].layout == ir::Layout::kPlain);
  for (ir::ValueId v : graph.outputs) CHECK(graph.values[v].layout == ir::Layout::kPlain);
}

}  // namespace

TEST_CASE("choose_layouts converts once per value and never between two Winograd convolutions",
          "[pass][layouts]") {
  strata::clear_session();
  auto in = strata::Input({12, 12, 32});
  auto a = L::Conv2D(32, 3, {.padding = "same", .activation = "relu"})(in);
  auto b = L::Conv2D(40, 3, {.padding = "same"})(a);   // chained: reads a's blocked value directly
  auto c = L::Conv2D(40, 3, {.padding = "valid"})(a);  // a second reader of a: no second conversion
  auto d = L::Conv2D(40, 1)(a);                        // a plain reader of a: a stays plain too
  strata::Model model(in, {b, L::GlobalAveragePooling2D()(c), d});
  ir::Graph graph = lowered(model, {{1, 12, 12, 32}});
  ir::fuse_activations(graph, [](const std::vector<ir::PostOp>&) { return true; });  // a's relu: a post-op
  const size_t before = graph.ops.size();
  ir::choose_layouts(graph, every_3x3, no_blocked);
  INFO(graph.to_string());
  CHECK(count_ops(graph, is_winograd) == 3);
  // in -> blocked; a back to plain (for the 1x1); b and c back to plain (a model output, the pooling).
  CHECK(count_ops(graph, is_convert) == 4);
  CHECK(graph.ops.size() == before + 4);
  check_layouts(graph);
}

TEST_CASE("choose_layouts drops the conversion back when only Winograd convolutions read a value",
          "[pass][layouts]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 32});
  auto a = L::Conv2D(32, 3, {.padding = "same"})(in);
  strata::Model model(in, L::Conv2D(32, 3, {.padding = "same"})(a));
  ir::Graph graph = lowered(model, {{2, 8, 8, 32}});
  ir::choose_layouts(graph, every_3x3, no_blocked);
  INFO(graph.to_string());
  // convert in, two Winograd convolutions, convert out: a exists only blocked.
  REQUIRE(graph.ops.size() == 4);
  CHECK(is_convert(graph.ops[0]));
  CHECK(is_winograd(graph.ops[1]));
  CHECK(is_winograd(graph.ops[2]));
  CHECK(is_convert(graph.ops[3]));
  check_layouts(graph);
}

TEST_CASE("choose_layouts keeps a convolution that writes in place direct", "[pass][layouts]") {
  strata::clear_session();
  auto in = strata::Input({10, 10, 32});
  auto main = L::Conv2D(32, 3, {.padding = "same", .activation = "relu"})(in);
  auto shortcut = L::Conv2D(32, 3, {.padding = "same"})(in);
  strata::Model model(in, L::add({main, shortcut}));
  ir::Graph graph = lowered(model, {{1, 10, 10, 32}});
  ir::fuse_residual_adds(graph, [](const std::vector<ir::PostOp>&) { return true; });
  ir::choose_layouts(graph, every_3x3, no_blocked);
  INFO(graph.to_string());
  // One convolution carries the add as a sum into the other's plain buffer: that one stays direct.
  CHECK(count_ops(graph, is_winograd) == 1);
  check_layouts(graph);
}

// Every direct convolution may run blocked: the pass's chaining without the backend's kernels.
bool every_conv(const ir::Graph&, const ir::Op& op) {
  return std::holds_alternative<ir::ConvOp>(op.attrs);
}

bool is_blocked_direct(const ir::Graph& graph, const ir::Op& op) {
  const auto* c = std::get_if<ir::ConvOp>(&op.attrs);
  return c != nullptr && c->algorithm == ir::ConvOp::Algorithm::kDirect &&
         graph.values[op.output()].layout == ir::Layout::kBlocked16;
}

TEST_CASE("choose_layouts keeps a chain of convolutions blocked after a blocked one", "[pass][layouts]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 32});
  auto a = L::Conv2D(32, 3, {.padding = "same"})(in);  // Winograd: the chain starts here
  auto b = L::Conv2D(64, 1)(a);                        // reads a blocked: stays blocked
  auto c = L::Conv2D(32, 1)(b);                        // and so on
  auto plain = L::Conv2D(16, 1)(L::ReLU()(in));        // reads a value that is only plain: stays plain
  strata::Model model(in, {L::add({c, a}), plain});
  ir::Graph graph = lowered(model, {{1, 8, 8, 32}});
  ir::fuse_residual_adds(graph, [](const std::vector<ir::PostOp>&) { return true; });
  ir::choose_layouts(graph, every_3x3, every_conv);
  INFO(graph.to_string());
  int blocked = 0;
  for (const ir::Op& op : graph.ops) blocked += is_blocked_direct(graph, op) ? 1 : 0;
  // b, and c carrying the add as a sum into a's blocked buffer.
  CHECK(blocked == 2);
  CHECK(count_ops(graph, is_winograd) == 1);
  // in -> blocked for a; the sum's result back to plain (a model output); nothing else.
  CHECK(count_ops(graph, is_convert) == 2);
  check_layouts(graph);
}

TEST_CASE("choose_layouts adds in place into a blocked buffer only if it already is one", "[pass][layouts]") {
  strata::clear_session();
  auto in = strata::Input({8, 8, 32});
  auto a = L::Conv2D(32, 3, {.padding = "same"})(L::ReLU()(in));  // Winograd, blocked
  auto shortcut = L::Conv2D(32, 1)(in);                           // reads the input, only plain
  // The add goes as a sum into the conv computed last, b, whose input is blocked but whose buffer is the
  // shortcut's plain one: b must stay plain rather than convert the shortcut just to overwrite it.
  auto b = L::Conv2D(32, 1)(a);
  strata::Model model(in, L::add({shortcut, b}));
  ir::Graph graph = lowered(model, {{1, 8, 8, 32}});
  ir::fuse_residual_adds(graph, [](const std::vector<ir::PostOp>&) { return true; });
  ir::choose_layouts(graph, every_3x3, every_conv);
  INFO(graph.to_string());
  for (const ir::Op& op : graph.ops) CHECK_FALSE(is_blocked_direct(graph, op));
  check_layouts(graph);
}

TEST_CASE("blocked chains on the oneDNN backend: an inverted residual block agrees with the reference",
          "[pass][layouts][numerics]") {
  strata::clear_session();
  auto in = strata::Input({strata::None, strata::None, 32});
  auto x = L::Conv2D(32, 3, {.padding = "same", .activation = "relu"})(in);  // Winograd starts the chain
  auto e = L::Conv2D(96, 1, {.activation = "relu"})(x);                      // expand, blocked
  e = L::DepthwiseConv2D(3, {.padding = "same", .activation = "relu"})(e);   // depthwise, blocked (jit_dw)
  auto p = L::Conv2D(32, 1)(e);                                              // project + add, blocked
  auto s = L::DepthwiseConv2D(3, {.strides = 2, .padding = "same"})(L::add({x, p}));
  strata::Model model(in, L::GlobalAveragePooling2D()(s), "inverted");
  randomize_weights_keeping_scale(model, 11);
  const std::string plan = model.compile({.num_threads = 1}).plan_string({{2, 12, 12, 32}});
  INFO(plan);
  CHECK(occurrences(plan, "conv + sum") == 1);
  if (onednn_runs_avx512()) {
    CHECK(occurrences(plan, "wino_") == 1);
    CHECK(occurrences(plan, "jit_dw") == 2);
    // Into the blocked layout for the Winograd convolution, out of it for the pooling: nothing in between.
    CHECK(occurrences(plan, "convert ") == 2);
  } else {
    // No Winograd to start a chain: everything direct in NHWC, no conversions.
    CHECK(plan.find("wino_") == std::string::npos);
    CHECK(plan.find("convert") == std::string::npos);
  }
  CHECK(plan.find("ref:") == std::string::npos);
  check_against_reference(model, {random_input({2, 12, 12, 32}, 12)}, 4 * float32_tolerance(9 * 96));
}

TEST_CASE("the oneDNN backend runs wide 3x3 convolutions as Winograd, and the numbers agree",
          "[pass][layouts][numerics]") {
  strata::clear_session();
  auto in = strata::Input({strata::None, strata::None, 32});
  auto x = L::Conv2D(48, 3, {.padding = "same", .activation = "relu"})(in);     // Winograd
  x = L::Conv2D(32, 3, {.padding = "same", .activation = "relu"})(x);           // Winograd, chained
  auto narrow = L::Conv2D(16, 3, {.padding = "same"})(x);                       // 16 filters: direct
  auto strided = L::Conv2D(32, 3, {.strides = 2, .padding = "same"})(x);        // strided: direct
  auto dilated = L::Conv2D(32, 3, {.padding = "same", .dilation_rate = 2})(x);  // dilated: direct
  strata::Model model(in, {narrow, strided, dilated}, "layouts");
  randomize_weights_keeping_scale(model, 5);

  const std::string plan = model.compile().plan_string({{2, 16, 16, 32}});
  INFO(plan);
  if (onednn_runs_avx512()) {
    CHECK(occurrences(plan, "wino_") == 2);
    // Into the blocked layout once; the three direct convolutions read the blocked value as it is, and
    // their results (the model's outputs) come back one each.
    CHECK(occurrences(plan, "convert ") == 4);
    CHECK(occurrences(plan, "nChw16c -> nChw16c; ABcd16b16a") == 3);
  } else {
    CHECK(plan.find("wino_") == std::string::npos);  // no Winograd kernel on this CPU: all direct, NHWC
    CHECK(plan.find("convert") == std::string::npos);
  }
  CHECK(plan.find("ref:") == std::string::npos);
  // Three convolutions deep: the sum of their float32 budgets.
  check_against_reference(model, {random_input({2, 16, 16, 32}, 9)}, 3 * float32_tolerance(9 * 48));

  // A 3x3 output is too small to pay: everything direct, no conversions.
  const std::string small = model.compile().plan_string({{1, 3, 3, 32}});
  INFO(small);
  CHECK(small.find("wino_") == std::string::npos);
  CHECK(small.find("convert") == std::string::npos);
  check_against_reference(model, {random_input({1, 3, 3, 32}, 10)}, 3 * float32_tolerance(9 * 48));

  // winograd = false: every convolution direct.
  CHECK(model.compile({.winograd = false}).plan_string({{2, 16, 16, 32}}).find("wino_") == std::string::npos);
}

TEST_CASE("onednn_prefers_winograd follows the measured rule", "[pass][layouts]") {
  strata::clear_session();
  auto check = [](int64_t channels_in, int64_t filters, int64_t size, strata::layers::Conv2DOptions options) {
    auto in = strata::Input({size, size, channels_in});
    options.padding = "same";
    strata::Model model(in, L::Conv2D(filters, 3, options)(in));
    const ir::Graph graph = lowered(model, {{1, size, size, channels_in}});
    return strata::detail::onednn_prefers_winograd(graph, graph.ops[0]);
  };
  // Where oneDNN has no Winograd kernel (no AVX-512), never.
  CHECK(check(32, 32, 8, {}) == onednn_runs_avx512());
  CHECK(check(64, 64, 56, {.activation = "relu"}) == onednn_runs_avx512());
  CHECK_FALSE(check(16, 64, 56, {}));              // too few input channels
  CHECK_FALSE(check(64, 16, 56, {}));              // too few filters
  CHECK_FALSE(check(64, 64, 3, {}));               // output smaller than 4x4
  CHECK_FALSE(check(64, 64, 56, {.strides = 2}));  // strided
  CHECK_FALSE(check(64, 64, 56, {.dilation_rate = 2}));
  CHECK_FALSE(check(64, 64, 56, {.groups = 2}));
}
