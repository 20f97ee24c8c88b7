#include "backend/reference/kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace strata::reference {

void conv(const ir::ConvOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst) {
  // Sequences, images and volumes alike: (N, D, H, W, C) with unit axes in front.
  const auto in = ir::as_volume(src_dims), out = ir::as_volume(dst_dims);
  const auto size = ir::as_volume(op.window.size, 1), stride = ir::as_volume(op.window.strides, 1);
  const auto dilation = ir::as_volume(op.window.dilations, 1),
             before = ir::as_volume(op.window.padding.before, 0);
  const int64_t N = in[0], ID = in[1], IH = in[2], IW = in[3], IC = in[4];
  const int64_t OD = out[1], OH = out[2], OW = out[3], OC = out[4];
  const int64_t ICG = op.kernel->dims()[op.kernel->dims().size() - 2];  // (spatial..., IC / groups, OC)
  const int64_t OCG = OC / op.groups;
  const std::shared_ptr<const Tensor> kernel = ir::effective_kernel(op.kernel, op.kernel_scale);
  const float* w = kernel->data();
  // Accumulate in double so the oracle's own rounding error is negligible next to float32's. Every output
  // channel of a pixel at once, adding the terms in (kd, kh, kw, ic) order: the innermost loop then runs
  // along the kernel's contiguous output axis, and a pass that meets NaN (which the runtime sends here) takes
  // seconds, not minutes.
  std::vector<double> acc(static_cast<size_t>(OC));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t od = 0; od < OD; ++od)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          for (int64_t oc = 0; oc < OC; ++oc) acc[oc] = op.bias ? op.bias->data()[oc] : 0.0;
          for (int64_t kd = 0; kd < size[0]; ++kd) {
            const int64_t id = od * stride[0] - before[0] + kd * dilation[0];
            if (id < 0 || id >= ID) continue;
            for (int64_t kh = 0; kh < size[1]; ++kh) {
              const int64_t ih = oh * stride[1] - before[1] + kh * dilation[1];
              if (ih < 0 || ih >= IH) continue;
              for (int64_t kw = 0; kw < size[2]; ++kw) {
                const int64_t iw = ow * stride[2] - before[2] + kw * dilation[2];
                if (iw < 0 || iw >= IW) continue;
                const float* s = src + (((n * ID + id) * IH + ih) * IW + iw) * IC;
                const float* wk = w + (((kd * size[1] + kh) * size[2] + kw) * ICG) * OC;
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
          }
          float* o = dst + (((n * OD + od) * OH + oh) * OW + ow) * OC;
          for (int64_t oc = 0; oc < OC; ++oc) o[oc] = static_cast<float>(acc[oc]);
        }
}

