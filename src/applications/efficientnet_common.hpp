#pragma once
// The pieces keras.applications' two EfficientNet families (efficientnet.py, efficientnet_v2.py) build the
// same way, with the same names: their initializers, squeeze-and-excitation, the blocks' shortcut and the
// top.

#include <string>

#include "strata/applications/application_options.hpp"
#include "strata/initializers.hpp"
#include "strata/symbolic_tensor.hpp"

namespace strata::applications::detail {

/// Keras's CONV_KERNEL_INITIALIZER: VarianceScaling(2.0, "fan_out", "truncated_normal").
Initializer efficientnet_conv_initializer();

/// Keras's DENSE_KERNEL_INITIALIZER: VarianceScaling(1/3, "fan_out", "uniform").
Initializer efficientnet_dense_initializer();

/// Squeeze-and-excitation on `x` of `filters` channels: `se_squeeze` (global average pooling), `se_reshape`
/// to (1, 1, filters), `se_reduce` (1x1 to `filters_se`, swish), `se_expand` (1x1 back, sigmoid) and the
/// gate's product `se_excite`, each name after the block's `prefix`.
SymbolicTensor squeeze_excite(const SymbolicTensor& x, int filters, int filters_se,
                              const std::string& prefix);

/// A block's identity shortcut: `x` behind a per-sample dropout `drop` of `drop_rate` (inactive at inference;
/// left out at 0, as Keras does), added to `inputs` as `add`, each name after the block's `prefix`.
SymbolicTensor shortcut(const SymbolicTensor& x, const SymbolicTensor& inputs, double drop_rate,
                        const std::string& prefix);

/// `top_conv` (1x1 to `filters`, no bias), `top_bn`, `top_activation` (swish), then with the top `avg_pool`,
/// `top_dropout` of `dropout` (left out at 0) and `predictions` (its bias initializer as the family's Keras
/// source writes it), or without it the feature pooling (`avg_pool` or `max_pool`).
SymbolicTensor efficientnet_top(const SymbolicTensor& x, int filters, float dropout, float bn_momentum,
                                const Initializer& bias_initializer, const ApplicationOptions& options);

}  // namespace strata::applications::detail
