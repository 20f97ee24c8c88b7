#include "layers/window_geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "strata/error.hpp"

namespace strata::detail {

Padding parse_padding(const std::string& text, const std::string& where, bool causal_allowed) {
  if (text == "valid") return Padding::kValid;
  if (text == "same") return Padding::kSame;
  if (text == "causal" && causal_allowed) return Padding::kCausal;
  throw ValueError(fmt::format("{} Unknown padding '{}'. Expected one of: valid, same{}", where, text,
                               causal_allowed ? ", causal" : ""));
}

std::string padding_name(Padding padding) {
  switch (padding) {
    case Padding::kValid:
      return "valid";
    case Padding::kSame:
      return "same";
    case Padding::kCausal:
      return "causal";
  }
  return "valid";
}

WindowAxis window_axis(int64_t in, int kernel, int stride, int dilation, Padding padding) {
  const int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  WindowAxis axis;
  if (padding == Padding::kCausal) {
    // All the padding before: a valid window over the input with d*(k-1) zeros in front.
    axis.before = static_cast<int>(effective - 1);
    axis.out = (in - 1) / stride + 1;
    return axis;
  }
  if (padding == Padding::kValid) {
    // C++ division truncates toward zero, so a window larger than the input must be caught first.
    axis.out = in < effective ? 0 : (in - effective) / stride + 1;
    return axis;
  }
  axis.out = (in + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((axis.out - 1) * stride + effective - in, 0);
  axis.before = static_cast<int>(total / 2);
  axis.after = static_cast<int>(total - total / 2);
  return axis;
}

WindowAxis transposed_window_axis(int64_t in, int kernel, int stride, int dilation, Padding padding,
                                  std::optional<int> output_padding) {
  const int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  WindowAxis axis;
  if (output_padding) {
    const int64_t pad = padding == Padding::kSame ? effective / 2 : 0;
    axis.out = (in - 1) * stride + effective - 2 * pad + *output_padding;
  } else {
    axis.out =
        padding == Padding::kSame ? in * stride : in * stride + std::max<int64_t>(effective - stride, 0);
  }
  const int64_t reach = (in - 1) * stride + effective;  // input cells the last forward window ends at
  const int64_t before = padding == Padding::kSame ? std::max<int64_t>(reach - axis.out, 0) / 2 : 0;
  axis.before = static_cast<int>(before);
  axis.after = static_cast<int>(reach - axis.out - before);
  return axis;
}

std::optional<WindowAxis> window_1d(const std::string& where, const char* axis, const Dim& in, int kernel,
                                    int stride, int dilation, Padding padding) {
  if (!in) return std::nullopt;
  const WindowAxis a = window_axis(*in, kernel, stride, dilation, padding);
  if (a.out <= 0) {
    const int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
    throw ShapeError(fmt::format(
        "{} Output {} would be {}: expected an input {} of at least {} (kernel {}, dilation {}) with "
        "padding '{}', received {}",
        where, axis, a.out, axis, effective, kernel, dilation, padding_name(padding), *in));
  }
  return a;
}

Window2D window_2d(const std::string& where, const Dim& in_h, const Dim& in_w, Size2 kernel, Size2 strides,
                   Size2 dilation, Padding padding) {
  const auto ah = window_1d(where, "height", in_h, kernel.h(), strides.h(), dilation.h(), padding);
  const auto aw = window_1d(where, "width", in_w, kernel.w(), strides.w(), dilation.w(), padding);
  Window2D w;
  if (ah) w.out_h = ah->out;
  if (aw) w.out_w = aw->out;
  if (ah && aw) w.padding = ir::SpatialPadding{{ah->before, aw->before}, {ah->after, aw->after}};
  return w;
}

int window_extent(const std::string& where, int64_t size) {
  if (size > std::numeric_limits<int>::max()) {
    throw ShapeError(fmt::format("{} Cannot pool over {} positions along one axis: at most {}", where, size,
                                 std::numeric_limits<int>::max()));
  }
  return static_cast<int>(size);
}

void expect_positive(const std::string& where, const char* what, Size2 size) {
  if (!size.given() || size.h() <= 0 || size.w() <= 0) {
    throw ValueError(fmt::format("{} Expected a positive {}, received {}", where, what, size.to_string()));
  }
}

}  // namespace strata::detail
