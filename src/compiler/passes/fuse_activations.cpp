#include <algorithm>
#include <limits>

#include "compiler/passes/passes.hpp"
#include "core/overloaded.hpp"

namespace strata::ir {
namespace {

// The ops whose oneDNN primitive takes an eltwise post-op chain. Every kind answers: a new one must decide.
bool takes_post_ops(const Op& op) {
  auto yes = [](const auto&) { return true; };
  auto no = [](const auto&) { return false; };
  return std::visit(detail::Overloaded{
                        [&](const ConvOp& c) { return yes(c); },
                        // oneDNN 2.6's deconvolution applies post-ops in a loop of its own after the
                        // convolution kernel: measured (AVX2, 1 thread) a 4x4 stride-2 128->128 layer at
                        // 14x14 took 5.7 ms with a leaky_relu post-op and 2.0 ms without, while the
                        // separate eltwise step costs about 0.1 ms. The activation stays its own step.
                        [&](const TransposedConvOp& t) { return no(t); },
                        [&](const DenseOp& d) { return yes(d); },
                        [&](const BinaryOp& b) { return yes(b); },
                        [&](const ElementwiseOp& e) { return no(e); },  // a plain C++ step of any type
                        [&](const GatherOp& g) { return no(g); },
                        [&](const OneHotOp& o) { return no(o); },
                        [&](const ConstantOp& c) { return no(c); },
                        [&](const RecurrentOp& r) { return no(r); },  // several outputs
                        [&](const PoolOp& p) { return no(p); },
                        [&](const ActivationOp& a) { return no(a); },
                        [&](const SoftmaxOp& s) { return no(s); },
                        // Only a plain relu (batch_norm_takes below), as oneDNN's fuse_norm_relu flag.
                        [&](const BatchNormOp& b) { return yes(b); },
                        [&](const LayerNormOp& l) { return no(l); },
                        [&](const PReluOp& p) { return no(p); },
                        [&](const MatMulOp& m) { return yes(m); },
                        [&](const PadOp& p) { return no(p); },
                        [&](const CropOp& c) { return no(c); },
                        [&](const UpsampleOp& u) { return no(u); },
                        [&](const ResizeOp& r) { return no(r); },
                        [&](const ReshapeOp& r) { return no(r); },
                        [&](const ConcatOp& c) { return no(c); },
                        [&](const ReduceOp& r) { return no(r); },
                        [&](const TransposeOp& t) { return no(t); },
                        [&](const CustomOp& c) { return no(c); },
                        [&](const ConvertOp& c) { return no(c); },
                    },
                    op.attrs);
}

// oneDNN's batch normalization takes no post-ops, but its fuse_norm_relu flag applies a plain relu (slope
// 0, no cap, no threshold) in the same pass: the pre-activation batch norms of DenseNet's blocks and of
// ResNet V2's, which read a concatenation or a sum and so cannot fold into a convolution, save a step.
bool batch_norm_takes(const std::vector<PostOp>& chain) {
  if (chain.size() != 1 || chain[0].kind != PostOp::Kind::kActivation) return false;
  const detail::Activation& a = chain[0].activation;
  return a.kind == detail::ActivationKind::kRelu && a.alpha == 0.0f && a.threshold == 0.0f &&
         a.max_value == std::numeric_limits<float>::infinity();
}

// `second` applied after `first`, both x * alpha + beta, as one step: oneDNN runs one linear post-op per
// chain, and `x * scale + offset` (a rescaling written with ops) is two. One rounding fewer than two steps.
bool absorb_affine(detail::Activation& first, const detail::Activation& second) {
  if (first.kind != detail::ActivationKind::kAffine || second.kind != detail::ActivationKind::kAffine)
    return false;
  first.beta = second.alpha * first.beta + second.beta;
  first.alpha = second.alpha * first.alpha;
  return true;
}

}  // namespace

void fuse_activations(Graph& graph, const PostOpCheck& accepts) {
  bool changed = true;
  while (changed) {
    changed = false;
    const std::vector<std::vector<int>> readers = graph.readers();
    const std::vector<int> producers = graph.producers();
    for (size_t i = 0; i < graph.ops.size(); ++i) {
      Op& act = graph.ops[i];
      const auto* a = std::get_if<ActivationOp>(&act.attrs);
      if (a == nullptr) continue;
      if (!detail::is_standard_eltwise(a->activation)) continue;
      const ValueId src = act.inputs[0];
      const int p = producers[src];
      // Convolutions, dense layers and binary ops take post-ops; their result must have no other use, since
      // after fusion it no longer exists on its own.
      if (p < 0) continue;
      if (readers[src].size() != 1 || graph.is_output(src)) continue;
      auto* before = std::get_if<ActivationOp>(&graph.ops[p].attrs);
      const bool merges = before != nullptr && graph.ops[p].post_ops.empty() &&
                          before->activation.kind == detail::ActivationKind::kAffine &&
                          a->activation.kind == detail::ActivationKind::kAffine;
      if (!merges && !takes_post_ops(graph.ops[p])) continue;
      Op& conv = graph.ops[p];
      std::vector<PostOp> chain = conv.post_ops;
      if (merges) {
        absorb_affine(before->activation, a->activation);
      } else if (chain.empty() || chain.back().kind != PostOp::Kind::kActivation ||
                 !absorb_affine(chain.back().activation, a->activation)) {
        chain.push_back(PostOp{PostOp::Kind::kActivation, a->activation, -1, nullptr});
      }
      if (!accepts(chain)) continue;
      if (std::holds_alternative<BatchNormOp>(conv.attrs) && !batch_norm_takes(chain)) continue;
      conv.post_ops = std::move(chain);
      // An in-place conv keeps writing into its target buffer under the new value.
      graph.values[act.output()].in_place_of = graph.values[src].in_place_of;
      conv.outputs = act.outputs;
      for (const std::string& layer : act.layers) {
        if (std::find(conv.layers.begin(), conv.layers.end(), layer) == conv.layers.end()) conv.layers.push_back(layer);
      }
      graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
      changed = true;
      break;
    }
  }
}

}  // namespace strata::ir
