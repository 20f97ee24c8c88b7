#pragma once
/// @file einsum_dense.hpp
/// `strata::layers::EinsumDense`, Keras's dense layer over any axes, written as an einsum equation.

#include <string>
#include <utility>
#include <vector>

#include "strata/initializers.hpp"
#include "strata/layer.hpp"
#include "strata/shape.hpp"

namespace strata::layers {

/// Keras `EinsumDense` keyword arguments after `equation` and `output_shape`, in Keras's order.
struct EinsumDenseOptions {
  /// Activation applied after the bias, by Keras name; "linear" is Keras's None.
  std::string activation = "linear";
  /// The output axes (letters of the equation's output) that have a bias; empty means no bias.
  std::string bias_axes = "";
  /// Kernel initializer name; a variance-scaling one takes its fans from the kernel's input and output axes.
  Initializer kernel_initializer = "glorot_uniform";
  /// Bias initializer name.
  Initializer bias_initializer = "zeros";
  /// The layer's name; empty means the default (`einsum_dense`, ...).
  std::string name = "";

  // Chainable setters, one per member, for arguments in any order (designated initializers must
  // follow declaration order): `EinsumDenseOptions{}.set_name(...).set_activation(...)`.
  /// Sets `activation`; returns this struct for chaining.
  EinsumDenseOptions& set_activation(std::string value) {
    activation = std::move(value);
    return *this;
  }
  /// Sets `bias_axes`; returns this struct for chaining.
  EinsumDenseOptions& set_bias_axes(std::string value) {
    bias_axes = std::move(value);
    return *this;
  }
  /// Sets `kernel_initializer`; returns this struct for chaining.
  EinsumDenseOptions& set_kernel_initializer(Initializer value) {
    kernel_initializer = std::move(value);
    return *this;
  }
  /// Sets `bias_initializer`; returns this struct for chaining.
  EinsumDenseOptions& set_bias_initializer(Initializer value) {
    bias_initializer = std::move(value);
    return *this;
  }
  /// Sets `name`; returns this struct for chaining.
  EinsumDenseOptions& set_name(std::string value) {
    name = std::move(value);
    return *this;
  }
};

/// Keras's `EinsumDense(equation, output_shape)`: `einsum(equation, input, kernel) + bias`, then the
/// activation. The equation is `input,kernel->output` in letters, optionally with `...` before the input's
/// and output's letters (or after them) for the axes it does not name: `"abc,cde->abde"` projects (batch, T,
/// c) to (batch, T, d, e); `"...b,bc->...c"` is a Dense. `output_shape` is the output's shape without the
/// batch (and without the axes `...` stands for), None where the input gives the size: `{None, 4, 16}`. Each
/// kernel axis must be an input axis the product sums over, or an output axis of its own; each input axis an
/// output axis or a summed one; the batch stays first. Weights: `kernel` (the kernel's letters' sizes),
/// `bias` (Keras's shape: the output's letters from the first bias axis on, 1 where not a bias axis).
/// Compiles to free reshapes, oneDNN reorders where axes move, and one oneDNN inner product (the bias fused
/// when it lies along the kernel's output axes).
class EinsumDense : public Layer {
 public:
  /// Creates the layer. Throws ValueError for an equation not of Keras's three forms, repeated letters, or
  /// an unknown activation or initializer.
  EinsumDense(std::string equation, std::vector<Dim> output_shape, EinsumDenseOptions options = {});
  /// One output size: `EinsumDense("ab,bc->ac", 64)`.
  EinsumDense(std::string equation, int64_t output_shape, EinsumDenseOptions options = {});
  /// Calls the layer. Throws ShapeError for an input whose rank the equation does not fit, sizes that
  /// differ from the output_shape or the first call's, and a kernel axis whose size is unknown;
  /// ValueError for an equation strata's lowering does not take (see the class comment) or an integer
  /// input.
  SymbolicTensor operator()(const SymbolicTensor& input) const;
};

}  // namespace strata::layers
