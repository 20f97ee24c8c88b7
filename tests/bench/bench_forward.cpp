// Forward-pass benchmark: the seed notebook's two residual blocks (batch 1 and 64) and a ResNet50-style
// stack of bottleneck blocks at 224x224, each on one thread and on all cores, against the machine's
// measured single-core FMA peak. A program run by hand, never a timed test: timings on a shared machine
// are noisy, so it reports medians (and the best run) and says how far it is from the peak.
//
//   bench_forward [--quick] [--threads N] [--only NAME] [--resnet-batch B[,B...]] [--plan]
//
// GFLOP/s counts only the convolutions' multiply-accumulates (2 FLOP each), computed here from the layer
// shapes (the usual count: ResNet50's 3.86 G multiply-accumulates); pooling, adds and activations are not
// counted, so the figure is a lower bound on the work done. Each time is one call of the public
// CompiledModel::predict(const Tensor&), input copy-in and output allocation included.
//
// Profiling: ONEDNN_VERBOSE=1 prints each primitive execution with its time; tests/bench/onednn_profile.py
// turns that log into a per-layer table (see its header).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <strata/strata.hpp>

#include "peak_flops.hpp"

namespace {

namespace L = strata::layers;
using strata::SymbolicTensor;

// Counts each convolution's multiply-accumulates per image as the model is built:
// out_h * out_w * filters * kernel_h * kernel_w * in_channels / groups.
class MacCounter {
 public:
  SymbolicTensor conv(const SymbolicTensor& x, int filters, int kernel, L::Conv2DOptions options = {}) {
    const SymbolicTensor y = L::Conv2D(filters, kernel, options)(x);
    const strata::Shape& in = x.shape();
    const strata::Shape& out = y.shape();
    const int64_t in_channels = *in[3];
    macs_ += *out[1] * *out[2] * *out[3] * kernel * kernel * in_channels / options.groups;
    ++convs_;
    return y;
  }
  int64_t macs() const { return macs_; }
  int convs() const { return convs_; }

