// Keras's CategoryEncoding (keras/src/layers/preprocessing/category_encoding.py and
// utils/numerical_utils.encode_categorical_inputs): one_hot drops a trailing axis of 1 and appends one of
// num_tokens; multi_hot and count turn each (batch, n) row into (batch, num_tokens), as TensorFlow's
// bincount path does (rank 2 at most). Values outside [0, num_tokens) are refused at predict: Keras's
// backends disagree there (bincount fails on negatives and skips large values, one_hot gives zeros).

#include <fmt/format.h>

#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"
#include "strata/layers/preprocessing.hpp"

namespace strata::layers {
namespace {

struct CategoryEncodingArgs {
  int num_tokens = 0;
  CategoryEncodingOptions options;
};

const detail::LayerSchema<CategoryEncodingArgs>& category_encoding_schema() {
  static const auto schema = std::move(detail::LayerSchema<CategoryEncodingArgs>("CategoryEncoding")
                                           .required("num_tokens", STRATA_ARG(num_tokens))
                                           .option("output_mode", STRATA_ARG(options.output_mode))
                                           // Sparse tensors are not there: dense outputs only.
                                           .fixed("sparse", false));
  return schema;
}

class CategoryEncodingImpl : public detail::ConfiguredLayer<CategoryEncodingArgs> {
 public:
  explicit CategoryEncodingImpl(CategoryEncodingArgs args)
      : ConfiguredLayer(category_encoding_schema(), std::move(args)) {
    std::string& mode = args_.options.output_mode;
    if (mode == "binary") mode = "multi_hot";  // Keras's deprecated name, which it rewrites so
    if (mode != "one_hot" && mode != "multi_hot" && mode != "count")
      throw ValueError(fmt::format("{} Unknown arg for output_mode: {}", prefix(), mode));
    if (args_.num_tokens < 1) {
      throw ValueError(
          fmt::format("{} `num_tokens` must be >= 1. Received: num_tokens={}", prefix(), args_.num_tokens));
    }
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    std::vector<Dim> dims = inputs[0].dims();
    if (one_hot()) {
      // Keras drops a last axis of 1; one unknown stays in the shape (lower refuses a 1 there).
      if (dims.back() && *dims.back() == 1) dims.pop_back();
    } else if (dims.size() != 2) {
      throw ShapeError(fmt::format(
          "{} When output_mode is not `'int'`, maximum supported output rank is 2. Received output_mode {} "
          "and input shape {}, which would result in output rank {}",
          prefix(), args_.options.output_mode, inputs[0].to_string(), dims.size()));
    } else {
      dims.pop_back();
    }
    dims.push_back(static_cast<int64_t>(args_.num_tokens));
    return {Shape(dims)};
  }

  // Any values: Keras casts them to integers (floats toward zero). The encoding is float32.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>&, size_t outputs) const override {
    return std::vector<DType>(outputs, DType::kFloat32);
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node& node,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const detail::IntegerIds given = detail::emit_integer_ids(graph, inputs[0], name());
    ir::ValueId ids = given.value;
    std::vector<int64_t> dims = graph.values[ids].dims;
    // Keras drops a last axis of 1 when it runs, whatever the model said; the model's shape here kept one
    // it did not know, so a 1 arriving there would change the output's rank behind the model's back.
    const Dim& declared = node.inputs[0].shape()[-1];
    if (one_hot() && !declared && dims.back() == 1) {
      throw ShapeError(fmt::format(
          "{} Received an input whose last dimension is 1 where the model left it unknown {}: Keras drops "
          "that axis for one_hot, which would give the output another rank than the model's {}; give the "
          "input "
          "its last dimension",
          prefix(), node.inputs[0].shape().to_string(), node.output_shapes[0].to_string()));
    }
    if (one_hot() && declared && *declared == 1) {
      dims.pop_back();
      ids = detail::emit_reshape(graph, ids, dims, name());
    }
    if (!one_hot()) dims.pop_back();
    dims.push_back(static_cast<int64_t>(args_.num_tokens));
    const ir::OneHotOp::Mode mode = one_hot()                              ? ir::OneHotOp::Mode::kOneHot
                                    : args_.options.output_mode == "count" ? ir::OneHotOp::Mode::kCount
                                                                           : ir::OneHotOp::Mode::kMultiHot;
    const ir::ValueId out = graph.add_value(std::move(dims), name());
    graph.ops.push_back(
        ir::Op{ir::OneHotOp{mode, args_.num_tokens, prefix(), given.cast}, {ids}, {out}, {}, {name()}});
    return {out};
  }

 private:
  bool one_hot() const { return args_.options.output_mode == "one_hot"; }
};

}  // namespace

CategoryEncoding::CategoryEncoding(int num_tokens, CategoryEncodingOptions options) {
  impl_ = std::make_shared<CategoryEncodingImpl>(CategoryEncodingArgs{num_tokens, std::move(options)});
}

SymbolicTensor CategoryEncoding::operator()(const SymbolicTensor& input) const {
  return call({input}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_category_encoding_layers() {
  register_layer(layers::category_encoding_schema(), [](layers::CategoryEncodingArgs a) {
    return std::make_shared<layers::CategoryEncodingImpl>(std::move(a));
  });
}
}  // namespace strata::detail
