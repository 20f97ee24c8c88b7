#pragma once
// Naive kernels, written straight from the definitions: the oracle the oneDNN plans are tested against.
// They share no code with the oneDNN backend.

#include <cstdint>
#include <vector>

#include "compiler/ir.hpp"

namespace strata::reference {

/// Channels-last convolution over 1 to 3 spatial axes with Keras's kernel layout (spatial..., in / groups,
/// out), groups, dilation, explicit padding, and optional bias.
void conv(const ir::ConvOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst);
/// Channels-last transposed convolution over 1 to 3 spatial axes with Keras's kernel layout (spatial..., out,
/// in): each output cell gathers the input cells whose window (of the forward convolution) covers it.
void transposed_conv(const ir::TransposedConvOp& op, const std::vector<int64_t>& src_dims, const float* src,
                     const std::vector<int64_t>& dst_dims, float* dst);
/// Channels-last max or average pooling over 1 to 3 spatial axes; average divides by the count of cells
/// inside the input.
void pool(const ir::PoolOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst);
/// dst[i] = activation(src[i]).
void activation(const detail::Activation& activation, const float* src, float* dst, int64_t count);
/// Element-wise binary op with size-1 broadcasting (dimensions aligned at the end).
void binary(const ir::BinaryOp& op, const std::vector<int64_t>& a_dims, const float* a,
            const std::vector<int64_t>& b_dims, const float* b, const std::vector<int64_t>& dst_dims, float* dst);
/// Softmax or log-softmax over the op's axis, in double.
void softmax(const ir::SoftmaxOp& op, const std::vector<int64_t>& dims, const float* src, float* dst);
/// dst (rows, out) = src (rows, in) x kernel (in, out) + bias.
void dense(const ir::DenseOp& op, int64_t rows, const float* src, float* dst);
/// gamma * (x - mean) / sqrt(variance + epsilon) + beta over the last axis.
void batch_norm(const ir::BatchNormOp& op, const std::vector<int64_t>& dims, const float* src, float* dst);
/// Zero padding of the spatial axes (1 to 3) of a channels-last value.
void pad(const ir::PadOp& op, const std::vector<int64_t>& src_dims, const float* src,
         const std::vector<int64_t>& dst_dims, float* dst);
/// Cropping of the spatial axes (1 to 3) of a channels-last value.
void crop(const ir::CropOp& op, const std::vector<int64_t>& src_dims, const float* src,
          const std::vector<int64_t>& dst_dims, float* dst);
/// Nearest upsampling of the spatial axes (1 to 3): dst[h][w] = src[h / factors[0]][w / factors[1]].
void upsample(const ir::UpsampleOp& op, const std::vector<int64_t>& src_dims, const float* src,
              const std::vector<int64_t>& dst_dims, float* dst);
/// TensorFlow's half-pixel resize of the spatial axes (ir::ResizeOp), in double.
void resize(const ir::ResizeOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst);
/// Concatenation along `axis` of elements of `element_size` bytes (any type: data is only moved).
void concat(int axis, const std::vector<std::vector<int64_t>>& src_dims, const std::vector<const void*>& srcs,
            const std::vector<int64_t>& dst_dims, void* dst, int64_t element_size);

/// The batched matrix product of `a` (..., M, K) and `b` (..., K, N), leading axes broadcast; double sums.
void matmul(const std::vector<int64_t>& a_dims, const float* a, const std::vector<int64_t>& b_dims,
            const float* b, const std::vector<int64_t>& dst_dims, float* dst);
/// Layer normalization over the last axis, statistics in double.
/// Keras's PReLU, alpha broadcast over the axes where its dims are 1 (dims: the whole input, batch first).
void prelu(const ir::PReluOp& op, const std::vector<int64_t>& dims, const float* src, float* dst);
void layer_norm(const ir::LayerNormOp& op, const std::vector<int64_t>& dims, const float* src, float* dst);
/// Keras's sum, mean, max or min over `op.axes`, which `dst_dims` keep with size 1. Accumulates in double.
void reduce(const ir::ReduceOp& op, const std::vector<int64_t>& src_dims, const float* src,
            const std::vector<int64_t>& dst_dims, float* dst);
/// dst axis i = src axis op.perm[i], for elements of `element_size` bytes (any type).
void transpose(const ir::TransposeOp& op, const std::vector<int64_t>& src_dims, const void* src, void* dst,
               int64_t element_size);

}  // namespace strata::reference
