#include "layers/layer_impl.hpp"

#include <fmt/format.h>

#include "core/session.hpp"
#include "strata/error.hpp"

namespace strata::detail {

LayerImpl::LayerImpl(std::string class_name, const std::string& name)
    : class_name_(std::move(class_name)), name_(name.empty() ? unique_name(to_snake_case(class_name_)) : name) {}

std::string LayerImpl::prefix() const { return fmt::format("[{} ({})]", name_, class_name_); }

void LayerImpl::build(const std::vector<Shape>&) {}

std::optional<ir::Padding2D> LayerImpl::static_padding(const std::vector<Shape>&) const { return std::nullopt; }

int64_t LayerImpl::macs(const Node&) const { return 0; }

void LayerImpl::add_variable(std::string name, Tensor value, bool is_trainable) {
  variables_.push_back(Variable{std::move(name), std::make_shared<const Tensor>(std::move(value)), is_trainable});
}

void LayerImpl::set_variable_values(const std::vector<Tensor>& values) {
  if (values.size() != variables_.size()) {
    throw ValueError(fmt::format("{} set_weights: expected {} weight tensors, received {}", prefix(),
                                 variables_.size(), values.size()));
  }
  // Check everything before changing anything, so a failed call leaves the old weights in place.
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].dims() != variables_[i].value->dims()) {
      throw ValueError(fmt::format("{} set_weights: weight {} ('{}') expected shape {}, received {}", prefix(), i,
                                   variables_[i].name, variables_[i].value->shape().to_string(),
                                   values[i].shape().to_string()));
    }
  }
  for (size_t i = 0; i < values.size(); ++i) variables_[i].value = std::make_shared<const Tensor>(values[i]);
  ++weights_version_;
}

void expect_rank(const LayerImpl& layer, const Shape& shape, int rank) {
  if (shape.rank() != rank) {
    throw ShapeError(fmt::format("{} Expected an input of rank {} (batch included), received shape {} of rank {}",
                                 layer.prefix(), rank, shape.to_string(), shape.rank()));
  }
}

void expect_input_count(const LayerImpl& layer, const std::vector<Shape>& inputs, size_t count) {
  if (inputs.size() != count) {
    throw ValueError(fmt::format("{} Expected {} input{}, received {}", layer.prefix(), count,
                                 count == 1 ? "" : "s", inputs.size()));
  }
}

}  // namespace strata::detail
