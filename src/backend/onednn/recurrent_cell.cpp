#include "backend/onednn/recurrent_cell.hpp"

#include <fmt/format.h>
#include <dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "backend/onednn/thread_buffer.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

// The cell is x86-64 code; elsewhere own_cell_supports says no and the plan keeps oneDNN's primitive. Only
// the functions marked STRATA_AVX512 use AVX-512 instructions; the library itself is built for the baseline
// x86-64, and own_cell_supports checks the CPU before any of them runs.
#include "backend/simd_math.hpp"

namespace strata::onednn {
namespace {
using Cell = ir::RecurrentOp::Cell;
using detail::ActivationKind;
}  // namespace

#if STRATA_X86_64
namespace {

using detail::exp16;

// The lanes of a 16-float vector that hold columns [j, j + 16) of `n`.
inline __mmask16 lanes(int64_t j, int64_t n) {
  const int64_t left = n - j;
  return left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

STRATA_AVX512 inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

// tanh as Cephes's tanhf: an odd polynomial below |x| = 0.625, where 1 - 2 / (exp(2|x|) + 1) would lose
// the small values' relative precision, that formula above.
STRATA_AVX512 inline __m512 tanh16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 big = _mm512_sub_ps(
      one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(exp16(_mm512_add_ps(ax, ax)), one)));
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745e-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531e-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036e-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422e-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  // big carries |x|'s result: give it x's sign.
  const __m512 sign = _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(static_cast<int>(0x80000000u))));
  const __m512 signed_big =
      _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), _mm512_castps_si512(sign)));
  const __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, signed_big, small);
}

STRATA_AVX512 inline __m512 activate16(ActivationKind kind, __m512 x) {
  switch (kind) {
    case ActivationKind::kTanh:
      return tanh16(x);
    case ActivationKind::kSigmoid:
      return sigmoid16(x);
    default:  // kRelu, the only other kind own_cell_supports lets through
      return _mm512_max_ps(_mm512_setzero_ps(), x);  // NaN stays NaN (exp16)
  }
}

// Reads columns [j, j + 16) of gate `g` of a gate-major row (a lambda would carry no target attribute).
struct GateReader {
  __mmask16 m;
  int64_t units, j;
  STRATA_AVX512 __m512 operator()(const float* p, int64_t g) const {
    return _mm512_maskz_loadu_ps(m, p + g * units + j);
  }
};

// The rows one product serves at once: each load of the recurrent kernel feeds this many rows' FMAs.
constexpr int kMaxRows = 4;

// Vectors of columns per pass for `Rows` rows: as many accumulators as leave registers for the rows'
// broadcasts and one kernel vector (32 zmm registers).
template <int Rows>
constexpr int kWideBlocks = Rows == 4 ? 6 : 8;

