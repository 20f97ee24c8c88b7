#pragma once
// Output sizes and padding of sliding-window layers (convolution, pooling), by Keras's formulas.

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/ir.hpp"
#include "strata/shape.hpp"

namespace strata::detail {

/// `d` grown by `delta` (shrunk when negative): padding's and cropping's output sizes. Unknown stays unknown.
inline Dim plus(const Dim& d, int64_t delta) {
  return d ? Dim(*d + delta) : None;
}

/// Keras's padding modes. kCausal (Conv1D only) pads only before: output t sees inputs up to t.
enum class Padding { kValid, kSame, kCausal };

/// Parses "valid" or "same", and "causal" when `causal_allowed`; throws ValueError, prefixed with `where`,
/// listing the accepted ones.
Padding parse_padding(const std::string& text, const std::string& where, bool causal_allowed = false);
std::string padding_name(Padding padding);

/// One spatial axis of a window: the output size and TensorFlow's padding split.
struct WindowAxis {
  int64_t out = 0;
  int before = 0;
  int after = 0;
};

/// Keras's rule for one axis: valid: floor((in - d*(k-1) - 1) / s) + 1; same: ceil(in / s), with
/// total = max((out-1)*s + (k-1)*d + 1 - in, 0), before = total/2, after = total - before; causal: before =
/// d*(k-1), after = 0, then valid, so ceil(in / s). Returns an `out` of zero or less when the window does
/// not fit (callers raise the error).
WindowAxis window_axis(int64_t in, int kernel, int stride, int dilation, Padding padding);

/// Keras's rule for one axis of a transposed convolution (deconv_output_length), k' = d*(k-1) + 1: without
/// output_padding, valid: in*s + max(k' - s, 0), same: in*s; with it, (in-1)*s + k' - 2*pad +
/// output_padding, pad = k'/2 for same and 0 for valid. `before` and `after` are the padding of the forward
/// convolution it transposes (from `out` back to `in`): before + after = (in-1)*s + k' - out, split as
/// Keras's JAX backend splits it; `after` is negative when the output reaches past the last window
/// (output_padding, or k' < s). TensorFlow splits the same way but refuses sizes whose forward window does
/// not map back to `in` (window_axis(out, ...).out != in: an even kernel with "same" and output_padding 0).
/// Valid and same only.
WindowAxis transposed_window_axis(int64_t in, int kernel, int stride, int dilation, Padding padding,
                                  std::optional<int> output_padding);

/// One spatial axis, named `axis` in messages ("height", "width", "steps"): nullopt for an unknown input
/// size. Throws ShapeError, prefixed with `where`, when the output size would be zero or less.
std::optional<WindowAxis> window_1d(const std::string& where, const char* axis, const Dim& in, int kernel,
                                    int stride, int dilation, Padding padding);

/// The two spatial axes of an NHWC input. Throws ShapeError, prefixed with `where`, when an output size
/// would be zero or less. Unknown input sizes give unknown output sizes and no padding.
struct Window2D {
  Dim out_h, out_w;
  std::optional<ir::SpatialPadding> padding;
};
Window2D window_2d(const std::string& where, const Dim& in_h, const Dim& in_w, Size2 kernel, Size2 strides,
                   Size2 dilation, Padding padding);

/// `size` as a window extent of the IR's pooling op (an int). Throws ShapeError, prefixed with `where`, for a
/// global pooling over more than 2^31 - 1 positions along one axis (the 2^40 limit allows that many).
int window_extent(const std::string& where, int64_t size);

/// Throws ValueError, prefixed with `where`, unless both components of `size` are positive.
void expect_positive(const std::string& where, const char* what, Size2 size);

}  // namespace strata::detail
