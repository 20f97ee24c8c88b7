#pragma once
/// @file model.hpp
/// `strata::Model`, Keras's functional model: a graph from input tensors to output tensors.

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "strata/compile_options.hpp"
#include "strata/compiled_model.hpp"
#include "strata/layer.hpp"

namespace strata {

/// One symbolic tensor or several: what `Model` takes as its inputs and outputs.
class TensorList {
 public:
  /// A single tensor.
  TensorList(const SymbolicTensor& tensor) : tensors_{tensor} {}
  /// Several tensors, in order.
  TensorList(std::vector<SymbolicTensor> tensors) : tensors_(std::move(tensors)) {}
  /// Several tensors, in order: `{a, b}`.
  TensorList(std::initializer_list<SymbolicTensor> tensors) : tensors_(tensors) {}
  /// The tensors.
  const std::vector<SymbolicTensor>& tensors() const { return tensors_; }

 private:
  std::vector<SymbolicTensor> tensors_;
};

/// Options of `Model::summary`.
struct SummaryOptions {
  /// Total width of the table; 0 means Keras's default (88, or 108 with the `Connected to` column).
  int line_length = 0;
};

/// A functional model, as `keras.Model(inputs, outputs, name)`. Layers are listed in Keras's order.
class Model : public Layer {
 public:
  /// Builds the model from its inputs (tensors made by `strata::Input`) and outputs. Throws GraphError
  /// when there are no inputs or outputs, when an output needs an input not given ("Graph disconnected"),
  /// when two layers share a name, or when an input is not made by `strata::Input`.
  Model(TensorList inputs, TensorList outputs, std::string name = "");

  /// The model's input tensors.
  const std::vector<SymbolicTensor>& inputs() const;
  /// The model's output tensors.
  const std::vector<SymbolicTensor>& outputs() const;
  /// The layers in Keras's order (inputs first, then by depth from the outputs).
  std::vector<Layer> layers() const;
  /// The layer called `name`. Throws GraphError listing the model's layer names when there is none.
  Layer get_layer(const std::string& name) const;
  /// Prints the Keras-style summary table to stdout.
  void summary(SummaryOptions options = {}) const;
  /// The Keras-style summary table as text.
  std::string summary_string(SummaryOptions options = {}) const;
  /// The number of trainable weights' scalars.
  int64_t count_trainable_params() const;

  /// Compiles the model. Throws ValueError for an unknown backend or precision, or a negative thread count.
  CompiledModel compile(CompileOptions options = {}) const;
  /// Runs a forward pass, compiling with default options on first use (plans are cached per input shape).
  /// Errors as `CompiledModel::predict`.
  Tensor predict(const Tensor& input, PredictOptions options = {}) const;
  /// Runs a forward pass with one tensor per input; returns one tensor per output.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs, PredictOptions options = {}) const;
};

}  // namespace strata
