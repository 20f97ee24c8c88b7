#include "runtime/compiled_model_impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "backend/onednn/onednn_executor.hpp"
#include "backend/reference/reference_executor.hpp"
#include "compiler/pipeline.hpp"
#include "core/finite.hpp"
#include "graph/functional.hpp"
#include "runtime/team_runner.hpp"
#include "runtime/thread_budget.hpp"
#include "strata/error.hpp"

namespace strata::detail {

namespace {

// The most threads per usable core num_threads may ask for (oversubscribing by a few is a legitimate
// experiment with adaptive_threads off).
constexpr int kMaxThreadsPerCore = 4;

}  // namespace

void validate_compile_options(const CompileOptions& options) {
  if (options.backend != "onednn" && options.backend != "reference") {
    throw ValueError(
        fmt::format("[compile] Unknown backend '{}'. Expected one of: onednn, reference", options.backend));
  }
  if (options.precision != "float32" && options.precision != "bfloat16") {
    throw ValueError(fmt::format("[compile] Unknown precision '{}'. Expected one of: float32, bfloat16",
                                 options.precision));
  }
  if (options.precision == "bfloat16") {
    if (options.backend == "reference") {
      throw ValueError(
          "[compile] The reference backend runs float32 only; precision 'bfloat16' needs backend 'onednn'");
    }
    check_precision_support(options.precision);
  }
  if (options.release_weights && options.backend != "onednn") {
    throw ValueError(
        fmt::format("[compile] release_weights needs backend 'onednn' (only its plans keep a copy of "
                    "the weights to rebuild them from), received backend '{}'",
                    options.backend));
  }
  if (options.non_finite != "keras" && options.non_finite != "error") {
    throw ValueError(
        fmt::format("[compile] Unknown non_finite '{}'. Expected one of: keras, error", options.non_finite));
  }
  if (options.num_threads < 0) {
    throw ValueError(fmt::format("[compile] Expected num_threads >= 0 (0 means all cores), received {}",
                                 options.num_threads));
  }
  // Far more threads than cores is a typo, not a plan: with adaptive_threads off libgomp would try to start
  // them all for every primitive.
  if (const int cores = usable_cores(); options.num_threads > kMaxThreadsPerCore * cores) {
    throw ValueError(fmt::format(
        "[compile] Expected num_threads at most {} ({} per usable core; this process may "
        "use {} core{}), received {}",
        kMaxThreadsPerCore * cores, kMaxThreadsPerCore, cores, cores == 1 ? "" : "s", options.num_threads));
  }
}

CompiledModelImpl::CompiledModelImpl(const FunctionalImpl* model, std::shared_ptr<const FunctionalImpl> owner,
                                     CompileOptions options)
    : model_(model), owner_(std::move(owner)), options_(std::move(options)) {
  validate_compile_options(options_);
  thread_counts_ = thread_counts(std::max(1, most_threads()));
}

void CompiledModelImpl::check_input_dtypes(const std::vector<const Tensor*>& inputs,
                                           const char* where) const {
  const auto& expected = model_->inputs();
  for (size_t i = 0; i < inputs.size() && i < expected.size(); ++i) {
    if (inputs[i]->dtype() != expected[i].dtype()) {
      throw ValueError(fmt::format("[{}] Input {} ('{}') expected {} values, received a {} tensor", where, i,
                                   expected[i].node()->layer->name(), dtype_name(expected[i].dtype()),
                                   dtype_name(inputs[i]->dtype())));
    }
    // from_bool checks its bytes, but raw_data() can write any: a 2 would be "true" to some steps and not
    // to a byte comparison.
    if (inputs[i]->dtype() == DType::kBool) {
      const uint8_t* b = inputs[i]->bool_data();
      for (int64_t k = 0; k < inputs[i]->size(); ++k) {
        if (b[k] > 1) {
          throw ValueError(
              fmt::format("[{}] Input {} ('{}') holds byte {} at element {} of a bool tensor; "
                          "expected 0 or 1",
                          where, i, expected[i].node()->layer->name(), b[k], k));
        }
      }
    }
  }
}

void CompiledModelImpl::check_input_dims(const std::vector<std::vector<int64_t>>& dims,
                                         const char* where) const {
  const auto& expected = model_->inputs();
  auto input_name = [&](size_t i) { return expected[i].node()->layer->name(); };
  if (dims.size() != expected.size()) {
    // Name every input with its shape, and every shape received, so the mix-up is visible.
    std::vector<std::string> wanted, received;
    for (size_t i = 0; i < expected.size(); ++i) {
      wanted.push_back(fmt::format("'{}' {}", input_name(i), expected[i].shape().to_string()));
    }
    for (const auto& d : dims) received.push_back(to_shape(d).to_string());
    throw ValueError(fmt::format("[{}] Model \"{}\" expects {} input tensor{} ({}), received {} ({})", where,
                                 model_->name(), expected.size(), expected.size() == 1 ? "" : "s",
                                 fmt::join(wanted, ", "), dims.size(), fmt::join(received, ", ")));
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    const Shape& want = expected[i].shape();
    bool ok = static_cast<int>(dims[i].size()) == want.rank();
    for (int d = 1; ok && d < want.rank(); ++d) ok = !want[d] || *want[d] == dims[i][d];
    if (!ok) {
      throw ShapeError(fmt::format("[{}] Input {} ('{}') expected shape {}, received {}", where, i,
                                   input_name(i), want.to_string(), to_shape(dims[i]).to_string()));
    }
    for (int64_t d : dims[i]) {
      if (d <= 0) {
        throw ShapeError(
            fmt::format("[{}] Input {} ('{}') is empty: expected shape {} with at least one sample "
                        "and no zero dimensions, received {}",
                        where, i, input_name(i), want.to_string(), to_shape(dims[i]).to_string()));
      }
    }
    if (dims[i][0] != dims[0][0]) {
      throw ShapeError(
          fmt::format("[{}] All inputs must have the same batch size; input 0 ('{}') has shape {}, "
                      "input {} ('{}') has shape {}",
                      where, input_name(0), to_shape(dims[0]).to_string(), i, input_name(i),
                      to_shape(dims[i]).to_string()));
    }
  }
}

int CompiledModelImpl::most_threads() const {
  if (!options_.adaptive_threads) return options_.num_threads;
  if (options_.backend == "reference") return 1;  // single-threaded loops: one plan, one budget thread
  const int cores = ThreadBudget::instance().capacity();
  return options_.num_threads > 0 ? std::min(options_.num_threads, cores) : cores;
}

CompiledModelImpl::ShapePlans& CompiledModelImpl::entry_for(
    const std::vector<std::vector<int64_t>>& input_dims) const {
  const uint64_t version = model_->weights_version();
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->dims != input_dims) continue;
    cache_.splice(cache_.begin(), cache_, it);
    // Weights changed since these plans were built. The chooser stays: new values run as fast as old.
    if (it->weights_version != version) {
      it->plans.clear();
      it->exact.reset();
      it->weights_version = version;
    }
    return *it;
  }
  cache_.push_front({input_dims, version, {}, {}, std::make_shared<ThreadChooser>(thread_counts_)});
  trim_cache();
  return cache_.front();
}

