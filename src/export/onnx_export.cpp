// ONNX export: the compiler's lowered IR at the model's input size, written as an ONNX graph that keeps
// NCHW inside (what ONNX's Conv and pooling operators expect) and NHWC at the model boundary.
//
// Layout. Every IR value is logically NHWC (Keras's order). Each rank-4 value may exist in the ONNX graph
// in either order; an op asks for the order it needs and a conversion is emitted once, the first time it
// is asked for, right before that op. Convolutions, pooling, padding and resizing want NCHW; element-wise
// ops, softmax and concat take whatever their inputs already have; reshapes want Keras's order. So a CNN
// gets one Transpose after each input and one before each output, not one around every op. When a
// rank-4 value has H = W = 1 or C = 1 both orders hold the same bytes, and the conversion is a Reshape.
//
// Passes. Zero padding is folded into the convolutions it feeds and batch normalization into the
// convolution or dense layer before it (the compiler's own passes), so ONNX Runtime sees Conv nodes with
// biases; zero padding of non-negative values also folds into max pooling. Activations stay separate
// nodes, which ONNX Runtime fuses itself.

#include <fmt/format.h>

#include <fstream>

#include <onnx/checker.h>

#include "compiler/passes/passes.hpp"
#include "export/onnx_builder.hpp"
#include "graph/functional.hpp"
#include "graph/node.hpp"
#include "strata/error.hpp"
#include "strata/onnx.hpp"

namespace strata {

using detail::onnx_export::kMinOpset;
using detail::onnx_export::max_supported_opset;
using detail::onnx_export::OnnxBuilder;

void export_onnx(const Model& model, const std::string& path, OnnxExportOptions options) {
  const int max_opset = max_supported_opset();
  if (options.opset < kMinOpset || options.opset > max_opset) {
    throw ValueError(fmt::format("[export_onnx] Unsupported opset {}: expected an opset from {} to {}",
                                 options.opset, kMinOpset, max_opset));
  }
  const auto& impl = static_cast<const detail::FunctionalImpl&>(*model.impl());

  // The IR needs concrete sizes; the batch is 1 here and symbolic in the file when asked.
  std::vector<std::vector<int64_t>> input_dims;
  for (const SymbolicTensor& input : impl.inputs()) {
    std::vector<int64_t> d = {1};
    for (int i = 1; i < input.shape().rank(); ++i) {
      if (!input.shape()[i]) {
        throw ValueError(
            fmt::format("[{} (InputLayer)] Cannot export to ONNX: the input shape {} has unknown "
                        "sizes; export needs concrete ones (e.g. Input({{224, 224, 3}}))",
                        input.node()->layer->name(), input.shape().to_string()));
      }
      d.push_back(*input.shape()[i]);
    }
    input_dims.push_back(std::move(d));
  }
  ir::Graph program = ir::lower_layers(impl, input_dims);
  // The compiler's own folds (a zero padding into the convolutions or, when its input is non-negative, the
  // max poolings that read it; batch norms into convolutions), so that the file computes as strata does.
  ir::fold_zero_padding(program);
  ir::fold_batch_norm(program);

  onnx::ModelProto proto;
  proto.set_ir_version(onnx::IR_VERSION);
  proto.set_producer_name("strata");
  proto.set_model_version(1);
  onnx::OperatorSetIdProto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  onnx::GraphProto* graph = proto.mutable_graph();
  graph->set_name(impl.name());
  graph->set_doc_string("Exported by strata from the Keras-style model '" + impl.name() +
                        "'. Inputs and outputs are NHWC (channels last), as in Keras.");

  OnnxBuilder builder(program, *graph, options.dynamic_batch, options.opset);
  std::vector<std::string> output_names;
  {
    std::set<std::string> taken;
    for (ir::ValueId v : program.inputs) taken.insert(program.values[v].name);
    for (const SymbolicTensor& output : impl.outputs()) {
      std::string base = output.node()->layer->name();
      if (output.node()->output_shapes.size() > 1) base += fmt::format("_{}", output.index());
      std::string name = base;
      for (int i = 1; taken.count(name) != 0; ++i) name = fmt::format("{}:{}", base, i);
      taken.insert(name);
      output_names.push_back(name);
    }
    for (const std::string& name : taken) builder.reserve(name);
  }
  for (ir::ValueId v : program.inputs) builder.add_input(v, program.values[v].name);
  for (const ir::Op& op : program.ops) builder.emit(op);
  for (size_t i = 0; i < program.outputs.size(); ++i) builder.add_output(program.outputs[i], output_names[i]);

  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    throw InternalError(fmt::format("[export_onnx] The exported graph of '{}' fails the ONNX checker: {}",
                                    impl.name(), e.what()));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !proto.SerializeToOstream(&out) || !out.flush()) {
    throw FileError(fmt::format("[export_onnx] Cannot write the ONNX file '{}'", path));
  }
}

}  // namespace strata
