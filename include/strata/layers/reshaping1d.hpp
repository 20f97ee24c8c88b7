#pragma once
/// @file reshaping1d.hpp
/// `strata::layers::ZeroPadding1D`, `Cropping1D` and `UpSampling1D`: Keras's layers that pad, crop or repeat
/// the steps of a `(batch, steps, features)` input.

#include "strata/layer.hpp"

namespace strata::layers {

/// Adds zero steps at the start and end of a sequence, as `keras.layers.ZeroPadding1D(padding)`.
class ZeroPadding1D : public Layer {
 public:
  /// `padding`: an int (both ends) or `{before, after}`. Throws ValueError for a negative margin.
  explicit ZeroPadding1D(Margins1D padding = 1, LayerOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError for another rank.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Removes steps at the start and end of a sequence, as `keras.layers.Cropping1D(cropping)`.
class Cropping1D : public Layer {
 public:
  /// `cropping`: an int (both ends) or `{before, after}`; Keras's default is `{1, 1}`. Throws ValueError for
  /// a negative margin.
  explicit Cropping1D(Margins1D cropping = 1, LayerOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError for another rank or when no step would remain.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

/// Repeats each step `size` times, as `keras.layers.UpSampling1D(size)`.
class UpSampling1D : public Layer {
 public:
  /// Throws ValueError for a size of zero or less.
  explicit UpSampling1D(int size = 2, LayerOptions options = {});
  /// Calls the layer on a rank-3 input. Throws ShapeError for another rank.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