// z[r][0, cols) += h[r][0, k) @ w for Rows rows, w's rows `ld` floats apart, for `Blocks` vectors of
// columns starting at j0: the accumulators stay in registers over the whole product. Only the last vector
// may be partial, so one mask register serves (a mask per vector would not fit in the k registers).
template <int Rows, int Blocks>
STRATA_AVX512 void product_block(const float* const* h, int64_t k, const float* w, int64_t ld, int64_t j0,
                                 int64_t cols, float* const* z) {
  constexpr int kLast = Blocks - 1;
  const __mmask16 tail = lanes(j0 + 16 * kLast, cols);
  __m512 acc[Rows][Blocks];
#pragma GCC unroll 4
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 8
    for (int b = 0; b < kLast; ++b) acc[r][b] = _mm512_loadu_ps(z[r] + j0 + 16 * b);
    acc[r][kLast] = _mm512_maskz_loadu_ps(tail, z[r] + j0 + 16 * kLast);
  }
  for (int64_t i = 0; i < k; ++i) {
    const float* row = w + i * ld + j0;
    __m512 v[Rows];
#pragma GCC unroll 4
    for (int r = 0; r < Rows; ++r) v[r] = _mm512_set1_ps(h[r][i]);
#pragma GCC unroll 8
    for (int b = 0; b < Blocks; ++b) {
      const __m512 wv = b < kLast ? _mm512_loadu_ps(row + 16 * b) : _mm512_maskz_loadu_ps(tail, row + 16 * b);
#pragma GCC unroll 4
      for (int r = 0; r < Rows; ++r) acc[r][b] = _mm512_fmadd_ps(v[r], wv, acc[r][b]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 8
    for (int b = 0; b < kLast; ++b) _mm512_storeu_ps(z[r] + j0 + 16 * b, acc[r][b]);
    _mm512_mask_storeu_ps(z[r] + j0 + 16 * kLast, tail, acc[r][kLast]);
  }
}

// The last pass: `blocks` (1 to kWideBlocks) vectors of columns, the last of them possibly partial. (A
// remainder of more than kWideBlocks - 1 vectors takes all kWideBlocks: the bound below is inclusive.)
template <int Rows, int Blocks = 1>
STRATA_AVX512 void narrower_block(int64_t blocks, const float* const* h, int64_t k, const float* w,
                                  int64_t ld, int64_t j0, int64_t cols, float* const* z) {
  if constexpr (Blocks <= kWideBlocks<Rows>) {
    if (blocks == Blocks) {
      product_block<Rows, Blocks>(h, k, w, ld, j0, cols, z);
    } else {
      narrower_block<Rows, Blocks + 1>(blocks, h, k, w, ld, j0, cols, z);
    }
  }
}

template <int Rows>
STRATA_AVX512 void product_rows(const float* const* h, int64_t k, const float* w, int64_t ld, int64_t cols,
                                float* const* z) {
  constexpr int64_t kWide = 16 * kWideBlocks<Rows>;
  int64_t j = 0;
  for (; j + kWide <= cols; j += kWide) product_block<Rows, kWideBlocks<Rows>>(h, k, w, ld, j, cols, z);
  if (j < cols) narrower_block<Rows>((cols - j + 15) / 16, h, k, w, ld, j, cols, z);
}

// z[r][0, cols) += h[r][0, k) @ w for `rows` rows (1 to kMaxRows).
STRATA_AVX512 void add_product(int rows, const float* const* h, int64_t k, const float* w, int64_t ld,
                               int64_t cols, float* const* z) {
  switch (rows) {
    case 1:
      return product_rows<1>(h, k, w, ld, cols, z);
    case 2:
      return product_rows<2>(h, k, w, ld, cols, z);
    case 3:
      return product_rows<3>(h, k, w, ld, cols, z);
    default:
      return product_rows<4>(h, k, w, ld, cols, z);
  }
}

// The buffers are kept per thread so that a pass allocates nothing (a fresh 200 KB projection would be
// mapped and unmapped by malloc every pass); the projection's is freed after a pass past this size.
constexpr size_t kKeptProjectionBytes = size_t{4} << 20;

// One row's state and working vectors, in its thread's buffer.
struct Row {
  float* z;        // the state's product with the recurrent kernel (gate-major), then the GRU's gates
  float* reset_h;  // a GRU's reset gate times the state's product (reset_after) or times the state
  float* h;
  float* c;
  bool counted = false;  // a step of the row has counted (Keras's masked loop)
};

// Floats of a thread's buffer: kMaxRows rows of z (width), reset_h, h and c (units each).
int64_t work_floats(int64_t units, int64_t width) {
  return kMaxRows * (width + 3 * units);
}

// The cell's update of one row from its step's input projection `x` and its state's product `row.z`. A GRU
// stops before its candidate, which needs the reset state's product (gru_candidate).
STRATA_AVX512 void apply_gates(const ir::RecurrentOp& op, int64_t units, const float* x, Row& row) {
  const ActivationKind act = op.activation.kind, gate = op.recurrent_activation.kind;
  const bool gru_after = op.cell == Cell::kGru && op.reset_after;
  float *z = row.z, *h = row.h, *c = row.c;
  for (int64_t j = 0; j < units; j += 16) {
    const __mmask16 m = lanes(j, units);
    const GateReader at{m, units, j};
    switch (op.cell) {
      case Cell::kSimple:
        _mm512_mask_storeu_ps(h + j, m, activate16(act, _mm512_add_ps(at(x, 0), at(z, 0))));
        break;
      case Cell::kLstm: {
        const __m512 i_gate = activate16(gate, _mm512_add_ps(at(x, 0), at(z, 0)));
        const __m512 f_gate = activate16(gate, _mm512_add_ps(at(x, 1), at(z, 1)));
        const __m512 cand = activate16(act, _mm512_add_ps(at(x, 2), at(z, 2)));
        const __m512 o_gate = activate16(gate, _mm512_add_ps(at(x, 3), at(z, 3)));
        const __m512 cell = _mm512_fmadd_ps(f_gate, at(c, 0), _mm512_mul_ps(i_gate, cand));
        _mm512_mask_storeu_ps(c + j, m, cell);
        _mm512_mask_storeu_ps(h + j, m, _mm512_mul_ps(o_gate, activate16(act, cell)));
        break;
      }
      case Cell::kGru: {
        // The update gate goes to z's first block for gru_candidate; the reset gate times the state's
        // product (reset_after) or times the state (before) to reset_h.
        const __m512 update = activate16(gate, _mm512_add_ps(at(x, 0), at(z, 0)));
        const __m512 reset = activate16(gate, _mm512_add_ps(at(x, 1), at(z, 1)));
        _mm512_mask_storeu_ps(z + j, m, update);
        _mm512_mask_storeu_ps(row.reset_h + j, m, _mm512_mul_ps(reset, gru_after ? at(z, 2) : at(h, 0)));
        break;
      }
    }
  }
}

// A GRU's candidate tanh(x_h + cand) and new state u * h + (1 - u) * candidate, where `cand` (z's third
// block) holds r * (h @ R_h + b_h) (reset_after) or (r * h) @ R_h (before).
STRATA_AVX512 void gru_candidate(ActivationKind act, int64_t units, const float* x, Row& row) {
  const float* cand = row.z + 2 * units;
  for (int64_t j = 0; j < units; j += 16) {
    const __mmask16 m = lanes(j, units);
    const __m512 hh = activate16(
        act, _mm512_add_ps(_mm512_maskz_loadu_ps(m, x + 2 * units + j), _mm512_maskz_loadu_ps(m, cand + j)));
    const __m512 u = _mm512_maskz_loadu_ps(m, row.z + j);
    const __m512 old = _mm512_maskz_loadu_ps(m, row.h + j);
    // Keras's u * h + (1 - u) * hh, as u * h + (hh - u * hh): h stays h exactly where u is 1.
    _mm512_mask_storeu_ps(row.h + j, m, _mm512_fmadd_ps(u, old, _mm512_fnmadd_ps(u, hh, hh)));
  }
}

// The steps of rows [begin, end), kMaxRows rows at a time so that each load of the recurrent kernel serves
// them all: `xw` holds every step's input projection (bias included), `work` work_floats(units, width).
STRATA_AVX512 void run_rows(const ir::RecurrentOp& op, const detail::RecurrentBuffers& b, const float* xw,
                            int64_t begin, int64_t end, float* work) {
  const int64_t units = op.recurrent_kernel->dims()[0];
  const int64_t width = op.gates() * units;
  const int64_t steps = b.steps;
  const float* rk = op.recurrent_kernel->data();
  const bool gru_after = op.cell == Cell::kGru && op.reset_after;
  const float* recurrent_bias = gru_after && op.bias ? op.bias->data() + width : nullptr;
  // For a GRU without reset_after, the state's product feeds only the two gates: its candidate multiplies the
  // reset state first.
  const int64_t direct = op.cell == Cell::kGru && !op.reset_after ? 2 * units : width;
  for (int64_t first = begin; first < end; first += kMaxRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kMaxRows, end - first));
    Row row[kMaxRows];
    for (int r = 0; r < rows; ++r) {
      const int64_t n = first + r;
      float* at = work + r * (width + 3 * units);
      row[r] = {at, at + width, at + width + units, at + width + 2 * units, false};
      if (b.h0 != nullptr) {
        std::copy(b.h0 + n * units, b.h0 + (n + 1) * units, row[r].h);
      } else {
        std::fill(row[r].h, row[r].h + units, 0.0f);
      }
      if (b.c0 != nullptr && op.cell == Cell::kLstm) {
        std::copy(b.c0 + n * units, b.c0 + (n + 1) * units, row[r].c);
      } else {
        std::fill(row[r].c, row[r].c + units, 0.0f);
      }
    }
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t t = op.backwards ? steps - 1 - k : k;
      const int64_t out_t = op.backwards && !op.aligned ? k : t;
      // The rows whose step counts; Keras's masked loop, as detail::run_recurrent, for the others: a skipped
      // step keeps the states and outputs the last output written (zeros before any, or always with
      // zero_output_for_mask).
      int kept[kMaxRows];
      const float* h[kMaxRows];
      float* z[kMaxRows];
      int count = 0;
      for (int r = 0; r < rows; ++r) {
        const int64_t n = first + r;
        if (b.mask != nullptr && b.mask[n * steps + t] == 0) {
          if (b.sequence != nullptr) {
            float* out = b.sequence + (n * steps + out_t) * units;
            if (row[r].counted && !op.zero_output_for_mask) {
              std::copy(row[r].h, row[r].h + units, out);
            } else {
              std::fill(out, out + units, 0.0f);
            }
          }
          continue;
        }
        row[r].counted = true;
        if (recurrent_bias != nullptr) {
          std::copy(recurrent_bias, recurrent_bias + width, row[r].z);
        } else {
          std::fill(row[r].z, row[r].z + direct, 0.0f);
        }
        kept[count] = r;
        h[count] = row[r].h;
        z[count] = row[r].z;
        ++count;
      }
      if (count == 0) continue;
      add_product(count, h, units, rk, width, direct, z);
      auto x_of = [&](int r) { return xw + ((first + r) * steps + t) * width; };
      for (int q = 0; q < count; ++q) apply_gates(op, units, x_of(kept[q]), row[kept[q]]);
      if (op.cell == Cell::kGru) {
        for (int q = 0; q < count; ++q) {
          Row& g = row[kept[q]];
          float* cand = g.z + 2 * units;
          if (gru_after) {
            std::copy(g.reset_h, g.reset_h + units, cand);
          } else {
            std::fill(cand, cand + units, 0.0f);
          }
          h[q] = g.reset_h;
          z[q] = cand;
        }
        if (!gru_after) add_product(count, h, units, rk + 2 * units, width, units, z);
        for (int q = 0; q < count; ++q) gru_candidate(op.activation.kind, units, x_of(kept[q]), row[kept[q]]);
      }
      if (b.sequence != nullptr) {
        for (int q = 0; q < count; ++q) {
          const Row& g = row[kept[q]];
          std::copy(g.h, g.h + units, b.sequence + ((first + kept[q]) * steps + out_t) * units);
        }
      }
    }
    for (int r = 0; r < rows; ++r) {
      const int64_t n = first + r;
      if (b.h != nullptr) std::copy(row[r].h, row[r].h + units, b.h + n * units);
      if (b.c != nullptr) std::copy(row[r].c, row[r].c + units, b.c + n * units);
    }
  }
}

}  // namespace
#endif

