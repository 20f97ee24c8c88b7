#include "layers/conv_common.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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

namespace {

// Axis names for messages, by spatial rank.
const char* axis_name(int rank, int axis) {
  static const char* const names[3][3] = {
      {"steps", "", ""}, {"height", "width", ""}, {"depth", "height", "width"}};
  return names[rank - 1][axis];
}

void expect_positive_axes(const std::string& where, const char* what, const std::vector<int>& values,
                          int rank) {
  bool ok = static_cast<int>(values.size()) == rank;
  for (int v : values) ok = ok && v > 0;
  if (!ok) {
    throw ValueError(fmt::format("{} Expected {} positive {} value{}, received ({})", where, rank, what,
                                 rank == 1 ? "" : "s", fmt::join(values, ", ")));
  }
}

}  // namespace

void expect_depth_multiplier(const std::string& where, int depth_multiplier) {
  if (depth_multiplier <= 0) {
    throw ValueError(
        fmt::format("{} Expected a positive depth_multiplier, received {}", where, depth_multiplier));
  }
}

void check_filters(const std::string& where, int filters, int groups) {
  if (filters <= 0)
    throw ValueError(fmt::format("{} Expected a positive filters, received {}", where, filters));
  if (groups <= 0) throw ValueError(fmt::format("{} Expected a positive groups, received {}", where, groups));
  if (filters % groups != 0) {
    throw ValueError(
        fmt::format("{} The number of filters must be divisible by groups; received filters {} and groups {}",
                    where, filters, groups));
  }
}

void check_grouped_channels(const std::string& where, const Shape& input, int64_t channels, int groups) {
  if (channels % groups != 0) {
    throw ShapeError(
        fmt::format("{} The input channels must be divisible by groups ({}); received input shape {}", where,
                    groups, input.to_string()));
  }
}

ConvAxes make_conv_axes(const std::string& where, std::vector<int> kernel, std::vector<int> strides,
                        std::vector<int> dilation, const std::string& padding, bool causal_allowed) {
  const int rank = static_cast<int>(kernel.size());
  expect_positive_axes(where, "kernel_size", kernel, rank);
  expect_positive_axes(where, "strides", strides, rank);
  expect_positive_axes(where, "dilation_rate", dilation, rank);
  const auto above_one = [](const std::vector<int>& v) {
    return std::any_of(v.begin(), v.end(), [](int x) { return x > 1; });
  };
  if (above_one(strides) && above_one(dilation)) {
    throw ValueError(
        fmt::format("{} strides > 1 is not compatible with dilation_rate > 1; received strides ({}) "
                    "and dilation_rate ({})",
                    where, fmt::join(strides, ", "), fmt::join(dilation, ", ")));
  }
  return ConvAxes{std::move(kernel), std::move(strides), std::move(dilation),
                  parse_padding(padding, where, causal_allowed)};
}

SpatialOutput conv_output(const std::string& where, const Shape& input, const ConvAxes& axes) {
  SpatialOutput out;
  ir::SpatialPadding padding = ir::SpatialPadding::none(axes.rank());
  bool known = true;
  for (int a = 0; a < axes.rank(); ++a) {
    const auto w = window_1d(where, axis_name(axes.rank(), a), input[static_cast<size_t>(a) + 1],
                             axes.kernel[a], axes.strides[a], axes.dilation[a], axes.padding);
    out.sizes.push_back(w ? Dim(w->out) : Dim());
    known = known && w.has_value();
    if (w) {
      padding.before[a] = w->before;
      padding.after[a] = w->after;
    }
  }
  if (known) out.padding = padding;
  return out;
}

SpatialOutput transposed_conv_output(const std::string& where, const Shape& input, const ConvAxes& axes,
                                     const std::optional<std::vector<int>>& output_padding) {
  SpatialOutput out;
  ir::SpatialPadding padding = ir::SpatialPadding::none(axes.rank());
  bool known = true;
  for (int a = 0; a < axes.rank(); ++a) {
    const Dim& in = input[static_cast<size_t>(a) + 1];
    if (!in) {
      out.sizes.emplace_back();
      known = false;
      continue;
    }
    const std::optional<int> extra = output_padding ? std::optional<int>((*output_padding)[a]) : std::nullopt;
    const WindowAxis w =
        transposed_window_axis(*in, axes.kernel[a], axes.strides[a], axes.dilation[a], axes.padding, extra);
    if (w.out <= 0) {
      throw ShapeError(
          fmt::format("{} Output {} would be {} for an input {} of {} (kernel {}, strides {}, "
                      "dilation {}, padding '{}', output_padding {})",
                      where, axis_name(axes.rank(), a), w.out, axis_name(axes.rank(), a), *in, axes.kernel[a],
                      axes.strides[a], axes.dilation[a], padding_name(axes.padding),
                      extra ? std::to_string(*extra) : "None"));
    }
    out.sizes.emplace_back(w.out);
    padding.before[a] = w.before;
    padding.after[a] = w.after;
  }
  if (known) out.padding = padding;
  return out;
}

std::vector<int64_t> concrete_dims(const std::string& where, int64_t batch, const SpatialOutput& out,
                                   int64_t channels) {
  std::vector<int64_t> dims{batch};
  for (const Dim& d : out.sizes) {
    if (!d) throw InternalError(fmt::format("{} an output size is unknown at lowering", where));
    dims.push_back(*d);
  }
  dims.push_back(channels);
  return dims;
}

ir::Window ir_window(const ConvAxes& axes, const ir::SpatialPadding& padding) {
  return ir::Window{axes.kernel, axes.strides, axes.dilation, padding};
}

ir::ValueId emit_conv(ir::Graph& graph, const Node& node, ir::ValueId input, const ConvAxes& axes, int groups,
                      std::shared_ptr<const Tensor> kernel, std::shared_ptr<const Tensor> bias,
                      const std::string& layer, const std::string& where) {
  const std::vector<int64_t> in = graph.values[input].dims;  // a copy: add_value may reallocate
  const SpatialOutput out = conv_output(where, to_shape(in), axes);
  if (node.padding && *node.padding != *out.padding) {
    throw InternalError(fmt::format("{} padding computed at build time differs from the compiler's", where));
  }
  ir::ConvOp conv;
  conv.window = ir_window(axes, *out.padding);
  conv.groups = groups;
  const int64_t out_channels = kernel->dims().back();
  conv.kernel = std::move(kernel);
  conv.bias = std::move(bias);
  const ir::ValueId value = graph.add_value(concrete_dims(where, in[0], out, out_channels), layer);
  graph.ops.push_back(ir::Op{std::move(conv), {input}, {value}, {}, {layer}});
  return value;
}

}  // namespace strata::detail
