#pragma once
// `livepuppet-cli bench`: times the neural pipeline through NeuralAnimator's
// public API on random inputs and prints JSON (p50/p90 per stage, FPS, peak
// device memory, source preparation time).
#include <ostream>
#include <string>

namespace lp {

struct BenchOptions {
  std::string models_dir;
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "auto";  // auto | fp32 | fp16
  int frames = 300;                // timed driving frames (batches when batch > 1)
  int warmup = 20;                 // untimed calls first (cuDNN autotuning, allocator)
  int batch = 1;                   // driving frames per animate_batch call
  bool optimize = false;           // ModelSetOptions::optimize (freeze + optimize_for_inference)
  bool cuda_graphs = false;        // NeuralAnimator::set_cuda_graphs
  bool channels_last = false;      // ModelSetOptions::channels_last
  bool smoothing = false;          // AnimationParams::smoothing (One-Euro on the driving motion)
  bool prepare_graph = true;       // NeuralAnimator::set_prepare_graph (with cuda_graphs)
  bool compiled = true;            // ModelSetOptions::compiled (AOTInductor packages, when present)
  // Not with suite: after the timed calls, 20 more calls recorded as a Chrome
  // trace into this file (KernelTrace: every CPU op and CUDA kernel, graph
  // replays included), to see where a frame's time goes.
  std::string trace_path;
  // suite: every configuration of the performance issue in one process (eager
  // fp32, eager fp16, eager fp16 frozen, graphs fp16 at batch 1/4/16, GPU
  // pre-processing; TorchScript rows, then compiled-package rows when the
  // folder has them), so that the ratios are fair; prints one JSON object.
  bool suite = false;
  std::string baseline_json;       // suite: models/bench_pytorch_baseline.py output, for the speed-up
};

// Returns the exit status (2 when the models cannot be loaded; message on err).
int run_bench(const BenchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace lp
