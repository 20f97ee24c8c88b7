#include "backend/onednn/plan_builder.hpp"

#include <fmt/format.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <variant>

#include "backend/onednn/released_weights.hpp"
#include "backend/swish_kernel.hpp"
#include "core/overloaded.hpp"
#include "strata/error.hpp"

namespace strata::onednn {

namespace {

// Values below which a convolution keeps its fused swish: a step of its own costs about a microsecond.
constexpr int64_t kSwishApartValues = 4096;

bool is_swish(const ir::PostOp& p) {
  return p.kind == ir::PostOp::Kind::kActivation && p.activation.kind == detail::ActivationKind::kSwish;
}

}  // namespace

bool PlanBuilder::swish_apart(const ir::Op& op) const {
  if (!std::holds_alternative<ir::ConvOp>(op.attrs) || op.post_ops.empty() || !is_swish(op.post_ops.back()))
    return false;
  const ir::Value& out = graph_.values[op.output()];
  return out.dtype == ir::DataType::kFloat32 && element_count(out.dims) >= kSwishApartValues &&
         detail::swish_kernel_supported();
}

void PlanBuilder::add_swish_step(const ir::Op& op, ValueId src, ValueId dst) {
  const int64_t from = offset_of(src), to = offset_of(dst);
  // The buffer's whole size: a blocked layout's padded channels hold zeros, which swish keeps.
  const auto count = static_cast<int64_t>(desc_of(dst).get_size() / sizeof(float));
  add_kernel_step(
      op,
      [from, to, count](uint8_t* arena) {
        detail::swish_kernel(floats_at(arena, from), floats_at(arena, to), count);
      },
      fmt::format("{} -> {}", layout_name(desc_of(src)), layout_name(desc_of(dst))));
}

void PlanBuilder::add(const ir::Op& op) {
  // A convolution's swish post-op runs after it in strata's own loop, in place: oneDNN 2.6's fused swish
  // costs more than the loop's separate pass over the output (backend/swish_kernel.hpp).
  if (swish_apart(op)) {
    ir::Op conv = op;
    conv.post_ops.pop_back();
    add(conv);
    const ir::Op swish{ir::ActivationOp{op.post_ops.back().activation},
                       {op.output()},
                       {op.output()},
                       {},
                       {op.layers.back()}};
    add_swish_step(swish, op.output(), op.output());
    return;
  }
  const size_t first = steps_.size();
  try {
    // One overload per IR op kind and no catch-all: a new kind without a lowering is a compile error here.
    std::visit(detail::Overloaded{
                   [&](const ir::ConvOp& c) { add_conv(op, c); },
                   [&](const ir::TransposedConvOp& t) { add_transposed_conv(op, t); },
                   [&](const ir::PoolOp& p) { add_pool(op, p); },
                   [&](const ir::ActivationOp& a) { add_activation(op, a); },
                   [&](const ir::BinaryOp& b) { add_binary(op, b); },
                   [&](const ir::ElementwiseOp& e) { add_elementwise(op, e); },
                   [&](const ir::GatherOp& g) { add_gather(op, g); },
                   [&](const ir::OneHotOp& o) { add_one_hot(op, o); },
                   [&](const ir::ConstantOp& c) { add_constant(op, c); },
                   [&](const ir::RecurrentOp& r) { add_recurrent(op, r); },
                   [&](const ir::SoftmaxOp& s) { add_softmax(op, s); },
                   [&](const ir::PReluOp& p) { add_prelu(op, p); },
                   [&](const ir::DenseOp& d) { add_dense(op, d); },
                   [&](const ir::BatchNormOp& bn) { add_batch_norm(op, bn); },
                   [&](const ir::PadOp& p) { add_pad(op, p); },
                   [&](const ir::CropOp& c) { add_crop(op, c); },
                   [&](const ir::UpsampleOp& u) { add_upsample(op, u); },
                   [&](const ir::ResizeOp& r) { add_resize(op, r); },
                   [&](const ir::ReshapeOp&) {},  // the output shares the input's buffer: no step
                   [&](const ir::ConcatOp& c) { add_concat(op, c); },
                   [&](const ir::ReduceOp& r) { add_reduce(op, r); },
                   [&](const ir::LayerNormOp& l) { add_layer_norm(op, l); },
                   [&](const ir::MatMulOp&) { add_matmul(op); },
                   [&](const ir::TransposeOp& t) { add_transpose(op, t); },
                   [&](const ir::CustomOp& c) { add_custom(op, c); },
                   [&](const ir::ConvertOp&) { add_convert(op); },
               },
               op.attrs);
  } catch (const dnnl::error& e) {
    throw InternalError(fmt::format("onednn: could not create the primitive for {} ({}): {}",
                                    fmt::join(op.layers, ", "), ir::post_op_chain(graph_, op), e.what()));
  } catch (const std::bad_alloc&) {
    throw ResourceError(fmt::format("onednn: could not allocate memory while building the step of {} ({})",
                                    fmt::join(op.layers, ", "), ir::post_op_chain(graph_, op)));
  }
  if (steps_.size() > first) steps_[first].flops = ir::op_flops(graph_, op);
}

void PlanBuilder::finish_step(Step& step, const dnnl::primitive_desc_base& pd, const ir::Op& op,
                              std::string layouts) {
  step.scratchpad_bytes = pd.scratchpad_desc().get_size();
  step.implementation = pd.impl_info_str();
  step.chain = ir::post_op_chain(graph_, op);
  step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
  step.layouts = std::move(layouts);
  steps_.push_back(std::move(step));
}

void PlanBuilder::add_kernel_step(const ir::Op& op, std::function<void(uint8_t*)> kernel,
                                  std::string layouts) {
  Step step;
  step.kernel = std::move(kernel);
  step.implementation = "strata:cpp";
  step.chain = ir::post_op_chain(graph_, op);
  step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
  step.layouts = std::move(layouts);
  steps_.push_back(std::move(step));
}

// Most of a large network's first plan build was the kernel zeroing the pages of its reordered weights, one
// 4 KiB fault at a time (ConvNeXtXLarge: 1.4 GB). Weights of 2 MiB or more get their own buffer, 2 MiB
// aligned and marked for transparent huge pages, so a fault brings in 2 MiB; where the kernel has no
// huge pages the advice does nothing.
std::shared_ptr<memory> PlanBuilder::constant_memory(const memory::desc& desc) const {
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t bytes = desc.get_size();
  if (bytes < kHuge) return std::make_shared<memory>(desc, engine_);
  const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  void* raw = std::aligned_alloc(kHuge, rounded);
  if (raw == nullptr) throw std::bad_alloc();
  ::madvise(raw, rounded, MADV_HUGEPAGE);
  memory* handle = nullptr;
  try {
    handle = new memory(desc, engine_, raw);
  } catch (...) {
    std::free(raw);
    throw;
  }
  // Should the control block fail to allocate, shared_ptr calls the deleter itself.
  return std::shared_ptr<memory>(handle, [raw](memory* m) {
    delete m;
    std::free(raw);
  });
}

// Plans for other input shapes (and other models built from the same weights) usually choose the same
// layout, so they share one reordered copy. The scaled kernel in Keras's layout is a temporary: the plan
// keeps only the reordered copy.
memory PlanBuilder::reorder_constant(const std::shared_ptr<const Tensor>& source,
                                     const memory::desc& source_desc, const memory::desc& wanted,
                                     const std::shared_ptr<const Tensor>& scale) {
  std::shared_ptr<memory> shared = reordered_weights().get({source, scale}, wanted, [&] {
    // The scaled kernel is a temporary in one buffer for the whole build: a fresh one per weight cost a
    // first touch of every page each time (ConvNeXtXLarge's LayerScale folds: 0.7 GB of them).
    const float* kernel = source->data();
    if (scale) {
      scaled_.resize(std::max(scaled_.size(), static_cast<size_t>(source->size())));
      ir::scale_kernel_into(*source, *scale, scaled_.data());
      kernel = scaled_.data();
    }
    memory user(source_desc, engine_, const_cast<float*>(kernel));
    std::shared_ptr<memory> out = constant_memory(wanted);
    dnnl::stream stream(engine_);
    dnnl::reorder(user, *out).execute(stream, user, *out);
    stream.wait();
    return out;
  });
  weights_.push_back({source, scale, source_desc, shared});
  return *shared;
}

// A primitive that wanted another layout would need a reorder here.
void PlanBuilder::check_layout(const memory::desc& chosen, const memory::desc& wanted, const ir::Op& op,
                               const char* what) const {
  if (chosen != wanted) {
    throw InternalError(fmt::format("onednn: the primitive for {} chose a {} layout {} instead of {}",
                                    fmt::join(op.layers, ", "), what, layout_name(chosen),
                                    layout_name(wanted)));
  }
}

}  // namespace strata::onednn
