#pragma once
// strata's own recurrent cell: SimpleRNN, GRU and LSTM with oneDNN's cell activations (tanh, sigmoid; relu
// for SimpleRNN), the input projection of every step as one oneDNN sgemm and the steps in AVX-512, up to four
// rows at a time (each load of the recurrent kernel serves them all). It exists because oneDNN 2.6's RNN
// primitive is slow for small batches, hardly uses a second thread, and has no per-step mask (Keras's
// mask_zero and Masking). Measured on a 2-core AMD EPYC Zen 4, one thread, an LSTM of 200 steps, 128
// features and 64 units at batch 1: oneDNN's brgemm kernel 0.46 ms, this cell 0.30 ms (0.12 ms of it the
// projection, at the core's FMA peak; each step's product streams the 64 KB recurrent kernel from L2).
// recurrent.cpp chooses between the two by batch and threads. Where the CPU lacks AVX-512 the plan keeps
// oneDNN's primitive, and a masked layer the plain C++ cell.

#include "backend/recurrent_kernel.hpp"
#include "compiler/ir.hpp"

namespace strata::onednn {

/// True when this CPU can run the cell (AVX-512F) and `op`'s activations are ones it computes.
bool own_cell_supports(const ir::RecurrentOp& op);

/// Computes `op` on `b` exactly as detail::run_recurrent does (Keras's cells and masked loop), on the calling
/// thread's OpenMP team: the batch rows split over it, each thread running every step of its rows. Requires
/// own_cell_supports(op).
void run_own_cell(const ir::RecurrentOp& op, const detail::RecurrentBuffers& b);

}  // namespace strata::onednn
