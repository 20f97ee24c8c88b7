#include "backend/reference/reference_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <variant>

#include "backend/custom_kernel.hpp"
#include "backend/elementwise_kernel.hpp"
#include "backend/gather_kernel.hpp"
#include "backend/one_hot_kernel.hpp"
#include "backend/recurrent_kernel.hpp"
#include "backend/reference/kernels.hpp"
#include "core/overloaded.hpp"
#include "strata/error.hpp"

namespace strata::detail {
namespace {

int64_t count_of(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

class ReferenceExecutor : public Executor {
 public:
  explicit ReferenceExecutor(ir::Graph graph) : graph_(std::move(graph)) {}

  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) const override {
    run_timed(inputs, outputs, nullptr);
  }

  std::vector<StepProfile> profile(const std::vector<const void*>& inputs, int repetitions) const override {
    std::vector<StepProfile> result;
    for (const ir::Op& op : graph_.ops) {
      result.push_back(StepProfile{ir::post_op_chain(graph_, op), fmt::format("{}", fmt::join(op.layers, ", ")),
                                   "reference loops", {}, ir::op_flops(graph_, op)});
    }
    std::vector<std::vector<float>> outs(graph_.outputs.size());
    std::vector<void*> out_ptrs;
    for (size_t i = 0; i < outs.size(); ++i) {
      outs[i].resize(static_cast<size_t>(floats_of(graph_.outputs[i])));
      out_ptrs.push_back(outs[i].data());
    }
    for (int r = 0; r < repetitions; ++r) run_timed(inputs, out_ptrs, &result);
    return result;
  }

  int64_t element_size(ir::ValueId v) const { return ir::element_size(graph_.values[v].dtype); }

  // Float-sized slots holding value `v`: its element count, twice that for int64, a quarter (rounded up)
  // for bool.
  int64_t floats_of(ir::ValueId v) const {
    return (graph_.bytes(v) + static_cast<int64_t>(sizeof(float)) - 1) / static_cast<int64_t>(sizeof(float));
  }

  void run_timed(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                 std::vector<StepProfile>* timings) const {
    // Fresh buffers per call: simple, and trivially safe across threads. An integer or bool value's buffer
    // holds its bytes as they are.
    std::vector<std::vector<float>> buffers(graph_.values.size());
    auto buffer = [&](ir::ValueId v) -> std::vector<float>& {
      if (buffers[v].empty()) buffers[v].resize(static_cast<size_t>(floats_of(v)));
      return buffers[v];
    };
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<float>& b = buffer(graph_.inputs[i]);
      std::memcpy(b.data(), inputs[i], static_cast<size_t>(graph_.bytes(graph_.inputs[i])));
    }
    for (size_t index = 0; index < graph_.ops.size(); ++index) {
      const ir::Op& op = graph_.ops[index];
      const auto start = std::chrono::steady_clock::now();
      std::vector<float>& dst = buffer(op.output());
      const auto& dst_dims = graph_.values[op.output()].dims;
      const ir::ValueId in0 = op.inputs.empty() ? -1 : op.inputs[0];
      // One overload per IR op kind and no catch-all: a new kind without a kernel is a compile error here.
      std::visit(
          Overloaded{
              [&](const ir::ConvOp& c) {
                reference::conv(c, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::TransposedConvOp& t) {
                reference::transposed_conv(t, graph_.values[in0].dims, buffer(in0).data(), dst_dims,
                                           dst.data());
              },
              [&](const ir::PoolOp& p) {
                reference::pool(p, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::ActivationOp& a) {
                reference::activation(a.activation, buffer(in0).data(), dst.data(),
                                      static_cast<int64_t>(dst.size()));
              },
              [&](const ir::BinaryOp& b) {
                const ir::ValueId in1 = op.inputs[1];
                reference::binary(b, graph_.values[in0].dims, buffer(in0).data(), graph_.values[in1].dims,
                                  buffer(in1).data(), dst_dims, dst.data());
              },
              [&](const ir::ElementwiseOp& e) {
                std::vector<ElementwiseInput> srcs;
                for (ir::ValueId v : op.inputs) {
                  srcs.push_back({graph_.values[v].dims, graph_.values[v].dtype, buffer(v).data()});
                }
                run_elementwise(e, srcs, dst_dims, graph_.values[op.output()].dtype, dst.data());
              },
              [&](const ir::RecurrentOp&) {
                for (const ir::RecurrentHalf& half : ir::recurrent_halves(op)) {
                  RecurrentBuffers b;
                  const auto& in = graph_.values[half.sequence].dims;
                  b.batch = in[0];
                  b.steps = in[1];
                  b.features = in[2];
                  b.x = buffer(half.sequence).data();
                  if (!half.initial.empty()) b.h0 = buffer(half.initial[0]).data();
                  if (half.initial.size() > 1) b.c0 = buffer(half.initial[1]).data();
                  if (half.mask >= 0) b.mask = reinterpret_cast<const uint8_t*>(buffer(half.mask).data());
                  b.sequence = buffer(half.outputs[0]).data();
                  b.h = buffer(half.outputs[1]).data();
                  if (half.outputs.size() > 2) b.c = buffer(half.outputs[2]).data();
                  run_recurrent(*half.attrs, b);
                }
              },
              [&](const ir::ConstantOp& c) {
                std::memcpy(dst.data(), c.value->raw_data(), static_cast<size_t>(graph_.bytes(op.output())));
              },
              [&](const ir::GatherOp& g) {
                run_gather(g, graph_.values[in0].dims, graph_.values[in0].dtype, buffer(in0).data(),
                           dst.data());
              },
              [&](const ir::OneHotOp& o) {
                run_one_hot(o, graph_.values[in0].dims, graph_.values[in0].dtype, buffer(in0).data(),
                            dst.data());
              },
              [&](const ir::SoftmaxOp& s) {
                reference::softmax(s, dst_dims, buffer(in0).data(), dst.data());
              },
              [&](const ir::DenseOp& d) {
                reference::dense(d, count_of(dst_dims) / dst_dims.back(), buffer(in0).data(), dst.data());
              },
              [&](const ir::BatchNormOp& bn) {
                reference::batch_norm(bn, dst_dims, buffer(in0).data(), dst.data());
              },
              [&](const ir::PadOp& p) {
                reference::pad(p, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::CropOp& c) {
                reference::crop(c, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::ResizeOp& r) {
                reference::resize(r, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::UpsampleOp& u) {
                reference::upsample(u, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::ReshapeOp&) {
                const std::vector<float>& src = buffer(in0);
                std::copy(src.begin(), src.end(), dst.begin());
              },
              [&](const ir::ConcatOp& c) {
                std::vector<std::vector<int64_t>> dims;
                std::vector<const void*> srcs;
                for (ir::ValueId v : op.inputs) {
                  dims.push_back(graph_.values[v].dims);
                  srcs.push_back(buffer(v).data());
                }
                reference::concat(c.axis, dims, srcs, dst_dims, dst.data(), element_size(op.output()));
              },
              [&](const ir::MatMulOp&) {
                const ir::ValueId in1 = op.inputs[1];
                reference::matmul(graph_.values[in0].dims, buffer(in0).data(), graph_.values[in1].dims,
                                  buffer(in1).data(), dst_dims, dst.data());
              },
              [&](const ir::PReluOp& p) { reference::prelu(p, dst_dims, buffer(in0).data(), dst.data()); },
              [&](const ir::LayerNormOp& l) {
                reference::layer_norm(l, dst_dims, buffer(in0).data(), dst.data());
              },
              [&](const ir::ReduceOp& r) {
                reference::reduce(r, graph_.values[in0].dims, buffer(in0).data(), dst_dims, dst.data());
              },
              [&](const ir::TransposeOp& t) {
                reference::transpose(t, graph_.values[in0].dims, buffer(in0).data(), dst.data(),
                                     element_size(op.output()));
              },
              [&](const ir::CustomOp& custom) {
                std::vector<CustomInput> srcs;
                for (ir::ValueId v : op.inputs) {
                  srcs.push_back({graph_.values[v].dims, graph_.values[v].dtype, buffer(v).data()});
                }
                std::vector<std::vector<int64_t>> out_dims;
                std::vector<float*> dsts;
                for (ir::ValueId v : op.outputs) {
                  out_dims.push_back(graph_.values[v].dims);
                  dsts.push_back(buffer(v).data());
                }
                run_custom_op(custom, srcs, out_dims, dsts);
              },
              [&](const ir::ConvertOp&) {
                throw InternalError(
                    "reference executor: a conversion reached the oracle; it runs the lowered program only");
              },
          },
          op.attrs);
      if (!op.post_ops.empty()) {
        throw InternalError("reference executor: fused post-ops reached the oracle; it runs unfused programs only");
      }
      if (timings != nullptr) {
        (*timings)[index].milliseconds.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      const std::vector<float>& b = buffer(graph_.outputs[i]);
      std::memcpy(outputs[i], b.data(), static_cast<size_t>(graph_.bytes(graph_.outputs[i])));
    }
  }

  std::string plan_string() const override {
    std::string text;
    int i = 0;
    for (const ir::Op& op : graph_.ops) {
      text += fmt::format("  {:>3}  {:<22} {:<24} {}\n", i++, ir::post_op_chain(graph_, op), "reference loops",
                          fmt::join(op.layers, ", "));
    }
    return text;
  }

  int step_count() const override { return static_cast<int>(graph_.ops.size()); }

 private:
  ir::Graph graph_;
};

}  // namespace

std::unique_ptr<Executor> make_reference_executor(const ir::Graph& graph) {
  return std::make_unique<ReferenceExecutor>(graph);
}

}  // namespace strata::detail