void transposed_conv(const ir::TransposedConvOp& op, const std::vector<int64_t>& src_dims, const float* src,
                     const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims), out = ir::as_volume(dst_dims);
  const auto size = ir::as_volume(op.window.size, 1), stride = ir::as_volume(op.window.strides, 1);
  const auto dilation = ir::as_volume(op.window.dilations, 1),
             before = ir::as_volume(op.window.padding.before, 0);
  const int64_t N = in[0], ID = in[1], IH = in[2], IW = in[3], IC = in[4];
  const int64_t OD = out[1], OH = out[2], OW = out[3], OC = out[4];
  const float* w = op.kernel->data();
  // The forward convolution maps output cell o to input cell i through tap k when o = i*s - before + k*d;
  // so output o gathers, per tap, the input i = (o + before - k*d) / s when that divides and lies inside.
  auto source = [](int64_t o, int64_t k, int64_t s, int64_t pad, int64_t d, int64_t extent) -> int64_t {
    const int64_t at = o + pad - k * d;
    if (at < 0 || at % s != 0 || at / s >= extent) return -1;
    return at / s;
  };
  std::vector<double> acc(static_cast<size_t>(OC));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t od = 0; od < OD; ++od)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          for (int64_t oc = 0; oc < OC; ++oc) acc[oc] = op.bias ? op.bias->data()[oc] : 0.0;
          for (int64_t kd = 0; kd < size[0]; ++kd) {
            const int64_t id = source(od, kd, stride[0], before[0], dilation[0], ID);
            if (id < 0) continue;
            for (int64_t kh = 0; kh < size[1]; ++kh) {
              const int64_t ih = source(oh, kh, stride[1], before[1], dilation[1], IH);
              if (ih < 0) continue;
              for (int64_t kw = 0; kw < size[2]; ++kw) {
                const int64_t iw = source(ow, kw, stride[2], before[2], dilation[2], IW);
                if (iw < 0) continue;
                const float* s = src + (((n * ID + id) * IH + ih) * IW + iw) * IC;
                const float* wk = w + ((kd * size[1] + kh) * size[2] + kw) * OC * IC;
                for (int64_t oc = 0; oc < OC; ++oc) {
                  const float* row = wk + oc * IC;
                  double sum = 0.0;
                  for (int64_t ic = 0; ic < IC; ++ic) sum += static_cast<double>(s[ic]) * row[ic];
                  acc[oc] += sum;
                }
              }
            }
          }
          float* o = dst + (((n * OD + od) * OH + oh) * OW + ow) * OC;
          for (int64_t oc = 0; oc < OC; ++oc) o[oc] = static_cast<float>(acc[oc]);
        }
}

void pool(const ir::PoolOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims), out = ir::as_volume(dst_dims);
  const auto size = ir::as_volume(op.window.size, 1), stride = ir::as_volume(op.window.strides, 1);
  const auto before = ir::as_volume(op.window.padding.before, 0);
  const int64_t N = in[0], ID = in[1], IH = in[2], IW = in[3], C = in[4];
  const int64_t OD = out[1], OH = out[2], OW = out[3];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t od = 0; od < OD; ++od)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t c = 0; c < C; ++c) {
            double sum = 0.0;
            float best = -std::numeric_limits<float>::infinity();
            int64_t count = 0;
            for (int64_t kd = 0; kd < size[0]; ++kd) {
              const int64_t id = od * stride[0] - before[0] + kd;
              if (id < 0 || id >= ID) continue;
              for (int64_t kh = 0; kh < size[1]; ++kh) {
                const int64_t ih = oh * stride[1] - before[1] + kh;
                if (ih < 0 || ih >= IH) continue;
                for (int64_t kw = 0; kw < size[2]; ++kw) {
                  const int64_t iw = ow * stride[2] - before[2] + kw;
                  if (iw < 0 || iw >= IW) continue;
                  const float v = src[(((n * ID + id) * IH + ih) * IW + iw) * C + c];
                  sum += v;
                  // A NaN in the window makes the maximum NaN (std::max would keep whichever came first).
                  if (v > best || std::isnan(v)) best = std::isnan(best) ? best : v;
                  ++count;
                }
              }
            }
            float& o = dst[(((n * OD + od) * OH + oh) * OW + ow) * C + c];
            o = op.kind == ir::PoolOp::Kind::kMax ? best
                                                  : static_cast<float>(sum / static_cast<double>(count));
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
    dst[i] = ir::apply_binary(op.kind, a[ia], b[ib]);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < dst_dims[d]) break;
      index[d] = 0;
    }
  }
}

void softmax(const ir::SoftmaxOp& op, const std::vector<int64_t>& dims, const float* src, float* dst) {
  const auto axis = static_cast<size_t>(op.axis_for(dims.size()));
  const int64_t n = dims[axis];
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < axis; ++i) outer *= dims[i];
  for (size_t i = axis + 1; i < dims.size(); ++i) inner *= dims[i];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const float* s = src + o * n * inner + in;
      float* d = dst + o * n * inner + in;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(s[i * inner]));
      double sum = 0.0;
      for (int64_t i = 0; i < n; ++i) sum += std::exp(s[i * inner] - m);
      for (int64_t i = 0; i < n; ++i) {
        const double shifted = s[i * inner] - m;
        d[i * inner] = static_cast<float>(op.log ? shifted - std::log(sum) : std::exp(shifted) / sum);
      }
    }
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