bool own_cell_supports(const ir::RecurrentOp& op) {
#if STRATA_X86_64
  static const bool avx512 = __builtin_cpu_supports("avx512f");
#else
  const bool avx512 = false;
#endif
  if (!avx512) return false;
  auto plain = [](const detail::Activation& a, bool relu) {
    switch (a.kind) {
      case ActivationKind::kTanh:
      case ActivationKind::kSigmoid:
        return true;
      case ActivationKind::kRelu:
        // Keras's relu string only: slope 0, no cap, no threshold.
        return relu && a.alpha == 0.0f && a.threshold == 0.0f && std::isinf(a.max_value);
      default:
        return false;
    }
  };
  if (op.cell == Cell::kSimple) return plain(op.activation, true);
  return plain(op.activation, false) && plain(op.recurrent_activation, false);
}

void run_own_cell(const ir::RecurrentOp& op, const detail::RecurrentBuffers& b) {
#if !STRATA_X86_64
  (void)op;
  (void)b;
  throw InternalError("onednn: strata's recurrent cell runs only on x86-64 CPUs with AVX-512");
#else
  const int64_t units = op.recurrent_kernel->dims()[0];
  const int64_t width = op.gates() * units;
  const int64_t rows = b.batch * b.steps;
  thread_local ThreadBuffer projection;
  float* xw = static_cast<float*>(
      projection.at_least(sizeof(float) * static_cast<size_t>(rows * width), "a recurrent projection"));
  // Every step's input projection at once, then its bias (for a GRU with reset_after, the input half).
  const dnnl::status status = dnnl::sgemm('N', 'N', rows, width, b.features, 1.0f, b.x, b.features,
                                          op.kernel->data(), width, 0.0f, xw, width);
  if (status != dnnl::status::success)
    throw InternalError(
        fmt::format("onednn: sgemm of a recurrent projection failed ({})", static_cast<int>(status)));
  if (op.bias) {
    const float* bias = op.bias->data();
    for (int64_t r = 0; r < rows; ++r) {
      float* row = xw + r * width;
      for (int64_t j = 0; j < width; ++j) row[j] += bias[j];
    }
  }
  strata::parallel_for(0, b.batch, [&](int64_t begin, int64_t end) {
    thread_local ThreadBuffer work;
    run_rows(op, b, xw, begin, end,
             static_cast<float*>(work.at_least(sizeof(float) * static_cast<size_t>(work_floats(units, width)),
                                               "a recurrent cell")));
  });
  projection.trim(kKeptProjectionBytes);
#endif
}

}  // namespace strata::onednn
