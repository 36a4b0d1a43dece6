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
};

// Returns the exit status (2 when the models cannot be loaded; message on err).
int run_bench(const BenchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace lp