namespace {

// Copies every (n, d, h, w) cell of `dst` (dims (N, D, H, W, C)) from the `src` cell `from` names, or zeros
// when it names none (-1).
template <typename From>
void move_cells(const std::array<int64_t, 5>& out, float* dst, const float* src, From from,
                float fill = 0.0f) {
  const int64_t C = out[4];
  int64_t cell = 0;
  for (int64_t n = 0; n < out[0]; ++n)
    for (int64_t d = 0; d < out[1]; ++d)
      for (int64_t h = 0; h < out[2]; ++h)
        for (int64_t w = 0; w < out[3]; ++w, ++cell) {
          const int64_t at = from(n, d, h, w);
          for (int64_t c = 0; c < C; ++c) dst[cell * C + c] = at < 0 ? fill : src[at * C + c];
        }
}

}  // namespace

void pad(const ir::PadOp& op, const std::vector<int64_t>& src_dims, const float* src,
         const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims);
  const auto before = ir::as_volume(op.padding.before, 0);
  move_cells(
      ir::as_volume(dst_dims), dst, src,
      [&](int64_t n, int64_t d, int64_t h, int64_t w) -> int64_t {
        const int64_t id = d - before[0], ih = h - before[1], iw = w - before[2];
        if (id < 0 || id >= in[1] || ih < 0 || ih >= in[2] || iw < 0 || iw >= in[3]) return -1;
        return ((n * in[1] + id) * in[2] + ih) * in[3] + iw;
      },
      op.value);
}

void crop(const ir::CropOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims);
  const auto before = ir::as_volume(op.cropping.before, 0);
  move_cells(ir::as_volume(dst_dims), dst, src, [&](int64_t n, int64_t d, int64_t h, int64_t w) {
    return ((n * in[1] + d + before[0]) * in[2] + h + before[1]) * in[3] + w + before[2];
  });
}

void upsample(const ir::UpsampleOp& op, const std::vector<int64_t>& src_dims, const float* src,
              const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims);
  const auto factor = ir::as_volume(op.factors, 1);
  move_cells(ir::as_volume(dst_dims), dst, src, [&](int64_t n, int64_t d, int64_t h, int64_t w) {
    return ((n * in[1] + d / factor[0]) * in[2] + h / factor[1]) * in[3] + w / factor[2];
  });
}

void resize(const ir::ResizeOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst) {
  const auto in = ir::as_volume(src_dims), out = ir::as_volume(dst_dims);
  const int64_t channels = in[4];
  // Per spatial axis and output cell: the two source cells and the second one's weight.
  struct Tap {
    int64_t lo, hi;
    double w;
  };
  std::array<std::vector<Tap>, 3> taps;
  for (int a = 0; a < 3; ++a) {
    const double scale = static_cast<double>(in[a + 1]) / static_cast<double>(out[a + 1]);
    for (int64_t o = 0; o < out[a + 1]; ++o) {
      if (op.kind == ir::ResizeOp::Kind::kNearest) {
        const auto i = std::min(static_cast<int64_t>(std::floor((o + 0.5) * scale)), in[a + 1] - 1);
        taps[a].push_back({i, i, 0.0});
        continue;
      }
      const double x = (o + 0.5) * scale - 0.5;
      const double f = std::floor(x);
      const int64_t lo = std::max<int64_t>(static_cast<int64_t>(f), 0);
      const int64_t hi = std::min<int64_t>(static_cast<int64_t>(std::ceil(x)), in[a + 1] - 1);
      taps[a].push_back({lo, hi, x - f});
    }
  }
  auto at = [&](int64_t n, int64_t d, int64_t h, int64_t w, int64_t c) {
    return static_cast<double>(src[(((n * in[1] + d) * in[2] + h) * in[3] + w) * channels + c]);
  };
  float* p = dst;
  for (int64_t n = 0; n < out[0]; ++n)
    for (const Tap& td : taps[0])
      for (const Tap& th : taps[1])
        for (const Tap& tw : taps[2])
          for (int64_t c = 0; c < channels; ++c) {
            double v = 0.0;
            for (int i = 0; i < 8; ++i) {
              const double wd = i & 4 ? td.w : 1.0 - td.w, wh = i & 2 ? th.w : 1.0 - th.w,
                           ww = i & 1 ? tw.w : 1.0 - tw.w;
              if (wd == 0.0 || wh == 0.0 || ww == 0.0) continue;
              v += wd * wh * ww *
                   at(n, i & 4 ? td.hi : td.lo, i & 2 ? th.hi : th.lo, i & 1 ? tw.hi : tw.lo, c);
            }
            *p++ = static_cast<float>(v);
          }
}

