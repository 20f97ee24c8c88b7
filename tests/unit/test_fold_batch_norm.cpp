// The fold_batch_norm pass: a batch normalization after a convolution or dense layer becomes a scale per
// output channel and a new bias on that op, with the same numbers, while the op keeps the layer's own
// kernel (no scaled copy of it lives in the IR), and plans for other shapes share the fold.
#include <memory>
#include <vector>

#include "backend/reference/reference_executor.hpp"
#include "compiler/passes/passes.hpp"
#include "graph/functional.hpp"
#include "numerics_util.hpp"

using namespace strata_test;
namespace ir = strata::ir;

namespace {

const strata::detail::FunctionalImpl& functional(const strata::Model& model) {
  return static_cast<const strata::detail::FunctionalImpl&>(*model.impl());
}

// Moving statistics far from the identity, so that the fold changes the numbers it must preserve.
void randomize_batch_norms(const strata::Model& model, uint64_t seed) {
  for (strata::Layer layer : model.layers()) {
    if (layer.impl()->class_name() != "BatchNormalization") continue;
    std::vector<strata::Tensor> w = layer.get_weights();
    for (size_t i = 0; i < w.size(); ++i) {
      const bool variance = i + 1 == w.size();
      w[i] = strata::Tensor::random_uniform(w[i].dims(), seed++, variance ? 0.2f : -1.5f, 1.5f);
    }
    layer.set_weights(w);
  }
}

std::vector<float> run_reference(const ir::Graph& graph, const strata::Tensor& input) {
  const auto executor = strata::detail::make_reference_executor(graph);
  const ir::Value& out = graph.values[graph.outputs[0]];
  int64_t count = 1;
  for (int64_t d : out.dims) count *= d;
  std::vector<float> result(static_cast<size_t>(count));
  executor->run({input.data()}, {result.data()});
  return result;
}

template <class OpType>
const OpType& only_op_of(const ir::Graph& graph) {
  const OpType* found = nullptr;
  for (const ir::Op& op : graph.ops) {
    if (const auto* p = std::get_if<OpType>(&op.attrs)) {
      REQUIRE(found == nullptr);
      found = p;
    }
  }
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("fold_batch_norm scales the kernel per channel without copying it", "[pass][batchnorm]") {
  strata::clear_session();
  auto in = strata::Input({9, 9, 5});
  auto x = L::Conv2D(6, 3, {.use_bias = false, .name = "conv"})(in);
  x = L::BatchNormalization({.name = "bn_a"})(x);
  x = L::BatchNormalization({.name = "bn_b"})(x);  // a second fold multiplies the first one's scale
  x = L::GlobalAveragePooling2D()(x);
  x = L::Dense(4, {.name = "dense"})(x);
  x = L::BatchNormalization({.name = "bn_c"})(x);
  strata::Model model(in, x, "folds");
  randomize_weights(model, 3);
  randomize_batch_norms(model, 40);

  const std::vector<std::vector<int64_t>> dims{{2, 9, 9, 5}};
  const ir::Graph unfolded = ir::lower_layers(functional(model), dims);
  ir::Graph folded = unfolded;
  ir::fold_batch_norm(folded);
  CHECK(unfolded.ops.size() == 7);  // conv, 2 batch norms, pooling, reshape to (N, C), dense, batch norm
  CHECK(folded.ops.size() ==
        4);  // conv (both batch norms folded), pooling, reshape, dense (its batch norm folded)

  const auto& conv = only_op_of<ir::ConvOp>(folded);
  const auto& dense = only_op_of<ir::DenseOp>(folded);
  // The ops hold the layers' own kernels, plus a scale of one float per output channel.
  CHECK(conv.kernel == model.get_layer("conv").impl()->variables()[0].tensor());
  CHECK(dense.kernel == model.get_layer("dense").impl()->variables()[0].tensor());
  REQUIRE(conv.kernel_scale);
  REQUIRE(dense.kernel_scale);
  CHECK(conv.kernel_scale->dims() == std::vector<int64_t>{6});
  CHECK(dense.kernel_scale->dims() == std::vector<int64_t>{4});
  REQUIRE(conv.bias);  // the conv had none: the fold gives it one

  // The same numbers as the batch norms run on their own, within float32 rounding of a 45-term sum.
  const strata::Tensor input = random_input(dims[0], 7);
  const std::vector<float> want = run_reference(unfolded, input);
  const std::vector<float> got = run_reference(folded, input);
  REQUIRE(want.size() == got.size());
  double worst = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]) / (1.0 + std::abs(want[i])));
  }
  CHECK(worst < float32_tolerance(45));

  // A plan for another batch size gets the same fold (one scale and bias for all plans), chained folds too.
  ir::Graph other = ir::lower_layers(functional(model), {{5, 9, 9, 5}});
  ir::fold_batch_norm(other);
  CHECK(only_op_of<ir::ConvOp>(other).kernel_scale == conv.kernel_scale);
  CHECK(only_op_of<ir::ConvOp>(other).bias == conv.bias);
}

TEST_CASE("fold_batch_norm leaves a batch norm whose input has other readers", "[pass][batchnorm]") {
  strata::clear_session();
  auto in = strata::Input({6, 6, 3});
  auto c = L::Conv2D(4, 1)(in);
  auto x = L::add({L::BatchNormalization()(c), c});
  strata::Model model(in, x);
  ir::Graph graph = ir::lower_layers(functional(model), {{1, 6, 6, 3}});
  const size_t before = graph.ops.size();
  ir::fold_batch_norm(graph);
  CHECK(graph.ops.size() == before);
  CHECK_FALSE(only_op_of<ir::ConvOp>(graph).kernel_scale);
}
