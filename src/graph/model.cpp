#include "strata/model.hpp"

#include <fmt/format.h>

#include <iostream>

#include "core/session.hpp"
#include "graph/functional.hpp"
#include "graph/summary.hpp"
#include "runtime/compiled_model_impl.hpp"
#include "strata/error.hpp"

namespace strata {
namespace {

const detail::FunctionalImpl& functional(const std::shared_ptr<detail::LayerImpl>& impl) {
  if (!impl) throw ValueError("[Model] This Model handle is empty");
  return static_cast<const detail::FunctionalImpl&>(*impl);
}

}  // namespace

Model::Model(TensorList inputs, TensorList outputs, std::string name) {
  impl_ = std::make_shared<detail::FunctionalImpl>(inputs.tensors(), outputs.tensors(),
                                                   name.empty() ? detail::unique_name("functional") : name);
}

const std::vector<SymbolicTensor>& Model::inputs() const { return functional(impl_).inputs(); }

const std::vector<SymbolicTensor>& Model::outputs() const { return functional(impl_).outputs(); }

std::vector<Layer> Model::layers() const {
  std::vector<Layer> layers;
  for (const auto& layer : functional(impl_).layers()) layers.emplace_back(layer);
  return layers;
}

Layer Model::get_layer(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& layer : functional(impl_).layers()) {
    if (layer->name() == name) return Layer(layer);
    names.push_back(layer->name());
  }
  throw GraphError(fmt::format("[Model \"{}\"] No such layer: '{}'. Existing layers are: [{}]", impl_->name(), name,
                               fmt::join(names, ", ")));
}

void Model::summary(SummaryOptions options) const { std::cout << summary_string(options) << std::flush; }

std::string Model::summary_string(SummaryOptions options) const {
  return detail::render_summary(functional(impl_), options);
}

int64_t Model::count_trainable_params() const {
  int64_t n = 0;
  for (const auto& layer : functional(impl_).layers()) {
    if (!layer->trainable) continue;
    for (const detail::Variable& v : layer->variables()) {
      if (v.trainable) n += v.value->size();
    }
  }
  return n;
}

CompiledModel Model::compile(CompileOptions options) const {
  auto model = std::static_pointer_cast<const detail::FunctionalImpl>(std::shared_ptr<const detail::LayerImpl>(impl_));
  functional(impl_);
  return CompiledModel(std::make_shared<detail::CompiledModelImpl>(model.get(), model, std::move(options)));
}

Tensor Model::predict(const Tensor& input, PredictOptions options) const {
  const size_t n_outputs = functional(impl_).outputs().size();
  if (n_outputs != 1) {
    throw ValueError(fmt::format("[predict] Model \"{}\" has {} outputs; call predict with a vector of inputs to get "
                                 "them all",
                                 impl_->name(), n_outputs));
  }
  return std::move(predict(std::vector<Tensor>{input}, options).front());
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& inputs, PredictOptions options) const {
  return functional(impl_).default_compiled()->predict(inputs, options);
}

}  // namespace strata