void concat(int axis, const std::vector<std::vector<int64_t>>& src_dims, const std::vector<const void*>& srcs,
            const std::vector<int64_t>& dst_dims, void* dst, int64_t element_size) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= dst_dims[d];
  for (size_t d = axis + 1; d < dst_dims.size(); ++d) inner *= dst_dims[d];
  const int64_t dst_axis = dst_dims[axis];
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t o = 0; o < outer; ++o) {
    int64_t at = 0;
    for (size_t i = 0; i < srcs.size(); ++i) {
      const int64_t len = src_dims[i][axis];
      const auto* in = static_cast<const uint8_t*>(srcs[i]);
      std::memcpy(out + (o * dst_axis + at) * inner * element_size, in + o * len * inner * element_size,
                  static_cast<size_t>(len * inner * element_size));
      at += len;
    }
  }
}

namespace {

// Row-major strides of `dims`.
std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides;
  int64_t s = 1;
  for (auto d = dims.rbegin(); d != dims.rend(); ++d) {
    strides.insert(strides.begin(), s);
    s *= *d;
  }
  return strides;
}

}  // namespace

void matmul(const std::vector<int64_t>& a_dims, const float* a, const std::vector<int64_t>& b_dims,
            const float* b, const std::vector<int64_t>& dst_dims, float* dst) {
  const size_t rank = dst_dims.size();
  const int64_t m = dst_dims[rank - 2], n = dst_dims[rank - 1], k = a_dims[rank - 1];
  const std::vector<int64_t> lead(dst_dims.begin(), dst_dims.end() - 2);
  const int64_t batches = element_count(lead);
  std::vector<int64_t> index(lead.size(), 0);
  for (int64_t batch = 0; batch < batches; ++batch) {
    // Each operand's matrix for this batch index, a size-1 leading axis repeating.
    int64_t at_a = 0, at_b = 0;
    for (size_t d = 0; d < lead.size(); ++d) {
      at_a = at_a * a_dims[d] + (a_dims[d] == 1 ? 0 : index[d]);
      at_b = at_b * b_dims[d] + (b_dims[d] == 1 ? 0 : index[d]);
    }
    const float* pa = a + at_a * m * k;
    const float* pb = b + at_b * k * n;
    float* pd = dst + batch * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0.0;
        for (int64_t t = 0; t < k; ++t) sum += static_cast<double>(pa[i * k + t]) * pb[t * n + j];
        pd[i * n + j] = static_cast<float>(sum);
      }
    }
    for (size_t d = lead.size(); d-- > 0;) {
      if (++index[d] < lead[d]) break;
      index[d] = 0;
    }
  }
}