 private:
  int64_t macs_ = 0;
  int convs_ = 0;
};

struct Workload {
  std::string name;
  strata::Model model;
  std::vector<int64_t> image_dims;  // without the batch
  int64_t macs_per_image;
  int convs;
};

// The seed notebook's first block (as tests/unit/test_util.hpp builds it): projected 1x1 shortcut.
Workload seed_block_1() {
  MacCounter count;
  auto inputs = strata::Input({32, 32, 3});
  auto x = count.conv(inputs, 32, 3, {.activation = "relu"});
  auto residual = x;
  x = count.conv(x, 64, 3, {.padding = "same", .activation = "relu"});
  residual = count.conv(residual, 64, 1);
  x = L::add({x, residual});
  return {
      "seed_block_1", strata::Model(inputs, x, "residual_block"), {32, 32, 3}, count.macs(), count.convs()};
}

// The seed notebook's second block: max-pooled main path, strided 1x1 shortcut.
Workload seed_block_2() {
  MacCounter count;
  auto inputs = strata::Input({32, 32, 3});
  auto x = count.conv(inputs, 32, 3, {.activation = "relu"});
  auto residual = x;
  x = count.conv(x, 64, 3, {.padding = "same", .activation = "relu"});
  x = L::MaxPooling2D(2, {.padding = "same"})(x);
  residual = count.conv(residual, 64, 1, {.strides = 2});
  x = L::add({x, residual});
  return {
      "seed_block_2", strata::Model(inputs, x, "residual_block_2"), {32, 32, 3}, count.macs(), count.convs()};
}

// keras.applications.ResNet50's convolutions without BatchNormalization or the classifier: a 7x7/2 stem
// and 3x3/2 max pool (`same` padding gives the 112 and 56 that Keras gets from ZeroPadding2D + valid), then
// stages of bottleneck blocks, the first of each with a projected 1x1 shortcut and the stage's stride on
// its first 1x1, as Keras's `stack1`/`block1` do, and a relu after each residual add.
Workload resnet_stack() {
  MacCounter count;
  auto inputs = strata::Input({224, 224, 3});
  auto x = count.conv(inputs, 64, 7, {.strides = 2, .padding = "same", .activation = "relu"});
  x = L::MaxPooling2D(3, {.strides = 2, .padding = "same"})(x);
  struct Stage {
    int filters, blocks, stride;
  };
  for (const Stage& stage : {Stage{64, 3, 1}, Stage{128, 4, 2}, Stage{256, 6, 2}, Stage{512, 3, 2}}) {
    for (int b = 0; b < stage.blocks; ++b) {
      const int stride = b == 0 ? stage.stride : 1;
      const SymbolicTensor shortcut = b == 0 ? count.conv(x, 4 * stage.filters, 1, {.strides = stride}) : x;
      auto y = count.conv(x, stage.filters, 1, {.strides = stride, .activation = "relu"});
      y = count.conv(y, stage.filters, 3, {.padding = "same", .activation = "relu"});
      y = count.conv(y, 4 * stage.filters, 1);
      x = L::add({shortcut, y});
      x = L::Activation("relu")(x);
    }
  }
  return {"resnet50_stack",
          strata::Model(inputs, x, "resnet50_stack"),
          {224, 224, 3},
          count.macs(),
          count.convs()};
}

struct Options {
  bool quick = false;
  bool print_plans = false;
  int threads = 0;  // 0: both 1 and all cores
  std::string only;
  std::vector<int64_t> resnet_batches{1};
};

struct Row {
  std::string name;
  int64_t batch;
  int threads;
  int steps;
  double median_ms, min_ms;
  double median_cpu_ms;  // the calling thread's CPU time per forward pass (meaningful for one thread only)
  double gflop;          // per forward pass
  int reps;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The "N steps" at the end of plan_string's first line.
int parse_step_count(const std::string& plan) {
  const std::string first = plan.substr(0, plan.find('\n'));
  const size_t at = first.rfind(" step");
  if (at == std::string::npos) throw std::runtime_error("no step count in plan line: " + first);
  size_t begin = at;
  while (begin > 0 && first[begin - 1] >= '0' && first[begin - 1] <= '9') --begin;
  return std::stoi(first.substr(begin, at - begin));
}

Row time_forward(const Workload& w, int64_t batch, int threads, const Options& opt) {
  using clock = std::chrono::steady_clock;
  const strata::CompiledModel compiled = w.model.compile({.num_threads = threads});
  // Builds (and caches) the plan for this batch, so compilation stays out of the timings.
  const std::string plan = compiled.plan_string(batch);
  if (opt.print_plans) std::printf("%s", plan.c_str());
  const int steps = parse_step_count(plan);
  std::vector<int64_t> dims{batch};
  dims.insert(dims.end(), w.image_dims.begin(), w.image_dims.end());
  const strata::Tensor input = strata::Tensor::random_uniform(dims, /*seed=*/1);

  struct Timing {
    double wall_ms, cpu_ms;
  };
  auto run_once = [&] {
    const double cpu_start = strata_bench::thread_cpu_seconds();
    const auto start = clock::now();
    const strata::Tensor out = compiled.predict(input);
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    if (out.size() == 0) throw std::runtime_error("empty output");
    return Timing{ms, 1e3 * (strata_bench::thread_cpu_seconds() - cpu_start)};
  };

  const double warmup_s = opt.quick ? 0.3 : 1.0;
  const double budget_s = opt.quick ? 0.5 : 3.0;
  const int min_reps = opt.quick ? 5 : 20, max_reps = opt.quick ? 50 : 1000;

  const auto warm_start = clock::now();
  for (int n = 0; n < 2 || std::chrono::duration<double>(clock::now() - warm_start).count() < warmup_s; ++n) {
    run_once();
  }
  std::vector<double> times, cpu_times;
  const auto start = clock::now();
  while (static_cast<int>(times.size()) < max_reps &&
         (static_cast<int>(times.size()) < min_reps ||
          std::chrono::duration<double>(clock::now() - start).count() < budget_s)) {
    const Timing t = run_once();
    times.push_back(t.wall_ms);
    cpu_times.push_back(t.cpu_ms);
  }
  return {w.name,
          batch,
          threads,
          steps,
          median(times),
          *std::min_element(times.begin(), times.end()),
          median(cpu_times),
          2.0 * static_cast<double>(w.macs_per_image) * static_cast<double>(batch) * 1e-9,
          static_cast<int>(times.size())};
}

// The 1-minute load average, to tell a quiet run from one that shared its cores (Linux; "?" elsewhere).
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one_minute;
  return in >> one_minute ? one_minute : "?";
}

[[noreturn]] void usage(const char* argv0, int code) {
  std::fprintf(
      code == 0 ? stdout : stderr,
      "usage: %s [--quick] [--threads N] [--only NAME] [--resnet-batch B[,B...]] [--plan]\n"
      "  --quick           shorter warm-up and fewer repetitions\n"
      "  --threads N       time with N threads only (default: 1 and all cores)\n"
      "  --only NAME       only workloads whose name contains NAME (seed_block_1, resnet50_stack, ...)\n"
      "  --resnet-batch B  batch sizes for the ResNet stack (default 1)\n"
      "  --plan            print each plan report (CompiledModel::plan_string) before timing it\n",
      argv0);
  std::exit(code);
}

Options parse_args(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0], 2);
      return argv[++i];
    };
    if (arg == "--quick") {
      opt.quick = true;
    } else if (arg == "--threads") {
      opt.threads = std::stoi(value());
      if (opt.threads <= 0) usage(argv[0], 2);
    } else if (arg == "--only") {
      opt.only = value();
    } else if (arg == "--resnet-batch") {
      opt.resnet_batches.clear();
      const std::string list = value();
      for (size_t begin = 0; begin < list.size();) {
        const size_t end = std::min(list.find(',', begin), list.size());
        opt.resnet_batches.push_back(std::stoll(list.substr(begin, end - begin)));
        begin = end + 1;
      }
      if (opt.resnet_batches.empty()) usage(argv[0], 2);
    } else if (arg == "--plan") {
      opt.print_plans = true;
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0], 0);
    } else {
      usage(argv[0], 2);
    }
  }
  return opt;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> thread_counts =
      opt.threads > 0 ? std::vector<int>{opt.threads} : std::vector<int>{1, cores};
  thread_counts.erase(std::unique(thread_counts.begin(), thread_counts.end()), thread_counts.end());

  // The peak is measured before and after the workloads and the better kept, so a burst of load from
  // elsewhere during one of the two does not set the reference.
  const int peak_trials = opt.quick ? 50 : 150;
  const double peak_trial_s = 0.002;
  const strata_bench::PeakResult peak_before =
      strata_bench::measure_single_core_peak(peak_trials, peak_trial_s);
  std::printf(
      "single-core peak (%s FMA loop, %d trials of %.0f ms): %.1f GFLOP/s best, %.1f median, %.1f by CPU "
      "time; %d cores; load average %s\n",
      peak_before.isa.c_str(), peak_trials, 1e3 * peak_trial_s, peak_before.gflops, peak_before.median_gflops,
      peak_before.cpu_gflops, cores, load_average().c_str());

  std::vector<std::pair<Workload, std::vector<int64_t>>> workloads;
  workloads.emplace_back(seed_block_1(), std::vector<int64_t>{1, 64});
  workloads.emplace_back(seed_block_2(), std::vector<int64_t>{1, 64});
  workloads.emplace_back(resnet_stack(), opt.resnet_batches);

  std::vector<Row> rows;
  for (const auto& [w, batches] : workloads) {
    if (!opt.only.empty() && w.name.find(opt.only) == std::string::npos) continue;
    std::printf("%s: %d convolutions, %.3f GMAC per image\n", w.name.c_str(), w.convs,
                static_cast<double>(w.macs_per_image) * 1e-9);
    for (int64_t batch : batches) {
      for (int threads : thread_counts) {
        const Row r = time_forward(w, batch, threads, opt);
        std::printf("  batch %3lld, %d thread%s: median %9.3f ms, min %9.3f ms, %7.1f GFLOP/s",
                    static_cast<long long>(r.batch), r.threads, r.threads == 1 ? " " : "s", r.median_ms,
                    r.min_ms, r.gflop / r.median_ms * 1e3);
        if (r.threads == 1) std::printf(", thread CPU %9.3f ms", r.median_cpu_ms);
        std::printf(" (%d runs)\n", r.reps);
        std::fflush(stdout);
        rows.push_back(r);
      }
    }
  }

  const strata_bench::PeakResult peak_after =
      strata_bench::measure_single_core_peak(peak_trials, peak_trial_s);
  std::printf("single-core peak again: %.1f GFLOP/s best, %.1f median, %.1f by CPU time; load average %s\n",
              peak_after.gflops, peak_after.median_gflops, peak_after.cpu_gflops, load_average().c_str());
  const double peak = std::max(peak_before.gflops, peak_after.gflops);
  const double peak_cpu = std::max(peak_before.cpu_gflops, peak_after.cpu_gflops);

  std::printf(
      "\n| model | batch | threads | steps | median ms | min ms | GFLOP/s | %% of peak | CPU ms | "
      "%% of peak by CPU time |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    const double gflops = r.gflop / r.median_ms * 1e3;
    std::string cpu_columns = "- | -";
    if (r.threads == 1) {
      char text[64];
      std::snprintf(text, sizeof text, "%.3f | %.1f%%", r.median_cpu_ms,
                    100.0 * r.gflop / r.median_cpu_ms * 1e3 / peak_cpu);
      cpu_columns = text;
    }
    std::printf("| %s | %lld | %d | %d | %.3f | %.3f | %.1f | %.1f%% | %s |\n", r.name.c_str(),
                static_cast<long long>(r.batch), r.threads, r.steps, r.median_ms, r.min_ms, gflops,
                100.0 * gflops / (peak * r.threads), cpu_columns.c_str());
  }
  std::printf(
      "\nGFLOP/s: the convolutions' MACs (2 FLOP each) over the median wall time. %% of peak: against "
      "threads x the single-core peak of %.1f GFLOP/s (%s FMA loop, best trial before or after). CPU ms "
      "(one thread only): median CPU time of the thread that ran the pass; %% of peak by CPU time: GFLOP "
      "per CPU-second against the FMA loop's %.1f, a ratio that time spent descheduled by other load does "
      "not dilute. (Linux counts other threads' CPU time only at ticks, so no CPU column for several.)\n",
      peak, peak_before.isa.c_str(), peak_cpu);
  return 0;
}
