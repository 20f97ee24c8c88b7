#include <array>

#include "compiler/passes/passes.hpp"
#include "core/derived_cache.hpp"

namespace strata::ir {
namespace {

// The convolution kernel of a stride-1 transposed convolution: Keras's (spatial..., out, in) with every
// spatial axis reversed and the channel axes swapped, (spatial..., in, out) as ConvOp takes it.
std::shared_ptr<const Tensor> flip_kernel(const Tensor& kernel) {
  const std::vector<int64_t>& dims = kernel.dims();
  const size_t spatial = dims.size() - 2;
  const int64_t out = dims[spatial], in = dims[spatial + 1];
  std::vector<int64_t> size(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(spatial));
  std::vector<int64_t> padded(3 - spatial, 1);
  padded.insert(padded.end(), size.begin(), size.end());  // (KD, KH, KW), unit axes in front
  std::vector<int64_t> flipped_dims = size;
  flipped_dims.push_back(in);
  flipped_dims.push_back(out);
  std::vector<float> values(static_cast<size_t>(kernel.size()));
  const float* src = kernel.data();
  for (int64_t d = 0; d < padded[0]; ++d)
    for (int64_t h = 0; h < padded[1]; ++h)
      for (int64_t w = 0; w < padded[2]; ++w) {
        const int64_t from = (d * padded[1] + h) * padded[2] + w;
        const int64_t to =
            ((padded[0] - 1 - d) * padded[1] + (padded[1] - 1 - h)) * padded[2] + (padded[2] - 1 - w);
        for (int64_t o = 0; o < out; ++o)
          for (int64_t i = 0; i < in; ++i)
            values[static_cast<size_t>((to * in + i) * out + o)] = src[(from * out + o) * in + i];
      }
  return std::make_shared<const Tensor>(std::move(flipped_dims), std::move(values));
}

// Every plan of a model flips the same kernel; they share one flipped copy (and so, keyed on it, one
// reordered copy in the oneDNN backend) while any plan holds it.
detail::DerivedCache<const Tensor, int>& flip_cache() {
  static detail::DerivedCache<const Tensor, int> cache;
  return cache;
}

}  // namespace

void transposed_as_conv(Graph& graph) {
  for (Op& op : graph.ops) {
    const auto* t = std::get_if<TransposedConvOp>(&op.attrs);
    if (t == nullptr) continue;
    bool unit_strides = true;
    for (int s : t->window.strides) unit_strides = unit_strides && s == 1;
    if (!unit_strides) continue;
    // out[j] = sum_k x[j + before - k*d] w[k]; with k' = K-1-k that is a convolution reading x at
    // j - (d*(K-1) - before) + k'*d: padding d*(K-1) - before in front and d*(K-1) - after behind.
    ConvOp conv;
    conv.window = t->window;
    for (int a = 0; a < conv.window.rank(); ++a) {
      const int reach = conv.window.dilations[a] * (conv.window.size[a] - 1);
      conv.window.padding.before[a] = reach - t->window.padding.before[a];
      conv.window.padding.after[a] = reach - t->window.padding.after[a];
    }
    const std::shared_ptr<const Tensor> kernel = t->kernel;
    conv.kernel = flip_cache().get({kernel}, 0, [&] { return flip_kernel(*kernel); });
    conv.bias = t->bias;
    op.attrs = std::move(conv);
  }
}

}  // namespace strata::ir