void prelu(const ir::PReluOp& op, const std::vector<int64_t>& dims, const float* src, float* dst) {
  const std::vector<int64_t>& a_dims = op.alpha->dims();
  const size_t rank = dims.size();
  const std::vector<int64_t> strides = strides_of(dims);
  std::vector<int64_t> a_strides(rank, 0);  // 0 on the batch and on shared axes
  int64_t step = 1;
  for (size_t d = rank; d-- > 1;) {
    if (a_dims[d - 1] != 1) a_strides[d] = step;
    step *= a_dims[d - 1];
  }
  for (int64_t i = 0; i < element_count(dims); ++i) {
    int64_t rest = i, at = 0;
    for (size_t d = 0; d < rank; ++d) {
      at += rest / strides[d] * a_strides[d];
      rest %= strides[d];
    }
    dst[i] = src[i] >= 0.0f ? src[i] : op.alpha->data()[at] * src[i];
  }
}

void layer_norm(const ir::LayerNormOp& op, const std::vector<int64_t>& dims, const float* src, float* dst) {
  const int64_t width = dims.back(), rows = element_count(dims) / std::max<int64_t>(width, 1);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src + r * width;
    double mean = 0.0, variance = 0.0;
    for (int64_t c = 0; c < width; ++c) mean += x[c];
    mean /= static_cast<double>(width);
    for (int64_t c = 0; c < width; ++c) variance += (x[c] - mean) * (x[c] - mean);
    variance /= static_cast<double>(width);
    const double inv = 1.0 / std::sqrt(variance + op.epsilon);
    for (int64_t c = 0; c < width; ++c) {
      const double gamma = op.gamma ? op.gamma->data()[c] : 1.0, beta = op.beta ? op.beta->data()[c] : 0.0;
      dst[r * width + c] = static_cast<float>((x[c] - mean) * inv * gamma + beta);
    }
  }
}

void reduce(const ir::ReduceOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst) {
  const size_t rank = src_dims.size();
  const std::vector<int64_t> dst_strides = strides_of(dst_dims);
  const int64_t outputs = element_count(dst_dims), total = element_count(src_dims);
  const bool extremum = op.kind == ir::ReduceOp::Kind::kMax || op.kind == ir::ReduceOp::Kind::kMin;
  std::vector<double> acc(static_cast<size_t>(outputs), 0.0);
  std::vector<bool> seen(static_cast<size_t>(outputs), false);
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += (dst_dims[d] == 1 ? 0 : index[d]) * dst_strides[d];
    const double v = src[i];
    if (!extremum) {
      acc[at] += v;
    } else if (!seen[at] || std::isnan(v)) {
      acc[at] = v;  // numpy's max and min propagate NaN
    } else if (!std::isnan(acc[at])) {
      acc[at] = op.kind == ir::ReduceOp::Kind::kMax ? std::max(acc[at], v) : std::min(acc[at], v);
    }
    seen[at] = true;
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < src_dims[d]) break;
      index[d] = 0;
    }
  }
  const double count = static_cast<double>(total / std::max<int64_t>(outputs, 1));
  for (int64_t o = 0; o < outputs; ++o) {
    dst[o] = static_cast<float>(op.kind == ir::ReduceOp::Kind::kMean ? acc[o] / count : acc[o]);
  }
}

void transpose(const ir::TransposeOp& op, const std::vector<int64_t>& src_dims, const void* src, void* dst,
               int64_t element_size) {
  const size_t rank = src_dims.size();
  const std::vector<int64_t> src_strides = strides_of(src_dims);
  std::vector<int64_t> dst_dims, step;
  for (int axis : op.perm) {
    dst_dims.push_back(src_dims[axis]);
    step.push_back(src_strides[axis]);
  }
  std::vector<int64_t> index(dst_dims.size(), 0);
  const int64_t total = element_count(dst_dims);
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  const auto bytes = static_cast<size_t>(element_size);
  for (int64_t i = 0; i < total; ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += index[d] * step[d];
    std::memcpy(out + i * element_size, in + at * element_size, bytes);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < dst_dims[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace strata::reference