void CompiledModelImpl::trim_cache() const {
  while (cache_.size() > max_cached_) cache_.pop_back();
  auto held = [](const ShapePlans& entry) {
    int64_t bytes = entry.exact ? entry.exact->executor->held_bytes() : 0;
    for (const auto& plan : entry.plans) bytes += plan->executor->held_bytes();
    return bytes;
  };
  int64_t extra = 0;
  size_t index = 0;
  for (const ShapePlans& entry : cache_) {
    if (index++ >= min_cached_) extra += held(entry);
  }
  while (cache_.size() > min_cached_ && extra > extra_bytes_) {
    extra -= held(cache_.back());
    cache_.pop_back();
  }
}

namespace {

// Whether a weight is finite, read once per tensor: weights are immutable, and every plan of a model (each
// input shape and thread count) asks again; ConvNeXtXLarge's 1.4 GB took about 90 ms per plan. An entry is
// trusted only while its tensor lives (a freed address may hold another tensor later).
bool weight_finite(const std::shared_ptr<const Tensor>& w) {
  static std::mutex mutex;
  static std::map<const Tensor*, std::pair<std::weak_ptr<const Tensor>, bool>> known;
  {
    std::lock_guard lock(mutex);
    const auto it = known.find(w.get());
    if (it != known.end() && it->second.first.lock() == w) return it->second.second;
  }
  const bool finite = all_finite(w->data(), w->size());
  std::lock_guard lock(mutex);
  if (known.size() >= 4096)
    std::erase_if(known, [](const auto& entry) { return entry.second.first.expired(); });
  known[w.get()] = {w, finite};
  return finite;
}

// The layer of the first op holding a NaN or infinite weight, or empty when all are finite.
std::string non_finite_weight_layer(const ir::Graph& graph) {
  for (const ir::Op& op : graph.ops) {
    for (const auto& w : ir::op_weights(op)) {
      if (!weight_finite(w)) return op.layers.empty() ? std::string("?") : op.layers.front();
    }
  }
  return {};
}

}  // namespace

