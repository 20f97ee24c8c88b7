#include "layers/conv_common.hpp"

#include <fmt/format.h>

#include "graph/node.hpp"
#include "strata/error.hpp"

namespace strata::detail {

Window2D apply_window(const std::string& where, const Shape& input, const ConvWindow& window) {
  return window_2d(where, input[1], input[2], window.kernel, window.strides, window.dilation, window.padding);
}

ConvWindow make_conv_window(const std::string& where, Size2 kernel, Size2 strides, Size2 dilation,
                            const std::string& padding) {
  expect_positive(where, "kernel_size", kernel);
  expect_positive(where, "strides", strides);
  expect_positive(where, "dilation_rate", dilation);
  if ((strides.h() > 1 || strides.w() > 1) && (dilation.h() > 1 || dilation.w() > 1)) {
    throw ValueError(fmt::format("{} strides > 1 is not compatible with dilation_rate > 1; received strides {} and "
                                 "dilation_rate {}",
                                 where, strides.to_string(), dilation.to_string()));
  }
  return ConvWindow{kernel, strides, dilation, parse_padding(padding, where)};
}

ir::ValueId emit_conv(ir::Graph& graph, const Node& node, ir::ValueId input, const ConvWindow& window, int groups,
                      std::shared_ptr<const Tensor> kernel, std::shared_ptr<const Tensor> bias,
                      const std::string& layer, const std::string& where) {
  const std::vector<int64_t> in = graph.values[input].dims;  // a copy: add_value may reallocate
  const WindowAxis h = window_axis(in[1], window.kernel.h(), window.strides.h(), window.dilation.h(), window.padding);
  const WindowAxis w = window_axis(in[2], window.kernel.w(), window.strides.w(), window.dilation.w(), window.padding);
  if (h.out <= 0 || w.out <= 0) {
    throw ShapeError(fmt::format("{} Output size would be {}x{} for an input of {}x{}", where, h.out, w.out, in[1], in[2]));
  }
  ir::ConvOp conv;
  conv.window = ir::Window{{window.kernel.h(), window.kernel.w()},
                           {window.strides.h(), window.strides.w()},
                           {window.dilation.h(), window.dilation.w()},
                           ir::SpatialPadding{{h.before, w.before}, {h.after, w.after}}};
  if (node.padding && *node.padding != conv.window.padding) {
    throw InternalError(fmt::format("{} padding computed at build time differs from the compiler's", where));
  }
  conv.groups = groups;
  const int64_t out_channels = kernel->dims()[3];
  conv.kernel = std::move(kernel);
  conv.bias = std::move(bias);
  const ir::ValueId out = graph.add_value({in[0], h.out, w.out, out_channels}, layer);
  graph.ops.push_back(ir::Op{conv, {input}, {out}, {}, {layer}});
  return out;
}

}  // namespace strata::detail
