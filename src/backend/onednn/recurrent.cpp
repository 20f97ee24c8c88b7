// The recurrent family: Keras's SimpleRNN, GRU and LSTM as one oneDNN RNN primitive per layer (vanilla RNN,
// GRU, linear-before-reset GRU for Keras 3's reset_after, LSTM), reading the batch-major (N, T, C) sequence
// in place (oneDNN's ntc) and writing the outputs and the last states straight to the arena. Small batches
// (any batch up to 32 on two threads) and masked layers run strata's own AVX-512 cell instead
// (recurrent_cell.hpp). oneDNN's cells have fixed activations (tanh and sigmoid; a vanilla RNN also relu):
// one that neither cell has runs the plain C++ kernel the reference executor uses.

#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <unordered_map>

#include "backend/onednn/plan_builder.hpp"
#include "backend/onednn/recurrent_cell.hpp"
#include "backend/onednn/thread_buffer.hpp"
#include "backend/recurrent_kernel.hpp"
#include "strata/error.hpp"
#include "strata/parallel.hpp"

namespace strata::onednn {
namespace {

using Cell = ir::RecurrentOp::Cell;
using detail::ActivationKind;

// The vanilla RNN cell's activation, if oneDNN has it.
std::optional<dnnl::algorithm> vanilla_activation(const detail::Activation& a) {
  switch (a.kind) {
    case ActivationKind::kTanh:
      return dnnl::algorithm::eltwise_tanh;
    case ActivationKind::kSigmoid:
      return dnnl::algorithm::eltwise_logistic;
    case ActivationKind::kRelu:
      // Keras's relu activation string: slope 0, no cap, no threshold.
      if (a.alpha == 0.0f && a.threshold == 0.0f && std::isinf(a.max_value))
        return dnnl::algorithm::eltwise_relu;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Where strata's own cell beats oneDNN's primitive, measured on a 2-core AMD EPYC Zen 4 with an LSTM of 200
// steps, 128 features and 64 units (docs/performance.md): on one thread up to batch 2 (0.64x and 0.86x
// oneDNN's time; 0.97-1.00x at 4 and 8, 1.09-1.10x from 16, as the input projection, an sgemm in both, takes
// over); on two threads at every batch measured up to 32 (0.42-0.87x: the cell splits the rows over the
// threads, oneDNN's primitive hardly uses the second one); and every masked layer, since oneDNN has no
// per-step mask. More threads are not measured: there oneDNN's primitive keeps batches above 2.
constexpr int64_t kOwnCellMaxBatch = 2;
constexpr int64_t kOwnCellMaxTwoThreadBatch = 32;

// `threads`: the threads the layer's step runs on (one for each half of a Bidirectional run at once).
bool runs_own_cell(const ir::RecurrentOp& r, int64_t batch, int threads) {
  if (!own_cell_supports(r)) return false;
  return r.masked || batch <= kOwnCellMaxBatch || (threads == 2 && batch <= kOwnCellMaxTwoThreadBatch);
}

// The buffers of one half in the arena, by offset (-1 for none).
struct HalfOffsets {
  int64_t batch = 0, steps = 0, features = 0;
  int64_t x = -1, h0 = -1, c0 = -1, mask = -1, sequence = -1, h = -1, c = -1;

  detail::RecurrentBuffers at(uint8_t* arena) const {
    detail::RecurrentBuffers b;
    b.batch = batch;
    b.steps = steps;
    b.features = features;
    b.x = floats_at(arena, x);
    b.h0 = h0 >= 0 ? floats_at(arena, h0) : nullptr;
    b.c0 = c0 >= 0 ? floats_at(arena, c0) : nullptr;
    b.mask = mask >= 0 ? arena + mask : nullptr;
    b.sequence = floats_at(arena, sequence);
    b.h = floats_at(arena, h);
    b.c = c >= 0 ? floats_at(arena, c) : nullptr;
    return b;
  }
};

HalfOffsets half_offsets(const ir::Graph& graph, const ir::RecurrentHalf& half) {
  auto offset = [&](ir::ValueId v) { return graph.values[v].offset; };
  const auto& in = graph.values[half.sequence].dims;
  HalfOffsets o;
  o.batch = in[0];
  o.steps = in[1];
  o.features = in[2];
  o.x = offset(half.sequence);
  if (!half.initial.empty()) o.h0 = offset(half.initial[0]);
  if (half.initial.size() > 1) o.c0 = offset(half.initial[1]);
  if (half.mask >= 0) o.mask = offset(half.mask);
  o.sequence = offset(half.outputs[0]);
  o.h = offset(half.outputs[1]);
  if (half.attrs->cell == Cell::kLstm) o.c = offset(half.outputs[2]);
  return o;
}

// Runs run(0) and run(1) at once, each on an OpenMP thread of its own (oneDNN runs a primitive called inside
// a parallel region on the calling thread alone); rethrows the first exception once both are done.
void on_two_threads(const std::function<void(int)>& run) {
  std::exception_ptr error;
#pragma omp parallel for num_threads(2) schedule(static, 1)
  for (int i = 0; i < 2; ++i) {
    try {
      run(i);
    } catch (...) {
#pragma omp critical(strata_recurrent_error)
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

bool onednn_has_cell(const ir::RecurrentOp& r) {
  if (r.cell == Cell::kSimple) return vanilla_activation(r.activation).has_value();
  return r.activation.kind == ActivationKind::kTanh &&
         r.recurrent_activation.kind == ActivationKind::kSigmoid;
}

// One RNN primitive and its descriptor, whatever the cell.
struct Made {
  dnnl::primitive primitive;
  std::unique_ptr<dnnl::rnn_primitive_desc_base> pd;
  const char* name = "";
};

template <class Primitive>
Made make(const typename Primitive::desc& desc, const dnnl::primitive_attr& attr, const dnnl::engine& engine,
          const char* name) {
  auto pd = std::make_unique<typename Primitive::primitive_desc>(desc, attr, engine);
  Made made{Primitive(*pd), nullptr, name};
  made.pd = std::move(pd);
  return made;
}

}  // namespace

void PlanBuilder::add_recurrent(const ir::Op& op, const ir::RecurrentOp&) {
  if (!op.post_ops.empty()) throw InternalError("onednn: post-ops fused into a recurrent step");
  const std::vector<ir::RecurrentHalf> halves = ir::recurrent_halves(op);
  // oneDNN's RNN primitives hardly use a second thread (measured on a 2-core AMD EPYC: an LSTM of 200 steps
  // at batch 1 took about as long on two threads as on one), so with two threads or more the halves of a
  // Bidirectional layer run at once, one thread each.
  // Measured only up to two threads: with more, a large batch would lose the threads each primitive can use,
  // so then only small batches (where a primitive cannot use them anyway) run at once.
  const int threads = omp_get_max_threads();
  const int64_t batch = graph_.values[op.inputs[0]].dims[0];
  // Halves that strata's own cell runs faster on one thread each run at once, one thread each: on two
  // threads that balances them whatever the batch; on more, only while rows are too few to split.
  if (halves.size() == 2 && runs_own_cell(*halves[0].attrs, batch, 1) &&
      runs_own_cell(*halves[1].attrs, batch, 1) && (threads == 2 || (threads > 2 && batch < threads))) {
    add_concurrent_own_cells(op, halves);
    return;
  }
  const bool concurrent = halves.size() == 2 && (threads == 2 || (threads > 2 && batch <= 8)) &&
                          !halves[0].attrs->masked && onednn_has_cell(*halves[0].attrs) &&
                          onednn_has_cell(*halves[1].attrs) &&
                          !(halves[0].attrs->backwards && !halves[0].attrs->aligned) &&
                          !(halves[1].attrs->backwards && !halves[1].attrs->aligned);
  if (concurrent) {
    add_concurrent_halves(op, halves);
    return;
  }
  for (const ir::RecurrentHalf& half : halves) add_recurrent_half(op, half);
}

PlanBuilder::RnnPrimitive PlanBuilder::rnn_primitive(const ir::RecurrentHalf& half,
                                                     const dnnl::primitive_attr& attr) {
  const ir::RecurrentOp& r = *half.attrs;
  const auto& in = graph_.values[half.sequence].dims;
  const int64_t batch = in[0], steps = in[1], features = in[2];
  const int64_t units = r.recurrent_kernel->dims()[0];
  const int64_t gates = r.gates();
  const bool given_h = !half.initial.empty(), given_c = half.initial.size() > 1;
  const bool has_c = r.cell == Cell::kLstm;
  using dt = memory::data_type;
  const memory::desc src_layer({steps, batch, features}, dt::f32, tag::ntc);
  const memory::desc dst_layer({steps, batch, units}, dt::f32, tag::ntc);
  const memory::desc state({1, 1, batch, units}, dt::f32, tag::ldnc);
  const memory::desc none;
  const memory::desc weights_layer({1, 1, features, gates, units}, dt::f32, tag::any);
  const memory::desc weights_iter({1, 1, units, gates, units}, dt::f32, tag::any);
  const bool lbr = r.cell == Cell::kGru && r.reset_after;
  const int64_t bias_gates = lbr ? gates + 1 : gates;
  const memory::desc bias_desc({1, 1, bias_gates, units}, dt::f32, tag::ldgo);
  const auto direction = r.backwards ? dnnl::rnn_direction::unidirectional_right2left
                                     : dnnl::rnn_direction::unidirectional_left2right;
  const auto prop = dnnl::prop_kind::forward_inference;
  const memory::desc src_iter = given_h ? state : none;

  Made made;
  switch (r.cell) {
    case Cell::kSimple:
      made = make<dnnl::vanilla_rnn_forward>(
          {prop, *vanilla_activation(r.activation), direction, src_layer, src_iter, weights_layer,
           weights_iter, bias_desc, dst_layer, state},
          attr, engine_, "vanilla_rnn");
      break;
    case Cell::kGru:
      made = lbr ? make<dnnl::lbr_gru_forward>({prop, direction, src_layer, src_iter, weights_layer,
                                                weights_iter, bias_desc, dst_layer, state},
                                               attr, engine_, "lbr_gru")
                 : make<dnnl::gru_forward>({prop, direction, src_layer, src_iter, weights_layer, weights_iter,
                                            bias_desc, dst_layer, state},
                                           attr, engine_, "gru");
      break;
    case Cell::kLstm:
      made = make<dnnl::lstm_forward>({prop, direction, src_layer, src_iter, given_c ? state : none,
                                       weights_layer, weights_iter, bias_desc, dst_layer, state, state},
                                      attr, engine_, "lstm");
      break;
  }
  RnnPrimitive out;
  out.primitive = made.primitive;
  out.scratchpad = made.pd->scratchpad_desc();
  out.implementation = made.pd->impl_info_str();
  out.name = made.name;
  // Keras's (F, gates * units) kernel is oneDNN's ldigo with one layer and one direction, byte for byte.
  const memory::desc keras_layer({1, 1, features, gates, units}, dt::f32, tag::ldigo);
  const memory::desc keras_iter({1, 1, units, gates, units}, dt::f32, tag::ldigo);
  out.constants.emplace_back(DNNL_ARG_WEIGHTS_LAYER,
                             reorder_constant(r.kernel, keras_layer, made.pd->weights_layer_desc()));
  out.constants.emplace_back(DNNL_ARG_WEIGHTS_ITER,
                             reorder_constant(r.recurrent_kernel, keras_iter, made.pd->weights_iter_desc()));
  // The bias in oneDNN's gates: a linear-before-reset GRU adds the input and recurrent biases of the update
  // and reset gates before the sigmoid (one sum), and keeps the candidate's two apart.
  memory bias(bias_desc, engine_);
  float* b = static_cast<float*>(bias.get_data_handle());
  std::fill(b, b + bias_gates * units, 0.0f);
  if (r.bias) {
    const float* k = r.bias->data();
    if (lbr) {
      for (int64_t j = 0; j < 3 * units; ++j) b[j] = k[j];
      for (int64_t j = 0; j < 2 * units; ++j) b[j] += k[3 * units + j];
      for (int64_t j = 0; j < units; ++j) b[3 * units + j] = k[5 * units + j];
    } else {
      std::copy(k, k + gates * units, b);
    }
  }
  out.constants.emplace_back(DNNL_ARG_BIAS, bias);
  out.activations = {{DNNL_ARG_SRC_LAYER, half.sequence, src_layer},
                     {DNNL_ARG_DST_LAYER, half.outputs[0], dst_layer},
                     {DNNL_ARG_DST_ITER, half.outputs[1], state}};
  if (given_h) out.activations.push_back({DNNL_ARG_SRC_ITER, half.initial[0], state});
  if (given_c) out.activations.push_back({DNNL_ARG_SRC_ITER_C, half.initial[1], state});
  if (has_c) out.activations.push_back({DNNL_ARG_DST_ITER_C, half.outputs[2], state});
  return out;
}

void PlanBuilder::add_recurrent_half(const ir::Op& op, const ir::RecurrentHalf& half) {
  const ir::RecurrentOp& r = *half.attrs;
  const auto& in = graph_.values[half.sequence].dims;
  const int64_t batch = in[0], steps = in[1];
  const int64_t units = r.recurrent_kernel->dims()[0];
  if (runs_own_cell(r, batch, omp_get_max_threads())) {
    add_kernel_step(
        op, [r, at = half_offsets(graph_, half)](uint8_t* arena) { run_own_cell(r, at.at(arena)); },
        r.masked ? "ntc, masked steps (strata's AVX-512 cell)" : "ntc (strata's AVX-512 cell)");
    return;
  }
  // oneDNN's RNN primitives have no per-step mask: a masked layer runs Keras's loop in plain C++.
  if (!onednn_has_cell(r) || r.masked) {
    add_kernel_step(
        op, [r, at = half_offsets(graph_, half)](uint8_t* arena) { detail::run_recurrent(r, at.at(arena)); },
        r.masked ? "ntc, masked steps (plain C++ cell)" : "ntc (plain C++ cell)");
    return;
  }
  RnnPrimitive p = rnn_primitive(half, attributes(op));
  Step step;
  step.primitive = p.primitive;
  step.constants = p.constants;
  step.activations = p.activations;
  step.scratchpad_bytes = p.scratchpad.get_size();
  step.implementation = p.implementation;
  step.chain = ir::post_op_chain(graph_, op);
  step.layers = fmt::format("{}", fmt::join(op.layers, ", "));
  step.layouts = fmt::format("ntc -> ntc, {} {}", p.name, r.backwards ? "right-to-left" : "left-to-right");
  steps_.push_back(std::move(step));
  // Keras's go_backwards returns the outputs in the order it computed them; oneDNN writes output t for
  // input t. One in-place pass over the time axis turns one into the other.
  if (r.backwards && !r.aligned) {
    add_kernel_step(
        op,
        [batch, steps, units, seq = offset_of(half.outputs[0])](uint8_t* arena) {
          float* s = floats_at(arena, seq);
          strata::parallel_for(0, batch, [&](int64_t begin, int64_t end) {
            for (int64_t n = begin; n < end; ++n) {
              float* row = s + n * steps * units;
              for (int64_t t = 0; t < steps / 2; ++t)
                std::swap_ranges(row + t * units, row + (t + 1) * units, row + (steps - 1 - t) * units);
            }
          });
        },
        "ntc, time reversed in place (go_backwards)");
  }
}

// Both halves in one plain C++ step that runs each primitive on its own OpenMP thread (oneDNN runs a
// primitive called inside a parallel region on the calling thread alone). Each thread's scratchpad is its
// own buffer, kept per thread (64-byte aligned, as the arena), so concurrent predicts (other threads) never
// share one; it lives as long as the thread, grown to the largest half it ran.
void PlanBuilder::add_concurrent_halves(const ir::Op& op, const std::vector<ir::RecurrentHalf>& halves) {
  struct Bound {
    dnnl::primitive primitive;
    std::vector<std::pair<int, memory>> constants;
    std::vector<std::pair<int, std::pair<int64_t, memory::desc>>> activations;
    memory::desc scratchpad;
  };
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  std::vector<Bound> bound;
  std::string implementation;
  for (const ir::RecurrentHalf& half : halves) {
    RnnPrimitive p = rnn_primitive(half, attr);
    Bound b{p.primitive, p.constants, {}, p.scratchpad};
    for (const Arg& a : p.activations) b.activations.push_back({a.arg, {offset_of(a.value), a.desc}});
    bound.push_back(std::move(b));
    implementation = p.implementation;
  }
  add_kernel_step(
      op,
      [bound, engine = engine_](uint8_t* arena) {
        on_two_threads([&](int i) {
          const Bound& b = bound[static_cast<size_t>(i)];
          thread_local ThreadBuffer scratch;
          std::unordered_map<int, memory> args;
          for (const auto& [arg, m] : b.constants) args.emplace(arg, m);
          for (const auto& [arg, where] : b.activations)
            args.emplace(arg, memory(where.second, engine, arena + where.first));
          args.emplace(DNNL_ARG_SCRATCHPAD,
                       memory(b.scratchpad, engine,
                              scratch.at_least(b.scratchpad.get_size(), "recurrent scratchpad")));
          dnnl::stream stream(engine);
          b.primitive.execute(stream, args);
          stream.wait();
        });
      },
      fmt::format("ntc -> ntc, both directions at once ({})", implementation));
}

// Both halves of a Bidirectional layer in strata's own cell at once, one thread each.
void PlanBuilder::add_concurrent_own_cells(const ir::Op& op, const std::vector<ir::RecurrentHalf>& halves) {
  add_kernel_step(
      op,
      [forward = *halves[0].attrs, backward = *halves[1].attrs, f = half_offsets(graph_, halves[0]),
       b = half_offsets(graph_, halves[1])](uint8_t* arena) {
        on_two_threads([&](int i) { run_own_cell(i == 0 ? forward : backward, (i == 0 ? f : b).at(arena)); });
      },
      halves[0].attrs->masked ? "ntc, masked steps, both directions at once (strata's AVX-512 cell)"
                              : "ntc, both directions at once (strata's AVX-512 cell)");
}

}  // namespace strata::onednn