std::shared_ptr<const Plan> CompiledModelImpl::build_plan(const std::vector<std::vector<int64_t>>& input_dims,
                                                          int threads, bool exact) const {
  auto plan = std::make_shared<Plan>();
  CompileOptions options = options_;
  options.num_threads = threads;
  if (exact) {
    options.backend = "reference";
    options.precision = "float32";
    options.release_weights = false;
  }
  plan->threads = threads;
  // The reference backend runs the lowered program as it is and asks no rules.
  plan->graph = compile_program(*model_, input_dims, options,
                                options.backend == "onednn" ? onednn_rules() : BackendRules{});
  if (options.backend != "reference") plan->non_finite_weight_layer = non_finite_weight_layer(plan->graph);
  if (options.backend == "reference") {
    plan->executor = make_reference_executor(plan->graph);
  } else {
    plan->executor = make_onednn_executor(plan->graph, options);
    // Only the values are read from here on; the ops' kernels would keep released weights alive.
    plan->graph.ops.clear();
  }
  plan->weights_version = model_->weights_version();
#ifdef __GLIBC__
  // Building a plan frees large temporaries (a batch-norm-scaled copy of each kernel while it is reordered,
  // up to 9.4 MB for ResNet50); glibc keeps such freed blocks in its heap, and a ResNet50 process stayed
  // 20 MB larger than it needed to (measured: +278 MB, +258 MB after trimming). Once per plan, not per pass.
  malloc_trim(0);
#endif
  return plan;
}

std::shared_ptr<const Plan> CompiledModelImpl::plan_for(const std::vector<std::vector<int64_t>>& input_dims,
                                                        int threads) const {
  if (threads < 0) threads = most_threads();
  std::shared_ptr<const Plan> found;
  auto find = [&] {
    std::lock_guard lock(mutex_);
    ShapePlans& entry = entry_for(input_dims);
    for (const auto& plan : entry.plans) {
      if (plan->threads == threads) return plan;
    }
    // Built under the lock, as before: concurrent first calls for one shape build it once.
    entry.plans.push_back(build_plan(input_dims, threads));
    return entry.plans.back();
  };
  // oneDNN creates the primitives (and reorders the weights) with the team that will run them.
  if (threads > 1 && options_.adaptive_threads) {
    run_on_team_thread([&] { found = find(); });
  } else {
    found = find();
  }
  return found;
}

