#pragma once
// Small timing helpers shared by the engine's benchmarks and per-stage timings.
#include <chrono>
#include <ctime>

namespace lp {

// Milliseconds of wall time since t0 (steady clock).
inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of the calling thread, in milliseconds: what a stage costs on a
// busy machine, where wall time also counts other processes.
inline double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace lp
