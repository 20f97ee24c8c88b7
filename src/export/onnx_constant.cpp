// A plan-time constant (ir::ConstantOp, such as a causal attention mask) as an ONNX initializer of its own
// element type, and an Identity that names it as the IR value.

#include "export/onnx_builder.hpp"

namespace strata::detail::onnx_export {

void OnnxBuilder::constant(const ir::Op& op, const ir::ConstantOp& c, const std::string& name) {
  const Tensor& t = *c.value;
  const std::string init = out_.unique(name + "/constant");
  onnx::TensorProto* proto = out_.add_initializer();
  proto->set_name(init);
  proto->set_data_type(onnx_type(ir::data_type_of(t.dtype())));
  for (int64_t d : t.dims()) proto->add_dims(d);
  proto->set_raw_data(t.raw_data(),
                      static_cast<size_t>(t.size() * ir::element_size(ir::data_type_of(t.dtype()))));
  out_.node("Identity", {init}, {define(op, Layout::kNhwc)}, name);
}

}  // namespace strata::detail::onnx_export