std::shared_ptr<const Plan> CompiledModelImpl::exact_plan_for(
    const std::vector<std::vector<int64_t>>& input_dims) const {
  std::lock_guard lock(mutex_);
  ShapePlans& entry = entry_for(input_dims);
  if (!entry.exact) entry.exact = build_plan(input_dims, 1, /*exact=*/true);
  return entry.exact;
}

namespace {

// Set on the thread running a pass while it runs. A pass started inside it (a custom layer's kernel calling
// predict) runs on that thread alone, outside the budget: waiting there for threads its own pass holds
// would never end.
thread_local bool running_pass = false;

}  // namespace

void CompiledModelImpl::with_threads(int threads, const std::function<void(int granted)>& work) const {
  if (!options_.adaptive_threads) {
    work(options_.num_threads);
    return;
  }
  if (running_pass) {
    work(1);
    return;
  }
  auto pass = [&](int granted) {
    running_pass = true;
    struct Reset {
      ~Reset() { running_pass = false; }
    } reset;
    work(granted);
  };
  const ThreadGrant grant(ThreadBudget::instance(), threads, thread_counts_);
  if (grant.threads() > 1) {
    run_on_team_thread([&] { pass(grant.threads()); });
  } else {
    pass(1);
  }
}

void CompiledModelImpl::throw_non_finite(const std::vector<const Tensor*>& inputs,
                                         const std::string& weight_layer) const {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = *inputs[i];
    if (t.dtype() != DType::kFloat32) continue;
    for (int64_t e = 0; e < t.size(); ++e) {
      const float v = t.data()[e];
      if (std::isfinite(v)) continue;
      std::vector<int64_t> index(t.dims().size());
      for (size_t d = index.size(), rest = static_cast<size_t>(e); d-- > 0;) {
        index[d] = static_cast<int64_t>(rest % static_cast<size_t>(t.dims()[d]));
        rest /= static_cast<size_t>(t.dims()[d]);
      }
      throw ValueError(fmt::format(
          "[predict] Input {} ('{}') holds {} at index ({}); expected finite values (compiled with "
          "non_finite = \"error\"; \"keras\" computes Keras's answer instead)",
          i, model_->inputs()[i].node()->layer->name(), v, fmt::join(index, ", ")));
    }
  }
  throw ValueError(
      fmt::format("[predict] Layer '{}' has a NaN or infinite weight; expected finite weights (compiled with "
                  "non_finite = \"error\"; \"keras\" computes Keras's answer instead)",
                  weight_layer));
}

