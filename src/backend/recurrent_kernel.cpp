#include "backend/recurrent_kernel.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "strata/parallel.hpp"

namespace strata::detail {
namespace {

using Cell = ir::RecurrentOp::Cell;

// out[r, :] = in[r, :] @ w (rows x k by k x cols), plus bias when given; rows split over the team.
void project(const float* in, int64_t rows, int64_t k, const float* w, const float* bias, int64_t cols,
             float* out) {
  strata::parallel_for(0, rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* o = out + r * cols;
      if (bias != nullptr) {
        std::copy(bias, bias + cols, o);
      } else {
        std::fill(o, o + cols, 0.0f);
      }
      const float* a = in + r * k;
      for (int64_t i = 0; i < k; ++i) {
        const float v = a[i];
        const float* row = w + i * cols;
        for (int64_t j = 0; j < cols; ++j) o[j] += v * row[j];
      }
    }
  });
}

}  // namespace

void run_recurrent(const ir::RecurrentOp& op, const RecurrentBuffers& b) {
  const int64_t units = op.recurrent_kernel->dims()[0];
  const int64_t gates = op.gates();
  const int64_t width = gates * units;
  const int64_t n_rows = b.batch, steps = b.steps;
  const float* bias = op.bias ? op.bias->data() : nullptr;
  // GRU with reset_after: the input bias goes with the input projection, the recurrent one with the state's.
  const bool split_bias = op.cell == Cell::kGru && op.reset_after && bias != nullptr;
  const float* recurrent_bias = split_bias ? bias + width : nullptr;

  // Every step's input projection at once: (batch * steps, width).
  std::vector<float> xw(static_cast<size_t>(n_rows * steps * width));
  project(b.x, n_rows * steps, b.features, op.kernel->data(), bias, width, xw.data());

  std::vector<float> h(static_cast<size_t>(n_rows * units), 0.0f), c(h.size(), 0.0f);
  if (b.h0 != nullptr) std::copy(b.h0, b.h0 + h.size(), h.begin());
  if (b.c0 != nullptr && op.cell == Cell::kLstm) std::copy(b.c0, b.c0 + c.size(), c.begin());
  const float* rk = op.recurrent_kernel->data();
  auto act = [&](float v) { return apply_activation(op.activation, v); };
  auto gate = [&](float v) { return apply_activation(op.recurrent_activation, v); };

  // Keras's masked loop (backend rnn, TensorFlow's while_loop form): a skipped step keeps the states and
  // outputs the last output written, zeros before any (or always, with zero_output_for_mask). For these cells
  // the output is h, so "the last output" is h once a step of the row has counted.
  std::vector<uint8_t> counted(static_cast<size_t>(n_rows), 0);
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = op.backwards ? steps - 1 - k : k;
    const int64_t out_t = op.backwards && !op.aligned ? k : t;
    strata::parallel_for(0, n_rows, [&](int64_t begin, int64_t end) {
      std::vector<float> z(static_cast<size_t>(width)), hr(static_cast<size_t>(units));
      for (int64_t n = begin; n < end; ++n) {
        float* hn = h.data() + n * units;
        float* cn = c.data() + n * units;
        if (b.mask != nullptr && b.mask[n * steps + t] == 0) {
          if (b.sequence != nullptr) {
            float* o = b.sequence + (n * steps + out_t) * units;
            if (counted[static_cast<size_t>(n)] != 0 && !op.zero_output_for_mask) {
              std::copy(hn, hn + units, o);
            } else {
              std::fill(o, o + units, 0.0f);
            }
          }
          continue;
        }
        counted[static_cast<size_t>(n)] = 1;
        const float* x = xw.data() + (n * steps + t) * width;
        // The state's projection; for a GRU without reset_after only the gates' part (its candidate
        // multiplies the reset state first).
        const int64_t direct = op.cell == Cell::kGru && !op.reset_after ? 2 * units : width;
        if (recurrent_bias != nullptr) {
          std::copy(recurrent_bias, recurrent_bias + width, z.begin());
        } else {
          std::fill(z.begin(), z.end(), 0.0f);
        }
        for (int64_t i = 0; i < units; ++i) {
          const float v = hn[i];
          const float* row = rk + i * width;
          for (int64_t j = 0; j < direct; ++j) z[static_cast<size_t>(j)] += v * row[j];
        }
        switch (op.cell) {
          case Cell::kSimple:
            for (int64_t j = 0; j < units; ++j) hn[j] = act(x[j] + z[static_cast<size_t>(j)]);
            break;
          case Cell::kLstm:
            for (int64_t j = 0; j < units; ++j) {
              const float i_gate = gate(x[j] + z[static_cast<size_t>(j)]);
              const float f_gate = gate(x[units + j] + z[static_cast<size_t>(units + j)]);
              const float cand = act(x[2 * units + j] + z[static_cast<size_t>(2 * units + j)]);
              const float o_gate = gate(x[3 * units + j] + z[static_cast<size_t>(3 * units + j)]);
              cn[j] = f_gate * cn[j] + i_gate * cand;
              hn[j] = o_gate * act(cn[j]);
            }
            break;
          case Cell::kGru: {
            std::vector<float> update(static_cast<size_t>(units));
            for (int64_t j = 0; j < units; ++j) {
              update[static_cast<size_t>(j)] = gate(x[j] + z[static_cast<size_t>(j)]);
              const float reset = gate(x[units + j] + z[static_cast<size_t>(units + j)]);
              // reset_after: r * (h @ R_h + b_h); before: (r * h) @ R_h.
              hr[static_cast<size_t>(j)] =
                  op.reset_after ? reset * z[static_cast<size_t>(2 * units + j)] : reset * hn[j];
            }
            std::vector<float> cand(static_cast<size_t>(units));
            if (op.reset_after) {
              for (int64_t j = 0; j < units; ++j)
                cand[static_cast<size_t>(j)] = act(x[2 * units + j] + hr[static_cast<size_t>(j)]);
            } else {
              for (int64_t j = 0; j < units; ++j) cand[static_cast<size_t>(j)] = x[2 * units + j];
              for (int64_t i = 0; i < units; ++i) {
                const float v = hr[static_cast<size_t>(i)];
                const float* row = rk + i * width + 2 * units;
                for (int64_t j = 0; j < units; ++j) cand[static_cast<size_t>(j)] += v * row[j];
              }
              for (float& v : cand) v = act(v);
            }
            for (int64_t j = 0; j < units; ++j) {
              const float u = update[static_cast<size_t>(j)];
              hn[j] = u * hn[j] + (1.0f - u) * cand[static_cast<size_t>(j)];
            }
            break;
          }
        }
        if (b.sequence != nullptr) std::copy(hn, hn + units, b.sequence + (n * steps + out_t) * units);
      }
    });
  }
  if (b.h != nullptr) std::copy(h.begin(), h.end(), b.h);
  if (b.c != nullptr) std::copy(c.begin(), c.end(), b.c);
}

}  // namespace strata::detail
