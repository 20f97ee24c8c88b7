#include <cmath>

#include "core/derived_cache.hpp"

#include "compiler/passes/passes.hpp"

namespace strata::ir {
namespace {

void compute_fold(std::shared_ptr<const Tensor>& kernel, std::shared_ptr<const Tensor>& bias, const BatchNormOp& bn) {
  const int64_t channels = kernel->dims().back();
  std::vector<double> scale(channels), shift(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double gamma = bn.gamma ? bn.gamma->data()[c] : 1.0;
    const double beta = bn.beta ? bn.beta->data()[c] : 0.0;
    scale[c] = gamma / std::sqrt(static_cast<double>(bn.variance->data()[c]) + bn.epsilon);
    const double b = bias ? bias->data()[c] : 0.0;
    shift[c] = (b - bn.mean->data()[c]) * scale[c] + beta;
  }
  std::vector<float> k(kernel->values());
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<float>(k[i] * scale[i % channels]);
  std::vector<float> b(channels);
  for (int64_t c = 0; c < channels; ++c) b[c] = static_cast<float>(shift[c]);
  kernel = std::make_shared<const Tensor>(kernel->dims(), std::move(k));
  bias = std::make_shared<const Tensor>(std::vector<int64_t>{channels}, std::move(b));
}

struct Folded {
  std::shared_ptr<const Tensor> kernel, bias;
};

// Every plan of a model (one per input shape) folds the same weights; they share one folded copy.
detail::DerivedCache<Folded, float>& fold_cache() {
  static detail::DerivedCache<Folded, float> cache;
  return cache;
}

// Scales the last axis (output channels of an HWIO conv kernel and of an (in, out) dense kernel) by `s`
// and computes the folded bias.
void fold_into(std::shared_ptr<const Tensor>& kernel, std::shared_ptr<const Tensor>& bias, const BatchNormOp& bn) {
  const std::shared_ptr<Folded> folded =
      fold_cache().get({kernel, bias, bn.gamma, bn.beta, bn.mean, bn.variance}, bn.epsilon, [&] {
        auto f = std::make_shared<Folded>(Folded{kernel, bias});
        compute_fold(f->kernel, f->bias, bn);
        return f;
      });
  // Aliasing pointers: whoever holds the folded tensors keeps the cache entry alive with them.
  kernel = std::shared_ptr<const Tensor>(folded, folded->kernel.get());
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
    if (auto* conv = std::get_if<Conv2DOp>(&producer.attrs)) {
      fold_into(conv->kernel, conv->bias, *bn);
    } else if (auto* dense = std::get_if<DenseOp>(&producer.attrs)) {
      fold_into(dense->kernel, dense->bias, *bn);
    } else {
      continue;
    }
    producer.output = graph.ops[i].output;
    for (const std::string& layer : graph.ops[i].layers) producer.layers.push_back(layer);
    graph.ops.erase(graph.ops.begin() + static_cast<long>(i));
    --i;
  }
}

}  // namespace strata::ir