std::vector<Tensor> CompiledModelImpl::run(const std::vector<const Tensor*>& inputs) const {
  std::vector<std::vector<int64_t>> dims;
  for (const Tensor* t : inputs) dims.push_back(t->dims());
  std::shared_ptr<ThreadChooser> chooser;
  if (options_.adaptive_threads) {
    std::lock_guard lock(mutex_);
    chooser = entry_for(dims).chooser;
  }
  std::vector<const void*> in;
  bool finite_inputs = true;
  for (const Tensor* t : inputs) {
    in.push_back(t->raw_data());
    if (t->dtype() == DType::kFloat32) finite_inputs = finite_inputs && all_finite(t->data(), t->size());
  }
  std::vector<Tensor> outputs;
  with_threads(chooser ? chooser->choose() : 0, [&](int threads) {
    std::shared_ptr<const Plan> plan = plan_for(dims, threads);
    // oneDNN 2.6's kernels lose NaN (its relu, clip, max pooling and binary max/min keep the other operand;
    // its exp clamps its argument), and infinities make NaN inside the network (inf - inf). Keras
    // propagates them, and so does the reference backend; a pass that meets them runs there instead.
    // Checking the inputs costs one read of them; a pass of a program with finite inputs and weights
    // cannot make NaN unless a value overflows float32.
    const bool exact =
        options_.backend != "reference" && (!finite_inputs || !plan->non_finite_weight_layer.empty());
    if (exact && options_.non_finite == "error") throw_non_finite(inputs, plan->non_finite_weight_layer);
    if (exact) plan = exact_plan_for(dims);
    for (ir::ValueId v : plan->graph.outputs) {
      const ir::Value& value = plan->graph.values[v];
      outputs.push_back(Tensor::zeros(value.dims, ir::tensor_dtype_of(value.dtype)));
    }
    std::vector<void*> out;
    for (Tensor& t : outputs) out.push_back(t.raw_data());
    const auto start = std::chrono::steady_clock::now();
    plan->executor->run(in, out);
    // A plan's first pass touches its arena's pages for the first time: a try of another thread count
    // would look slower than it is, so the chooser hears from the second pass on.
    if (chooser && !exact && plan->passes.fetch_add(1) > 0) {
      chooser->record(
          threads,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
  });
  return outputs;
}

namespace {

// Bytes, so that float and integer tensors slice alike.
Tensor slice_batch(const Tensor& t, int64_t begin, int64_t end) {
  std::vector<int64_t> dims = t.dims();
  dims[0] = end - begin;
  Tensor slice = Tensor::zeros(std::move(dims), t.dtype());
  const int64_t sample_bytes = t.nbytes() / t.dims()[0];
  std::memcpy(slice.raw_data(), static_cast<const uint8_t*>(t.raw_data()) + begin * sample_bytes,
              static_cast<size_t>(slice.nbytes()));
  return slice;
}

Tensor concat_batches(const std::vector<Tensor>& parts) {
  std::vector<int64_t> dims = parts.front().dims();
  dims[0] = 0;
  for (const Tensor& p : parts) dims[0] += p.dims()[0];
  Tensor whole = Tensor::zeros(std::move(dims), parts.front().dtype());
  auto* at = static_cast<uint8_t*>(whole.raw_data());
  for (const Tensor& p : parts) {
    std::memcpy(at, p.raw_data(), static_cast<size_t>(p.nbytes()));
    at += p.nbytes();
  }
  return whole;
}

}  // namespace

std::vector<Tensor> CompiledModelImpl::predict(const std::vector<const Tensor*>& inputs,
                                               const PredictOptions& options) const {
  std::vector<std::vector<int64_t>> dims;
  for (const Tensor* t : inputs) dims.push_back(t->dims());
  check_input_dims(dims, "predict");
  check_input_dtypes(inputs, "predict");
  if (options.batch_size < 0) {
    throw ValueError(fmt::format("[predict] Expected batch_size >= 0 (0 means the whole batch), received {}",
                                 options.batch_size));
  }
  const int64_t batch = inputs[0]->dims()[0];
  if (options.batch_size == 0 || options.batch_size >= batch) return run(inputs);
  // Slices of equal size reuse one cached plan; only the last, shorter slice may need a second one.
  std::vector<std::vector<Tensor>> per_output;
  for (int64_t begin = 0; begin < batch; begin += options.batch_size) {
    const int64_t end = std::min(batch, begin + options.batch_size);
    std::vector<Tensor> slice;
    for (const Tensor* t : inputs) slice.push_back(slice_batch(*t, begin, end));
    std::vector<const Tensor*> slice_ptrs;
    for (const Tensor& t : slice) slice_ptrs.push_back(&t);
    std::vector<Tensor> result = run(slice_ptrs);
    per_output.resize(result.size());
    for (size_t i = 0; i < result.size(); ++i) per_output[i].push_back(std::move(result[i]));
  }
  std::vector<Tensor> outputs;
  for (const auto& parts : per_output) outputs.push_back(concat_batches(parts));
  return outputs;
}

ProfileReport CompiledModelImpl::profile(const std::vector<Tensor>& inputs, int repetitions) const {
  if (repetitions < 1)
    throw ValueError(fmt::format("[profile] Expected repetitions >= 1, received {}", repetitions));
  std::vector<std::vector<int64_t>> dims;
  for (const Tensor& t : inputs) dims.push_back(t.dims());
  check_input_dims(dims, "profile");
  std::vector<const void*> in;
  for (const Tensor& t : inputs) in.push_back(t.raw_data());
  std::vector<const Tensor*> input_ptrs;
  for (const Tensor& t : inputs) input_ptrs.push_back(&t);
  check_input_dtypes(input_ptrs, "profile");
  run(input_ptrs);  // warm-up: first-touch of the arena, JIT caches
  std::vector<double> whole;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run(input_ptrs);
    whole.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  ProfileReport report;
  report.forward_milliseconds = median(whole);
  // Every step timed with the most threads a pass may use (fewer while other passes hold some).
  std::vector<StepProfile> steps;
  with_threads(most_threads(),
               [&](int threads) { steps = plan_for(dims, threads)->executor->profile(in, repetitions); });
  for (StepProfile& step : steps) {
    ProfileEntry entry{step.primitive, step.layers, step.implementation, median(step.milliseconds), 0.0, 0.0};
    if (step.flops > 0 && entry.milliseconds > 0) entry.gflops = step.flops / (entry.milliseconds * 1e6);
    report.total_milliseconds += entry.milliseconds;
    report.entries.push_back(std::move(entry));
  }
  for (ProfileEntry& e : report.entries) {
    e.share = report.total_milliseconds > 0 ? e.milliseconds / report.total_milliseconds : 0.0;
  }
  return report;
}

std::vector<std::vector<int64_t>> CompiledModelImpl::dims_for_batch(int64_t batch, const char* where,
                                                                    const char* remedy) const {
  if (batch <= 0)
    throw ValueError(fmt::format("[{}] Expected a positive batch size, received {}", where, batch));
  std::vector<std::vector<int64_t>> all;
  for (const SymbolicTensor& in : model_->inputs()) {
    std::vector<int64_t> dims{batch};
    for (int d = 1; d < in.shape().rank(); ++d) {
      if (!in.shape()[d]) {
        throw ValueError(fmt::format("[{}] Input '{}' has shape {} with an unknown dimension; {}", where,
                                     in.node()->layer->name(), in.shape().to_string(), remedy));
      }
      dims.push_back(*in.shape()[d]);
    }
    all.push_back(dims);
  }
  return all;
}

std::string CompiledModelImpl::plan_string(const std::vector<std::vector<int64_t>>& input_dims) const {
  check_input_dims(input_dims, "plan_string");
  std::shared_ptr<const Plan> plan = plan_for(input_dims);
  std::vector<std::string> shapes;
  for (const auto& dims : input_dims) shapes.push_back(to_shape(dims).to_string());
  const int steps = plan->executor->step_count();
  std::string text = fmt::format("Plan for model \"{}\", input {}: backend {}, {}, {} step{}\n",
                                 model_->name(), fmt::join(shapes, ", "), options_.backend,
                                 options_.precision, steps, steps == 1 ? "" : "s");
  text += plan->executor->plan_string();
  if (options_.release_weights) {
    text += fmt::format("  released at compile: {} of {} weights, {} bytes of Keras-layout tensors freed\n",
                        released_.weights, released_.candidates, released_.bytes);
  }
  return text;
}

void CompiledModelImpl::release_weights(FunctionalImpl& model) {
  // The batch-1 plan is built now so that its copies exist to release into; it may be evicted later, the
  // records keep the copies they use alive.
  const std::shared_ptr<const Plan> plan =
      plan_for(dims_for_batch(1, "compile", "release_weights needs every input's dimensions but the batch"));
  ReleaseReport report;
  report.bytes = model.release_weights([&](const std::shared_ptr<const Tensor>& weight) {
    ++report.candidates;
    std::shared_ptr<const ReleasedWeight> record = plan->executor->release(weight);
    if (record) ++report.weights;
    return record;
  });
  released_ = report;
#ifdef __GLIBC__
  malloc_trim(0);  // as after building a plan: return the freed tensors to the system
#endif
}

}  // namespace strata::detail
