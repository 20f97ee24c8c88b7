#pragma once
// Turns a planned IR graph into the oneDNN backend's steps: one primitive (or plain C++ kernel) per op, its
// arguments at arena offsets, and its weights reordered once into the layout the primitive chose. Each
// primitive family's add_* lives in its own file (convolution.cpp, transposed_convolution.cpp, pooling.cpp,
// elementwise.cpp, inner_product.cpp, normalization.cpp, data_movement.cpp, custom_op.cpp); add() dispatches
// to them with an exhaustive std::visit, so an IR op kind without a lowering here does not compile.

#include <cstdint>
#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <utility>
#include <vector>

#include "backend/onednn/descriptors.hpp"
#include "compiler/ir.hpp"
#include "strata/tensor.hpp"

namespace strata::onednn {

/// An activation argument of a step: which value, as which oneDNN argument, with which descriptor.
struct Arg {
  int arg;
  ir::ValueId value;
  memory::desc desc;
};

/// One step of a plan.
struct Step {
  dnnl::primitive primitive;
  /// Set for ops oneDNN has no primitive for: plain C++ run between primitives on the arena.
  std::function<void(uint8_t* arena)> kernel;
  std::vector<Arg> activations;
  std::vector<std::pair<int, memory>> constants;
  size_t scratchpad_bytes = 0;
  double flops = 0.0;
  // For the plan report.
  std::string chain, layers, implementation, layouts;
};

/// A weight reordered for a plan: the (possibly shared) copy, which the plan keeps alive (the cache holds
/// them weakly), and what it was made from, for release(): the source weakly, so that it can be freed.
struct Reordered {
  std::weak_ptr<const Tensor> source;
  std::shared_ptr<const Tensor> scale;
  memory::desc source_desc;
  std::shared_ptr<memory> copy;
};

class PlanBuilder {
 public:
  /// `graph` (after plan_memory) must outlive the builder; kernels capture arena offsets, not the builder.
  PlanBuilder(const ir::Graph& graph, const dnnl::engine& engine) : graph_(graph), engine_(engine) {}

  /// Appends the steps of `op`. Throws InternalError when oneDNN refuses a primitive the IR should allow.
  void add(const ir::Op& op);

  std::vector<Step> take_steps() { return std::move(steps_); }
  std::vector<Reordered> take_weights() { return std::move(weights_); }

 private:
  using Op = ir::Op;
  using ValueId = ir::ValueId;

