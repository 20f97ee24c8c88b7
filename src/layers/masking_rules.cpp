// Which Keras classes pass a mask on and which take one in their call, as Keras 3 decides it
// (keras/src/layers/layer.py: `supports_masking`, set by the classes below or by overriding compute_mask;
// the `mask` argument filled in from the inputs before `call`). One table here rather than a flag in each
// layer, so that it reads against Keras's list.

#include <algorithm>
#include <array>
#include <string_view>

#include "graph/node.hpp"
#include "layers/layer_impl.hpp"

namespace strata::detail {
namespace {

// `self.supports_masking = True` with the default compute_mask (return the previous mask). Layers with a
// compute_mask of their own (Embedding, Masking, the merges, the attention layers) override
// LayerImpl::compute_masks instead. The recurrent layers, Bidirectional and TimeDistributed set it to false
// (Keras commit a8b52ca, July 2026), so their outputs carry no mask.
constexpr std::array<std::string_view, 22> kPassesMask = {
    "Activation",
    "ELU",
    "LeakyReLU",
    "PReLU",
    "ReLU",
    "Softmax",
    "Dense",
    "Identity",
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "UnitNormalization",
    "Normalization",
    "Rescaling",
    "ActivityRegularization",
    "AlphaDropout",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout3D",
};

// `call(..., mask=None)`: the layers that receive the mask, whether or not they use it at inference
// (BatchNormalization uses it only for training statistics). A model config records it as the keyword
// `mask`. The attention layers take theirs as their own arguments (query_mask, value_mask...).
constexpr std::array<std::string_view, 8> kTakesMask = {
    "SimpleRNN",
    "GRU",
    "LSTM",
    "Bidirectional",
    "TimeDistributed",
    "GlobalAveragePooling1D",
    "Softmax",
    "BatchNormalization",
};

bool listed(std::string_view name, const auto& list) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

bool LayerImpl::supports_masking() const {
  return listed(class_name(), kPassesMask);
}

bool LayerImpl::takes_mask() const {
  return listed(class_name(), kTakesMask);
}

SymbolicTensor previous_mask(const Node& node) {
  if (node.mask_input) return node.inputs.back();
  return node.inputs.empty() ? SymbolicTensor() : node.inputs.front().mask();
}

std::vector<SymbolicTensor> LayerImpl::compute_masks(const Node& node) const {
  if (!supports_masking()) return {};
  return {previous_mask(node)};
}

}  // namespace strata::detail
