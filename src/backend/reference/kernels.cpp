#include "backend/reference/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace strata::reference {

void conv2d(const ir::Conv2DOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst) {
  const int64_t N = src_dims[0], IH = src_dims[1], IW = src_dims[2], IC = src_dims[3];
  const int64_t OH = dst_dims[1], OW = dst_dims[2], OC = dst_dims[3];
  const auto& k = op.kernel->dims();  // (KH, KW, IC / groups, OC)
  const int64_t KH = k[0], KW = k[1], ICG = k[2];
  const int64_t OCG = OC / op.groups;
  const std::shared_ptr<const Tensor> kernel = ir::effective_kernel(op.kernel, op.kernel_scale);
  const float* w = kernel->data();
  // Accumulate in double so the oracle's own rounding error is negligible next to float32's. Every output
  // channel of a pixel at once, adding the terms in (kh, kw, ic) order: the innermost loop then runs along
  // the kernel's contiguous output axis, and a pass that meets NaN (which the runtime sends here) takes
  // seconds, not minutes.
  std::vector<double> acc(static_cast<size_t>(OC));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        for (int64_t oc = 0; oc < OC; ++oc) acc[oc] = op.bias ? op.bias->data()[oc] : 0.0;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * op.stride_h - op.padding.top + kh * op.dilation_h;
          if (ih < 0 || ih >= IH) continue;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t iw = ow * op.stride_w - op.padding.left + kw * op.dilation_w;
            if (iw < 0 || iw >= IW) continue;
            const float* s = src + ((n * IH + ih) * IW + iw) * IC;
            const float* wk = w + ((kh * KW + kw) * ICG) * OC;
            for (int64_t g = 0; g < op.groups; ++g) {
              double* a = acc.data() + g * OCG;
              for (int64_t ic = 0; ic < ICG; ++ic) {
                const double x = s[g * ICG + ic];
                const float* row = wk + ic * OC + g * OCG;
                for (int64_t o = 0; o < OCG; ++o) a[o] += x * row[o];
              }
            }
          }
        }
        float* out = dst + ((n * OH + oh) * OW + ow) * OC;
        for (int64_t oc = 0; oc < OC; ++oc) out[oc] = static_cast<float>(acc[oc]);
      }
}

void pool2d(const ir::Pool2DOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst) {
  const int64_t N = src_dims[0], IH = src_dims[1], IW = src_dims[2], C = src_dims[3];
  const int64_t OH = dst_dims[1], OW = dst_dims[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t c = 0; c < C; ++c) {
          double sum = 0.0;
          float best = -std::numeric_limits<float>::infinity();
          int64_t count = 0;
          for (int64_t kh = 0; kh < op.pool_h; ++kh) {
            const int64_t ih = oh * op.stride_h - op.padding.top + kh;
            if (ih < 0 || ih >= IH) continue;
            for (int64_t kw = 0; kw < op.pool_w; ++kw) {
              const int64_t iw = ow * op.stride_w - op.padding.left + kw;
              if (iw < 0 || iw >= IW) continue;
              const float v = src[((n * IH + ih) * IW + iw) * C + c];
              sum += v;
              // A NaN in the window makes the maximum NaN (std::max would keep whichever came first).
              if (v > best || std::isnan(v)) best = std::isnan(best) ? best : v;
              ++count;
            }
          }
          float& out = dst[((n * OH + oh) * OW + ow) * C + c];
          out = op.kind == ir::Pool2DOp::Kind::kMax ? best : static_cast<float>(sum / static_cast<double>(count));
        }
}

void activation(const detail::Activation& act, const float* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = detail::apply_activation(act, src[i]);
}

void binary(const ir::BinaryOp& op, const std::vector<int64_t>& a_dims, const float* a,
            const std::vector<int64_t>& b_dims, const float* b, const std::vector<int64_t>& dst_dims, float* dst) {
  const size_t rank = dst_dims.size();
  // Strides of a and b in dst's index space; a broadcast (size-1 or missing) axis gets stride 0.
  auto strides_for = [&](const std::vector<int64_t>& dims) {
    std::vector<int64_t> strides(rank, 0);
    int64_t s = 1;
    for (size_t i = 0; i < dims.size(); ++i) {
      const size_t axis = dims.size() - 1 - i;
      const size_t dst_axis = rank - 1 - i;
      strides[dst_axis] = dims[axis] == 1 ? 0 : s;
      s *= dims[axis];
    }
    return strides;
  };
  const std::vector<int64_t> sa = strides_for(a_dims), sb = strides_for(b_dims);
  int64_t total = 1;
  for (int64_t d : dst_dims) total *= d;
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia += index[d] * sa[d];
      ib += index[d] * sb[d];
    }
    const float x = a[ia], y = b[ib];
    switch (op.kind) {
      case ir::BinaryOp::Kind::kAdd:
        dst[i] = x + y;
        break;
      case ir::BinaryOp::Kind::kSubtract:
        dst[i] = x - y;
        break;
      case ir::BinaryOp::Kind::kMultiply:
        dst[i] = x * y;
        break;
      // Keras's maximum and minimum propagate NaN; std::max and std::min return an operand by comparison.
      case ir::BinaryOp::Kind::kMaximum:
        dst[i] = std::isnan(x) || std::isnan(y) ? x + y : std::max(x, y);
        break;
      case ir::BinaryOp::Kind::kMinimum:
        dst[i] = std::isnan(x) || std::isnan(y) ? x + y : std::min(x, y);
        break;
    }
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < dst_dims[d]) break;
      index[d] = 0;
    }
  }
}

