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

namespace detail {
class FunctionalImpl;
}

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

/// Options of `Model::summary`, Keras's `summary()` arguments plus strata's cost columns.
struct SummaryOptions {
  /// Total width of the table; 0 means Keras's default: 88, or 108 with the `Connected to` column (+12 with
  /// `show_trainable`), capped at the terminal's width minus 4 as Keras caps it: the `COLUMNS` environment
  /// variable when set, else the terminal on standard output, else 80 columns. So in a pipe, a file or a CI
  /// log the table is 76 columns wide, cells wrapped and truncated with `…`, as Keras prints it there.
  int line_length = 0;
  /// Also list the layers of nested models, indented under the model's row, as Keras's `expand_nested`.
  bool expand_nested = false;
  /// Add Keras's `Trainable` column (Y, N, or - for layers without weights).
  bool show_trainable = false;
  /// strata's extra: add each layer's multiply-accumulates and output activation bytes per sample, and
  /// their totals after the parameter counts. Unknown spatial sizes count as 0.
  bool show_costs = false;
};

/// Options of `Model::load_weights`, as Keras's `load_weights(filepath, skip_mismatch, by_name)`.
struct LoadWeightsOptions {
  /// Legacy (Keras 2) files only: match layers by name instead of by order; layers missing from the file
  /// keep their weights.
  bool by_name = false;
  /// Skip what does not fit instead of failing, as Keras: in a Keras 3 file a layer whose variables differ in
  /// count, shape or dtype (the layer keeps all its weights); in a legacy file a weight of another shape or
  /// dtype, and with `by_name` also a layer with another weight count. A legacy file with another count of
  /// layers with weights, read in order, is an error even so (as in Keras).
  bool skip_mismatch = false;
};

/// What `Model::load_weights` did: every variable it assigned and every mismatch it skipped.
struct LoadWeightsReport {
  /// The variables assigned, as `layer/variable` (`conv2d/kernel`), in the order they were read.
  std::vector<std::string> loaded;
  /// With `skip_mismatch`: one message per skipped weight or layer, naming it, what the model expected and
  /// what the file has (the same text as the warning printed to standard error).
  std::vector<std::string> skipped;
};

/// A functional model, as `keras.Model(inputs, outputs, name)`. Layers are listed in Keras's order.
class Model : public Layer {
 public:
  /// Builds the model from its inputs (tensors made by `strata::Input`) and outputs. Throws GraphError
  /// when there are no inputs or outputs, when an output needs an input not given ("Graph disconnected"),
  /// when two layers share a name, or when an input is not made by `strata::Input`.
  Model(TensorList inputs, TensorList outputs, std::string name = "");

  /// Calls the model as a layer on new tensors (Keras's nesting): the graph inside is shared, weights
  /// included, and the compiler inlines it. Throws ValueError for a wrong number of inputs or for a model
  /// with several outputs (use `call_all`), ShapeError for incompatible shapes.
  SymbolicTensor operator()(const TensorList& inputs) const;
  /// Calls the model as a layer and returns all of its outputs.
  std::vector<SymbolicTensor> call_all(const TensorList& inputs) const;

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
  /// The number of trainable weights' scalars (weights of layers whose `trainable` flag is off, and
  /// BatchNormalization's moving statistics, are non-trainable).
  int64_t count_trainable_params() const;
  /// Multiply-accumulates of one sample's forward pass, from each layer's own count (convolutions,
  /// depthwise and separable convolutions, dense layers, custom layers' `macs`): the total that
  /// `summary({.show_costs = true})` prints. Layers with an unknown input dimension count 0.
  int64_t multiply_accumulates() const;

