#include <cmath>

#include "core/derived_cache.hpp"

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

// What a fold adds to a kernel: per output channel, the factor its weights take and the new bias.
struct Folded {
  std::shared_ptr<const Tensor> scale, bias;
  // The scale and bias this fold started from. Held so that a chain of folds (a batch norm after a batch
  // norm) stays in the cache as long as its last link: otherwise the first link dies once the second
  // replaces it, and the next plan, finding no match, would fold and reorder the kernel again.
  std::shared_ptr<const Tensor> previous_scale, previous_bias;
};

// Depends only on the bias, any scale folded before, and the batch norm: never on the kernel, so the fold
// costs a few floats per channel however large the kernel is.
Folded compute_fold(const std::shared_ptr<const Tensor>& old_scale, const std::shared_ptr<const Tensor>& bias,
                    const BatchNormOp& bn, int64_t channels) {
  std::vector<float> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double gamma = bn.gamma ? bn.gamma->data()[c] : 1.0;
    const double beta = bn.beta ? bn.beta->data()[c] : 0.0;
    const double s = gamma / std::sqrt(static_cast<double>(bn.variance->data()[c]) + bn.epsilon);
    const double b = bias ? bias->data()[c] : 0.0;
    scale[c] = static_cast<float>(s * (old_scale ? old_scale->data()[c] : 1.0));
    shift[c] = static_cast<float>((b - bn.mean->data()[c]) * s + beta);
  }
  return {std::make_shared<const Tensor>(std::vector<int64_t>{channels}, std::move(scale)),
          std::make_shared<const Tensor>(std::vector<int64_t>{channels}, std::move(shift)), nullptr, nullptr};
}

// Every plan of a model (one per input shape) folds the same weights; they share one scale and bias, and so
// (the oneDNN backend keys its reordered weights on the kernel and the scale) one reordered kernel.
detail::DerivedCache<Folded, float>& fold_cache() {
  static detail::DerivedCache<Folded, float> cache;
  return cache;
}

// Folds into the last axis: the output channels of an HWIO conv kernel and of an (in, out) dense kernel.
void fold_into(const std::shared_ptr<const Tensor>& kernel, std::shared_ptr<const Tensor>& scale,
               std::shared_ptr<const Tensor>& bias, const BatchNormOp& bn) {
  const std::shared_ptr<Folded> folded =
      fold_cache().get({scale, bias, bn.gamma, bn.beta, bn.mean, bn.variance}, bn.epsilon, [&] {
        auto made = std::make_shared<Folded>(compute_fold(scale, bias, bn, kernel->dims().back()));
        made->previous_scale = scale;
        made->previous_bias = bias;
        return made;
      });
  // Aliasing pointers: whoever holds the folded tensors keeps the cache entry alive with them.
  scale = std::shared_ptr<const Tensor>(folded, folded->scale.get());
  bias = std::shared_ptr<const Tensor>(folded, folded->bias.get());
}

}  // namespace

void fold_batch_norm(Graph& graph) {
  for (size_t i = 0; i < graph.ops.size(); ++i) {
    const auto* bn = std::get_if<BatchNormOp>(&graph.ops[i].attrs);
    if (bn == nullptr) continue;
    const ValueId src = graph.ops[i].inputs[0];
    const std::vector<int> producers = graph.producers();
    const std::vector<std::vector<int>> readers = graph.readers();
    const int p = producers[src];
    if (p < 0 || readers[src].size() != 1 || graph.is_output(src) || !graph.ops[p].post_ops.empty()) continue;
    Op& producer = graph.ops[p];
    if (auto* conv = std::get_if<ConvOp>(&producer.attrs)) {
      fold_into(conv->kernel, conv->kernel_scale, conv->bias, *bn);
    } else if (auto* dense = std::get_if<DenseOp>(&producer.attrs)) {
      fold_into(dense->kernel, dense->kernel_scale, dense->bias, *bn);
    } else {
      continue;
    }
    producer.outputs = graph.ops[i].outputs;
    for (const std::string& layer : graph.ops[i].layers) producer.layers.push_back(layer);
    graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
    --i;
  }
}

}  // namespace strata::ir
