#pragma once
// The base of every built-in layer: it keeps the constructor's arguments, and its schema turns them into
// Keras's config and into C++. The class name comes from the schema too, so it is written once.

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "layers/layer_impl.hpp"
#include "layers/layer_schema.hpp"

namespace strata::detail {

/// The Args of a layer whose constructor takes nothing but its options struct.
template <class Options>
struct OptionsArgs {
  Options options;
};

template <class Args>
class ConfiguredLayer : public LayerImpl {
 public:
  ConfiguredLayer(const LayerSchema<Args>& schema, Args args)
      : LayerImpl(schema.class_name(), args.options.name), schema_(schema), args_(std::move(args)) {}

  nlohmann::json config() const final { return schema_.write(args_); }
  const SchemaBase* schema() const final { return &schema_; }
  std::string cpp_constructor() const final { return schema_.cpp(args_, name()); }

 protected:
  const LayerSchema<Args>& schema_;
  /// The arguments as given (for a loaded layer: as read from its config).
  Args args_;
};

}  // namespace strata::detail