  /// Loads weights from a Keras 3 `.weights.h5` file, a Keras 3 `.keras` archive (its `model.weights.h5`), or
  /// a legacy Keras 2 HDF5 weights or full-model file (told apart by content). Keras 3 files are matched by
  /// the class-name paths Keras writes (`layers/conv2d_1/vars/0`, in `layers()` order); legacy files in order
  /// of the layers with weights, or by name. Throws FileError for a missing, non-HDF5, truncated or
  /// mismatched file, naming the layer, the variable and both shapes; on any error no weight of the model
  /// changes. A file from which nothing at all would be assigned to a model that has weights (say `by_name`
  /// with no layer name in common, or every weight skipped) is a FileError too. Returns what was loaded and
  /// skipped.
  LoadWeightsReport load_weights(const std::string& path, LoadWeightsOptions options = {}) const;
  /// Saves the weights in Keras 3's `.weights.h5` format. Throws FileError when the file cannot be written.
  void save_weights(const std::string& path) const;
  /// Keras's `model.save("m.keras")`: a Keras 3 archive (a zip, entries stored) of `config.json` (the model
  /// as `to_json` writes it), `metadata.json` and `model.weights.h5` (as `save_weights` writes it), which
  /// `strata::load_model` and Keras 3's `keras.saving.load_model` read. libzip writes it under a temporary
  /// name and renames it, so a failure leaves no half-written file. Throws FileError when it cannot be
  /// written. `keras.ops` calls are written as Keras 3 writes its Operations (module keras.src.ops.*).
  void save(const std::string& path) const;
  /// Keras's `model.to_json()` in Keras 3's form: modules and registered names on every entry, inbound
  /// nodes as `args`/`kwargs` with `__keras_tensor__` objects (an op's numbers among the args).
  /// `strata::model_from_json` reads it back.
  std::string to_json() const;

  /// Compiles the model. Throws ValueError for an unknown backend or precision, or a negative thread count.
  CompiledModel compile(CompileOptions options = {}) const;
  /// Runs a forward pass, compiling with default options on first use (plans are cached per input shape).
  /// Errors as `CompiledModel::predict`.
  Tensor predict(const Tensor& input, PredictOptions options = {}) const;
  /// Runs a forward pass with one tensor per input; returns one tensor per output.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs, PredictOptions options = {}) const;

 protected:
  /// For Sequential, which sets its graph once it knows its input.
  Model() = default;
  /// The graph; a ValueError naming the model when a Sequential has no input shape yet.
  const detail::FunctionalImpl& functional() const;
  /// A Sequential's name, for messages while it has no graph.
  std::string unbuilt_name_;
};

/// Keras's `Sequential`: a stack of single-input, single-output layers. Give the input shape with a
/// `layers::InputLayer` first (or call `build`); each `add` then calls the layer at once, so shapes and
/// errors appear as in Keras. It is a Model in every other respect (summary, predict, compile, nesting).
class Sequential : public Model {
 public:
  /// A model from `layers`, in order; the first may be a `layers::InputLayer`. Errors as `add`.
  explicit Sequential(std::vector<Layer> layers = {}, std::string name = "");
  /// Appends a layer. Throws ValueError for a second InputLayer, a Model with several inputs or outputs, or a
  /// layer already in this model; ShapeError (and nothing added) when the layer does not fit the output so far.
  void add(const Layer& layer);
  /// Sets the input shape (without the batch) when no InputLayer was given, and calls the layers added so
  /// far. Throws ValueError if the model already has an input.
  void build(std::vector<Dim> input_shape);
  /// The layers, InputLayer excluded, in order (Keras's `Sequential.layers`).
  std::vector<Layer> layers() const;
  /// Calls the model as a layer. A model without an input shape yet is built first from the input's shape
  /// and dtype (Keras's deferred build), so `Sequential({L::Dense(8), L::Dense(2)})(x)` works inside a
  /// functional model. Copies of the handle made before that build stay unbuilt. Throws as
  /// `Model::operator()`, and ValueError for anything but one input when building.
  SymbolicTensor operator()(const TensorList& inputs);
  /// `operator()` returning every output (a Sequential has one).
  std::vector<SymbolicTensor> call_all(const TensorList& inputs);
  using Model::call_all;
  using Model::operator();

 private:
  void rebuild();
  void build_from(std::vector<Dim> input_shape, const std::string& dtype);
  std::string name_;
  Layer input_;
  std::vector<Layer> layers_;
};

}  // namespace strata
