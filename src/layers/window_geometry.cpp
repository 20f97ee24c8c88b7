#include "layers/window_geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "strata/error.hpp"

namespace strata::detail {

Padding parse_padding(const std::string& text, const std::string& where) {
  if (text == "valid") return Padding::kValid;
  if (text == "same") return Padding::kSame;
  throw ValueError(fmt::format("{} Unknown padding '{}'. Expected one of: valid, same", where, text));
}

std::string padding_name(Padding padding) { return padding == Padding::kSame ? "same" : "valid"; }

WindowAxis window_axis(int64_t in, int kernel, int stride, int dilation, Padding padding) {
  const int64_t effective = static_cast<int64_t>(dilation) * (kernel - 1) + 1;
  WindowAxis axis;
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
  if (ah && aw) w.padding = ir::Padding2D{ah->before, ah->after, aw->before, aw->after};
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
