#include <fmt/format.h>

#include "export/onnx_builder.hpp"

namespace strata::detail::onnx_export {

// CategoryEncoding as ONNX's OneHot, then a ReduceMax (multi_hot) or ReduceSum (count) over the values of a
// row. OneHot counts a negative value from the end; Keras's TensorFlow backend (tf.one_hot) gives a row of
// zeros for it, as for a value past the end, so negatives are first moved past the end. strata's own plan
// refuses both with an error; an exported model cannot raise one.
void OnnxBuilder::one_hot(const ir::Op& op, const ir::OneHotOp& o, const std::string& name) {
  const std::string ids = out_.unique(name + "/ids");
  OnnxGraph::attr(out_.node("Cast", {get(op.inputs[0], Layout::kNhwc)}, {ids}, name + "/cast"), "to",
                  static_cast<int64_t>(onnx::TensorProto_DataType_INT64));
  const std::string depth = out_.int64_initializer(name + "/depth", {o.depth});
  ir::ElementwiseOp::Number zero{0, 0.0, true, 0};
  const std::string negative = out_.unique(name + "/negative");
  out_.node("Less", {ids, out_.typed_scalar(name + "/zero", onnx::TensorProto_DataType_INT64, zero)},
            {negative}, name + "/less");
  const std::string kept = out_.unique(name + "/kept");
  out_.node("Where", {negative, depth, ids}, {kept}, name + "/where");
  const std::string values = out_.initializer(name + "/values", {2}, {0.0f, 1.0f});
  if (o.mode == ir::OneHotOp::Mode::kOneHot) {
    out_.node("OneHot", {kept, depth, values}, {define(op, Layout::kNhwc)}, name);
    return;
  }
  const std::string hot = out_.unique(name + "/one_hot");
  out_.node("OneHot", {kept, depth, values}, {hot}, name + "/one_hot");
  const bool sum = o.mode == ir::OneHotOp::Mode::kCount;
  // ReduceSum takes its axes as an input from opset 13, ReduceMax from opset 18 (an attribute before).
  const bool axes_input = sum || opset_ >= 18;
  std::vector<std::string> inputs = {hot};
  if (axes_input) inputs.push_back(out_.int64_initializer(name + "/axes", {1}));
  onnx::NodeProto& n = out_.node(sum ? "ReduceSum" : "ReduceMax", inputs, {define(op, Layout::kNhwc)}, name);
  OnnxGraph::attr(n, "keepdims", int64_t{0});
  if (!axes_input) OnnxGraph::attr(n, "axes", std::vector<int64_t>{1});
}

}  // namespace strata::detail::onnx_export