void softmax(const std::vector<int64_t>& dims, const float* src, float* dst) {
  const int64_t inner = dims.back();
  int64_t outer = 1;
  for (size_t i = 0; i + 1 < dims.size(); ++i) outer *= dims[i];
  for (int64_t o = 0; o < outer; ++o) {
    const float* s = src + o * inner;
    float* d = dst + o * inner;
    const float m = *std::max_element(s, s + inner);
    double sum = 0.0;
    for (int64_t i = 0; i < inner; ++i) sum += std::exp(static_cast<double>(s[i]) - m);
    for (int64_t i = 0; i < inner; ++i) d[i] = static_cast<float>(std::exp(static_cast<double>(s[i]) - m) / sum);
  }
}

void dense(const ir::DenseOp& op, int64_t rows, const float* src, float* dst) {
  const int64_t in = op.kernel->dims()[0], out = op.kernel->dims()[1];
  const std::shared_ptr<const Tensor> kernel = ir::effective_kernel(op.kernel, op.kernel_scale);
  const float* w = kernel->data();
  // As in conv2d: in double, every output of a row at once, terms in input order.
  std::vector<double> acc(static_cast<size_t>(out));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) acc[o] = op.bias ? op.bias->data()[o] : 0.0;
    for (int64_t i = 0; i < in; ++i) {
      const double x = src[r * in + i];
      const float* row = w + i * out;
      for (int64_t o = 0; o < out; ++o) acc[o] += x * row[o];
    }
    for (int64_t o = 0; o < out; ++o) dst[r * out + o] = static_cast<float>(acc[o]);
  }
}

void batch_norm(const ir::BatchNormOp& op, const std::vector<int64_t>& dims, const float* src, float* dst) {
  const int64_t channels = dims.back();
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t c = i % channels;
    const double gamma = op.gamma ? op.gamma->data()[c] : 1.0;
    const double beta = op.beta ? op.beta->data()[c] : 0.0;
    const double normalized = (src[i] - static_cast<double>(op.mean->data()[c])) /
                              std::sqrt(static_cast<double>(op.variance->data()[c]) + op.epsilon);
    dst[i] = static_cast<float>(gamma * normalized + beta);
  }
}

void pad(const ir::PadOp& op, const std::vector<int64_t>& src_dims, const float* src,
         const std::vector<int64_t>& dst_dims, float* dst) {
  const int64_t N = dst_dims[0], OH = dst_dims[1], OW = dst_dims[2], C = dst_dims[3];
  const int64_t IH = src_dims[1], IW = src_dims[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < OH; ++h)
      for (int64_t w = 0; w < OW; ++w)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t ih = h - op.padding.top, iw = w - op.padding.left;
          const bool inside = ih >= 0 && ih < IH && iw >= 0 && iw < IW;
          dst[((n * OH + h) * OW + w) * C + c] = inside ? src[((n * IH + ih) * IW + iw) * C + c] : 0.0f;
        }
}

void crop(const ir::CropOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst) {
  const int64_t N = dst_dims[0], OH = dst_dims[1], OW = dst_dims[2], C = dst_dims[3];
  const int64_t IH = src_dims[1], IW = src_dims[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < OH; ++h)
      for (int64_t w = 0; w < OW; ++w)
        for (int64_t c = 0; c < C; ++c) {
          dst[((n * OH + h) * OW + w) * C + c] =
              src[((n * IH + h + op.cropping.top) * IW + w + op.cropping.left) * C + c];
        }
}

void upsample(const ir::UpsampleOp& op, const std::vector<int64_t>& src_dims, const float* src,
              const std::vector<int64_t>& dst_dims, float* dst) {
  const int64_t N = dst_dims[0], OH = dst_dims[1], OW = dst_dims[2], C = dst_dims[3];
  const int64_t IH = src_dims[1], IW = src_dims[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < OH; ++h)
      for (int64_t w = 0; w < OW; ++w)
        for (int64_t c = 0; c < C; ++c) {
          dst[((n * OH + h) * OW + w) * C + c] = src[((n * IH + h / op.factor_h) * IW + w / op.factor_w) * C + c];
        }
}

void concat(int axis, const std::vector<std::vector<int64_t>>& src_dims, const std::vector<const float*>& srcs,
            const std::vector<int64_t>& dst_dims, float* dst) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dst_dims[d];
  for (size_t d = axis + 1; d < dst_dims.size(); ++d) inner *= dst_dims[d];
  const int64_t dst_axis = dst_dims[axis];
  for (int64_t o = 0; o < outer; ++o) {
    int64_t at = 0;
    for (size_t i = 0; i < srcs.size(); ++i) {
      const int64_t len = src_dims[i][axis];
      for (int64_t k = 0; k < len * inner; ++k) dst[(o * dst_axis + at) * inner + k] = srcs[i][o * len * inner + k];
      at += len;
    }
  }
}

}  // namespace strata::reference
