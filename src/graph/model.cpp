#include "strata/model.hpp"

#include <fmt/format.h>

#include <iostream>

#include "core/session.hpp"
#include "graph/functional.hpp"
#include "graph/summary.hpp"
#include "layers/input_layer.hpp"
#include "strata/layers/input_layer.hpp"
#include "runtime/compiled_model_impl.hpp"
#include "strata/error.hpp"

namespace strata {
namespace {}  // namespace

const detail::FunctionalImpl& Model::functional() const {
  if (!impl_) {
    throw ValueError(
        fmt::format("[Sequential \"{}\"] The model has no input shape yet, so no graph: call it on a "
                    "tensor, call build(shape), or start it with a layers::InputLayer",
                    unbuilt_name_));
  }
  return static_cast<const detail::FunctionalImpl&>(*impl_);
}

Model::Model(TensorList inputs, TensorList outputs, std::string name) {
  impl_ = std::make_shared<detail::FunctionalImpl>(inputs.tensors(), outputs.tensors(),
                                                   name.empty() ? detail::unique_name("functional") : name);
}

SymbolicTensor Model::operator()(const TensorList& inputs) const {
  const size_t n_outputs = functional().outputs().size();
  if (n_outputs != 1) {
    throw ValueError(fmt::format("[Model \"{}\"] The model has {} outputs; use call_all to get them all", impl_->name(),
                                 n_outputs));
  }
  return call_all(inputs).front();
}

std::vector<SymbolicTensor> Model::call_all(const TensorList& inputs) const {
  functional();
  return detail::call_layer(impl_, inputs.tensors());
}

const std::vector<SymbolicTensor>& Model::inputs() const {
  return functional().inputs();
}

const std::vector<SymbolicTensor>& Model::outputs() const {
  return functional().outputs();
}

std::vector<Layer> Model::layers() const {
  const detail::FunctionalImpl& model = functional();
  std::vector<Layer> layers;
  for (const auto& layer : model.layers()) {
    // Keras's Sequential.layers leaves out the InputLayer.
    if (model.is_sequential() && layer->class_name() == "InputLayer") continue;
    layers.emplace_back(layer);
  }
  return layers;
}

Layer Model::get_layer(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& layer : functional().layers()) {
    if (layer->name() == name) return Layer(layer);
    names.push_back(layer->name());
  }
  throw GraphError(fmt::format("[Model \"{}\"] No such layer: '{}'. Existing layers are: [{}]", impl_->name(), name,
                               fmt::join(names, ", ")));
}

void Model::summary(SummaryOptions options) const { std::cout << summary_string(options) << std::flush; }

std::string Model::summary_string(SummaryOptions options) const {
  return detail::render_summary(functional(), options);
}

int64_t Model::count_trainable_params() const {
  int64_t n = 0;
  for (const detail::Variable& v : functional().weights()) {
    if (v.trainable) n += v.size();
  }
  return n;
}

int64_t Model::multiply_accumulates() const {
  return detail::multiply_accumulates(functional());
}

CompiledModel Model::compile(CompileOptions options) const {
  auto model = std::static_pointer_cast<const detail::FunctionalImpl>(std::shared_ptr<const detail::LayerImpl>(impl_));
  functional();
  const bool release = options.release_weights;
  auto compiled = std::make_shared<detail::CompiledModelImpl>(model.get(), model, std::move(options));
  if (release) compiled->release_weights(static_cast<detail::FunctionalImpl&>(*impl_));
  return CompiledModel(compiled);
}

Tensor Model::predict(const Tensor& input, PredictOptions options) const {
  const size_t n_outputs = functional().outputs().size();
  if (n_outputs != 1) {
    throw ValueError(fmt::format("[predict] Model \"{}\" has {} outputs; call predict with a vector of inputs to get "
                                 "them all",
                                 impl_->name(), n_outputs));
  }
  return std::move(functional().default_compiled()->predict({&input}, options).front());
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& inputs, PredictOptions options) const {
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : inputs) pointers.push_back(&t);
  return functional().default_compiled()->predict(pointers, options);
}

}  // namespace strata

