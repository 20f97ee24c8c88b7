#pragma once
/// @file compile_options.hpp
/// Options of `Model::compile` and of `predict`.

#include <cstdint>
#include <string>

namespace strata {

/// How `Model::compile` lowers and runs the graph.
struct CompileOptions {
  /// The most threads a forward pass uses; 0 means every core this process may use (its CPU affinity
  /// mask, capped by a cgroup CPU quota). compile refuses more than 4 per usable core (ValueError naming
  /// the core count). With `adaptive_threads` (the default) a pass may use fewer; see
  /// there.
  int num_threads = 0;
  /// Share the cores with other work instead of assuming the machine is idle. Each forward pass takes its
  /// threads from one budget for the whole process (the usable cores), so concurrent predicts, on one
  /// CompiledModel or several, run side by side on fewer threads each (or wait for a core) rather than
  /// each starting a full team; and each input shape's passes are timed, so that when other processes
  /// take cores and a pass on every thread becomes much slower than usual (oneDNN's primitives split their
  /// work evenly and wait for the slowest thread), passes run on half the threads (or fewer) while that is
  /// faster; neighbouring counts are tried now and then at a cost of at most about 2% of the time run. The
  /// first thread to run a multi-threaded pass runs its own; other threads' multi-threaded passes run on
  /// strata's own team threads, so the process keeps few OpenMP pools. A plan is built per thread count
  /// used, so outputs may differ in the last bits between passes that ran on different counts. false:
  /// every pass runs on exactly `num_threads` threads (0: OpenMP's default, every core) on the calling
  /// thread.
  bool adaptive_threads = true;
  /// "onednn" (fused oneDNN primitives) or "reference" (naive loops, the test oracle).
  std::string backend = "onednn";
  /// "float32", or "bfloat16": convolutions, dense layers and the ops between them run in bfloat16, with
  /// float32 inputs and outputs at the model's boundary. bfloat16 needs a CPU with native bfloat16
  /// (AVX512-BF16); elsewhere compile throws ValueError rather than run an emulation slower than float32.
  std::string precision = "float32";
  /// Whether to run the folding, merging and fusion passes (batch norms and paddings folded into
  /// convolutions, repeated activations and poolings of one value merged, activations and residual adds
  /// fused). Off gives one primitive per op.
  bool fuse = true;
  /// Print the IR after each compiler pass to stderr. Also switched on by the environment variable
  /// `STRATA_DUMP_IR=1`.
  bool dump_ir = false;
  /// Run float32 3x3 convolutions with oneDNN's Winograd algorithm where it was measured faster than the
  /// direct one (stride 1, no dilation or groups, at least 32 channels in and out, an output of at least
  /// 4x4, no fused residual add), converting their inputs and outputs to and from the channel-blocked layout
  /// it needs. Its rounding error is of the same size as the direct algorithm's (docs/performance.md);
  /// its transformed weights take 1.8-4x the memory of the 3x3 kernels. false: every convolution direct.
  bool winograd = true;
  /// Free the layers' Keras-layout weight tensors once compiled, keeping only the plan's copies (backend
  /// "onednn" only; every model input needs known dimensions but the batch). compile builds the batch-1
  /// plan at once, then releases each weight that plan holds as a float32 copy in a plain or blocked layout
  /// (convolution and dense kernels, biases not folded into anything): the record keeps that copy alive
  /// (also once the plan is evicted) and, for a kernel a batch norm was folded into, the scale and 2 bits per
  /// element (plus rare exact values) that undo the scaling bit for bit. Weights the plan keeps only
  /// Winograd-transformed or in bfloat16, depthwise kernels, batch-norm and custom-layer weights stay as
  /// they are. Everything reading weights sees the same values: get_weights, save_weights and ONNX export
  /// rebuild a released tensor (a reorder, and the corrections), as do plans for other input shapes,
  /// which then share the released copy rather than make their own; set_weights and load_weights
  /// replace it with a normal tensor. The plan report (plan_string) ends with the count and bytes freed.
  /// compile changes the model then, so, like set_weights, it must not run while the model is in use
  /// in another thread. Throws ValueError for backend "reference" or an input with an unknown dimension.
  bool release_weights = false;
  /// What a forward pass does when an input or a weight holds NaN or an infinity. "keras" (the default):
  /// Keras's answer, NaN and infinities propagating as in Keras (relu(NaN) is NaN, maximum and max
  /// pooling propagate NaN). oneDNN's kernels would lose NaN, so such a pass runs the reference kernels:
  /// exact but single-threaded, about 30 times slower than the pass it replaces (ResNet50 at 224x224: 1.3 s
  /// against 46 ms on a Zen 3 core). "error": such a pass throws ValueError naming the input and the
  /// element's index (or the layer whose weight it is) instead, which a server that must not let one bad
  /// request cost a second of CPU wants. Passes with finite inputs and weights are the same either way.
  std::string non_finite = "keras";
};

/// Options of `predict`.
struct PredictOptions {
  /// Run the input in slices of this many samples, as Keras's `predict(x, batch_size)`; 0 runs the
  /// whole batch at once. The result is the same either way up to float32 rounding, and bitwise when the
  /// model was compiled with `winograd = false` (Winograd kernels tile differently for different batches).
  int64_t batch_size = 0;
};

}  // namespace strata
