#pragma once
// Records what the CPU and the GPU do over a stretch of work with LibTorch's
// Kineto profiler and writes it as a Chrome trace (chrome://tracing, Perfetto):
// every CUDA kernel with its start and duration, also those replayed from a
// CUDA graph. `livepuppet-cli bench --trace FILE` uses it to show where a
// frame's time goes and how much of it lies between kernels.
#include <memory>
#include <string>

namespace lp {

class KernelTrace {
 public:
  // Starts recording. Throws std::runtime_error where this LibTorch has no
  // working profiler (built without Kineto, or another profiler is on).
  KernelTrace();
  ~KernelTrace();  // stops recording if save() was not called
  KernelTrace(const KernelTrace&) = delete;
  KernelTrace& operator=(const KernelTrace&) = delete;

  // Stops recording and writes the trace; throws std::runtime_error naming the
  // file when it cannot be written.
  void save(const std::string& path);

 private:
  bool recording_ = false;
};

}  // namespace lp
