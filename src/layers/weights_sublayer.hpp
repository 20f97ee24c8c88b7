#pragma once
// A layer that only holds weights for the layer that computes with them, where Keras keeps them in a
// sublayer of its own: a recurrent layer's cell (`lstm/lstm_cell/kernel`), a MultiHeadAttention's
// EinsumDense projections (`query_dense`). Weight files find the variables under the sublayer's path; it is
// never called on its own.

#include <fmt/format.h>

#include <string>
#include <utility>

#include "layers/layer_impl.hpp"
#include "strata/error.hpp"

namespace strata::detail {

class WeightsSublayer : public LayerImpl {
 public:
  /// `name` as Keras names the sublayer ("lstm_cell", "query"); the class as Keras's ("LSTMCell").
  WeightsSublayer(const std::string& class_name, const std::string& name) : LayerImpl(class_name, name) {}

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>&) const override {
    throw InternalError(fmt::format("{} is computed by the layer holding it", prefix()));
  }
  std::vector<ir::ValueId> lower(ir::Graph&, const Node&, const std::vector<ir::ValueId>&) const override {
    throw InternalError(fmt::format("{} is computed by the layer holding it", prefix()));
  }
  nlohmann::json config() const override { return nlohmann::json::object(); }

  /// Adds a weight (on the holder's first call).
  void make(const std::string& name, Tensor value) { add_variable(name, std::move(value)); }
};

}  // namespace strata::detail
