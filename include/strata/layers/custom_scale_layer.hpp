#pragma once
/// @file custom_scale_layer.hpp
/// `strata::layers::CustomScaleLayer`, the scaled residual sum of Keras's InceptionResNetV2.

#include <vector>

#include "strata/layer.hpp"

namespace strata::layers {

/// `inputs[0] + inputs[1] * scale`, as the `CustomScaleLayer(scale)` that keras.applications'
/// InceptionResNetV2 defines (keras.src.applications.inception_resnet_v2) for its residual blocks: the
/// block's input plus its scaled branch. No weights. The scale folds into the convolution that computes the
/// branch (its kernel and bias take the factor), and the sum becomes that convolution's sum post-op, so a
/// block ends in one oneDNN step. Saved as Keras writes it, so Keras loads the files strata saves.
class CustomScaleLayer : public Layer {
 public:
  /// Creates the layer. Throws ValueError for a scale that is NaN, infinite or beyond float32's range.
  explicit CustomScaleLayer(double scale, LayerOptions options = {});
  /// Calls the layer on `{x, branch}`. Throws ValueError unless there are exactly two inputs, ShapeError
  /// when their shapes differ (Keras would broadcast them; strata takes the shapes its blocks have).
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& inputs) const;
};

}  // namespace strata::layers