  // convolution.cpp
  void add_conv(const Op& op, const ir::ConvOp& c);
  bool add_dense_as_conv(const Op& op, const ir::DenseOp& d);
  Step conv_step(const Op& op, const dnnl::convolution_forward::primitive_desc& pd);
  // transposed_convolution.cpp
  void add_transposed_conv(const Op& op, const ir::TransposedConvOp& t);
  // pooling.cpp
  void add_pool(const Op& op, const ir::PoolOp& p);
  // elementwise.cpp
  void add_activation(const Op& op, const ir::ActivationOp& a);
  void add_binary(const Op& op, const ir::BinaryOp& b_op);
  void add_broadcast_kernel(const Op& op, const ir::BinaryOp& b_op);
  void add_softmax(const Op& op, const ir::SoftmaxOp& s);
  void add_prelu(const Op& op, const ir::PReluOp& p);
  // inner_product.cpp
  void add_dense(const Op& op, const ir::DenseOp& d);
  // normalization.cpp
  void add_batch_norm(const Op& op, const ir::BatchNormOp& bn);
  memory channel_constant(const std::shared_ptr<const Tensor>& t, int64_t channels, float fill) const;
  // data_movement.cpp
  void add_pad(const Op& op, const ir::PadOp& p);
  void add_crop(const Op& op, const ir::CropOp& c);
  void add_upsample(const Op& op, const ir::UpsampleOp& u);
  void add_resize(const Op& op, const ir::ResizeOp& r);
  void add_concat(const Op& op, const ir::ConcatOp& c);
  void add_reduce(const Op& op, const ir::ReduceOp& r);
  void add_layer_norm(const Op& op, const ir::LayerNormOp& l);
  void add_matmul(const Op& op);
  void add_transpose(const Op& op, const ir::TransposeOp& t);
  // One reorder step from the op's input viewed as `src` to its output viewed as `dst`.
  void add_reorder(const Op& op, const memory::desc& src, const memory::desc& dst, std::string layouts);
  void add_convert(const Op& op);
  // recurrent.cpp
  void add_recurrent(const Op& op, const ir::RecurrentOp& r);
  /// One direction's primitive with its weights and arguments bound, not yet a step.
  struct RnnPrimitive {
    dnnl::primitive primitive;
    std::vector<std::pair<int, memory>> constants;
    std::vector<Arg> activations;
    memory::desc scratchpad;
    std::string implementation, name;
  };
  RnnPrimitive rnn_primitive(const ir::RecurrentHalf& half, const dnnl::primitive_attr& attr);
  void add_recurrent_half(const Op& op, const ir::RecurrentHalf& half);
  void add_concurrent_halves(const Op& op, const std::vector<ir::RecurrentHalf>& halves);
  void add_concurrent_own_cells(const Op& op, const std::vector<ir::RecurrentHalf>& halves);
  // custom_op.cpp
  void add_custom(const Op& op, const ir::CustomOp& custom);
  void add_elementwise(const Op& op, const ir::ElementwiseOp& e);
  void add_gather(const Op& op, const ir::GatherOp& g);
  void add_one_hot(const Op& op, const ir::OneHotOp& o);
  void add_constant(const Op& op, const ir::ConstantOp& c);

  // Shared by the families (plan_builder.cpp).
  /// Appends `step` as the primitive of `pd`, with `op`'s post-op chain and layers for the report.
  void finish_step(Step& step, const dnnl::primitive_desc_base& pd, const Op& op, std::string layouts);
  /// Whether `op` is a float32 convolution whose last post-op, swish, runs better as a step of its own.
  bool swish_apart(const Op& op) const;
  /// Appends strata's swish loop from `src` to `dst` (the same value for in place), reported as `op`.
  void add_swish_step(const Op& op, ValueId src, ValueId dst);
  /// Appends a plain C++ step; `kernel` gets the arena (capture offsets, never this builder).
  void add_kernel_step(const Op& op, std::function<void(uint8_t*)> kernel, std::string layouts);
  memory::desc desc_of(ValueId v) const { return value_desc(graph_, v); }
  int64_t offset_of(ValueId v) const { return graph_.values[v].offset; }
  /// Reorders a weight (times `scale` per output channel, when set: a folded batch norm) into the layout a
  /// primitive chose, sharing the copy with other plans that choose the same (onednn::reordered_weights).
  memory reorder_constant(const std::shared_ptr<const Tensor>& source, const memory::desc& source_desc,
                          const memory::desc& wanted, const std::shared_ptr<const Tensor>& scale = nullptr);
  /// A buffer for a reordered weight: large ones on transparent huge pages.
  std::shared_ptr<memory> constant_memory(const memory::desc& desc) const;
  /// Activations stay NHWC end to end: throws InternalError when a primitive chose another layout.
  void check_layout(const memory::desc& chosen, const memory::desc& wanted, const Op& op,
                    const char* what) const;

  const ir::Graph& graph_;
  dnnl::engine engine_;
  std::vector<Step> steps_;
  std::vector<Reordered> weights_;
  /// reorder_constant's scaled kernels, one at a time.
  std::vector<float> scaled_;
};

/// The float32 (or bfloat16 as bytes) data of the value at `offset` in `arena`.
inline float* floats_at(uint8_t* arena, int64_t offset) {
  return reinterpret_cast<float*>(arena + offset);
}

}  // namespace strata::onednn
