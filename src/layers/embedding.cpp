#include "strata/layers/embedding.hpp"

#include <fmt/format.h>

#include "core/initializers.hpp"
#include "graph/node.hpp"
#include "layers/configured_layer.hpp"
#include "layers/dtype_rules.hpp"
#include "layers/layer_registry.hpp"
#include "strata/error.hpp"
#include "strata/ops.hpp"

namespace strata::layers {
namespace {

struct EmbeddingArgs {
  int input_dim = 0;
  int output_dim = 0;
  EmbeddingOptions options;
};

const detail::LayerSchema<EmbeddingArgs>& embedding_schema() {
  static const auto schema =
      std::move(detail::LayerSchema<EmbeddingArgs>("Embedding")
                    .required("input_dim", STRATA_ARG(input_dim))
                    .required("output_dim", STRATA_ARG(output_dim))
                    .option<detail::InitializerCodec>("embeddings_initializer",
                                                      STRATA_ARG(options.embeddings_initializer))
                    .kept("embeddings_regularizer")
                    .kept("activity_regularizer")
                    .kept("embeddings_constraint")
                    .option("mask_zero", STRATA_ARG(options.mask_zero))
                    .fixed("quantization_config", nullptr)
                    .only_default("lora_rank")
                    .only_default("lora_alpha")
                    // Keras 2's sequence length, which Keras 3 warns about and ignores.
                    .accepted("input_length"));
  return schema;
}

class EmbeddingImpl : public detail::ConfiguredLayer<EmbeddingArgs> {
 public:
  explicit EmbeddingImpl(EmbeddingArgs args) : ConfiguredLayer(embedding_schema(), std::move(args)) {
    const std::string where = prefix();
    if (args_.input_dim <= 0) {
      throw ValueError(fmt::format("{} `input_dim` must be a positive integer. Received: input_dim={}", where,
                                   args_.input_dim));
    }
    if (args_.output_dim <= 0) {
      throw ValueError(fmt::format("{} `output_dim` must be a positive integer. Received: output_dim={}",
                                   where, args_.output_dim));
    }
    detail::check_initializer(args_.options.embeddings_initializer, where);
  }

  std::vector<Shape> compute_output_shapes(const std::vector<Shape>& inputs) const override {
    detail::expect_input_count(*this, inputs, 1);
    std::vector<Dim> dims = inputs[0].dims();
    dims.push_back(args_.output_dim);
    return {Shape(dims)};
  }

  // Any ids: Keras casts what is not int32 or int64 to int32 (floats toward zero). The rows are float32.
  std::vector<DType> compute_output_dtypes(const std::vector<DType>&, size_t outputs) const override {
    return std::vector<DType>(outputs, DType::kFloat32);
  }

  // Keras's compute_mask: `ops.not_equal(inputs, 0)`, recorded in the graph as a `not_equal` op.
  std::vector<SymbolicTensor> compute_masks(const detail::Node& node) const override {
    if (!args_.options.mask_zero) return {};
    return {ops::not_equal(node.inputs.front(), 0)};
  }

  void build(const std::vector<Shape>&) override {
    add_variable("embeddings",
                 detail::initialize(args_.options.embeddings_initializer, {args_.input_dim, args_.output_dim},
                                    args_.input_dim, args_.output_dim));
  }

  std::vector<ir::ValueId> lower(ir::Graph& graph, const detail::Node&,
                                 const std::vector<ir::ValueId>& inputs) const override {
    const detail::IntegerIds ids = detail::emit_integer_ids(graph, inputs[0], name());
    std::vector<int64_t> dims = graph.values[ids.value].dims;
    dims.push_back(args_.output_dim);
    const ir::ValueId out = graph.add_value(std::move(dims), name());
    graph.ops.push_back(
        ir::Op{ir::GatherOp{variables()[0].tensor(), prefix(), ids.cast}, {ids.value}, {out}, {}, {name()}});
    return {out};
  }
};

}  // namespace

Embedding::Embedding(int input_dim, int output_dim, EmbeddingOptions options) {
  impl_ = std::make_shared<EmbeddingImpl>(EmbeddingArgs{input_dim, output_dim, std::move(options)});
}

SymbolicTensor Embedding::operator()(const SymbolicTensor& ids) const {
  return call({ids}).front();
}

}  // namespace strata::layers

namespace strata::detail {
void register_embedding_layers() {
  register_layer(layers::embedding_schema(), [](layers::EmbeddingArgs a) {
    return std::make_shared<layers::EmbeddingImpl>(std::move(a));
  });
}
}  // namespace strata::detail