namespace strata {

Sequential::Sequential(std::vector<Layer> layers, std::string name)
    : name_(name.empty() ? detail::unique_name("sequential") : std::move(name)) {
  unbuilt_name_ = name_;
  for (const Layer& layer : layers) add(layer);
}

SymbolicTensor Sequential::operator()(const TensorList& inputs) {
  return call_all(inputs).front();
}

std::vector<SymbolicTensor> Sequential::call_all(const TensorList& inputs) {
  // Keras's deferred build: a Sequential without an input shape takes its first caller's.
  if (!impl_) {
    const std::vector<SymbolicTensor>& given = inputs.tensors();
    if (given.size() != 1 || !given.front()) {
      throw ValueError(
          fmt::format("[Sequential \"{}\"] Expected one input tensor to build the model from, "
                      "received {}",
                      name_, given.size()));
    }
    build_from(given.front().shape().without_batch().dims(), dtype_name(given.front().dtype()));
  }
  return Model::call_all(inputs);
}

void Sequential::add(const Layer& layer) {
  const std::string where = fmt::format("[Sequential \"{}\"]", name_);
  if (!layer) throw ValueError(where + " add: the Layer handle is empty");
  if (auto input = std::dynamic_pointer_cast<detail::InputLayer>(layer.impl())) {
    if (input_ || !layers_.empty()) {
      throw ValueError(fmt::format("{} An InputLayer must be the first layer, and there can be only one; received "
                                   "'{}' after {} layer(s)",
                                   where, layer.name(), layers_.size() + (input_ ? 1 : 0)));
    }
    input_ = layer;
    rebuild();
    return;
  }
  for (const Layer& existing : layers_) {
    if (existing == layer) throw ValueError(fmt::format("{} The layer '{}' is already in this model", where, layer.name()));
  }
  layers_.push_back(layer);
  try {
    rebuild();
  } catch (...) {
    layers_.pop_back();  // a layer that does not fit is not added
    throw;
  }
}

void Sequential::build(std::vector<Dim> input_shape) {
  build_from(std::move(input_shape), "float32");
}

void Sequential::build_from(std::vector<Dim> input_shape, const std::string& dtype) {
  if (input_) {
    throw ValueError(fmt::format("[Sequential \"{}\"] build: the model already has an input of shape {}", name_,
                                 input_.output().shape().to_string()));
  }
  input_ = Layer(Input(std::move(input_shape), InputOptions{.dtype = dtype}).node()->layer);
  try {
    rebuild();
  } catch (...) {
    input_ = Layer();
    throw;
  }
}

std::vector<Layer> Sequential::layers() const { return layers_; }

void Sequential::rebuild() {
  // Until the input is known the layers wait, as in Keras; then every add calls the new layer at once.
  if (!input_) return;
  SymbolicTensor x = detail::input_tensor(std::static_pointer_cast<detail::InputLayer>(input_.impl()));
  const SymbolicTensor input = x;
  if (impl_) {
    // Reuse the calls made so far; only the newest layer needs calling.
    const auto& model = functional();
    x = model.outputs().front();
    for (size_t i = model.layers().size() - 1; i < layers_.size(); ++i) {
      const std::vector<SymbolicTensor> out = detail::call_layer(layers_[i].impl(), {x});
      if (out.size() != 1) {
        throw ValueError(fmt::format("[Sequential \"{}\"] Layers of a Sequential model must have one output; '{}' has {}",
                                     name_, layers_[i].name(), out.size()));
      }
      x = out.front();
    }
  } else {
    for (const Layer& layer : layers_) x = detail::call_layer(layer.impl(), {x}).front();
  }
  impl_ = std::make_shared<detail::FunctionalImpl>(std::vector<SymbolicTensor>{input}, std::vector<SymbolicTensor>{x},
                                                   name_, "Sequential");
}

}  // namespace strata
