#include "core/kernel_trace.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <fstream>
#include <set>
#include <stdexcept>

namespace lp {
namespace {

namespace prof = torch::profiler::impl;

std::set<prof::ActivityType> activities() { return {prof::ActivityType::CPU, prof::ActivityType::CUDA}; }

void start() {
  const prof::ProfilerConfig config(prof::ProfilerState::KINETO);
  torch::autograd::profiler::prepareProfiler(config, activities());
  torch::autograd::profiler::enableProfiler(config, activities());
}

// LibTorch's messages carry a stack trace after the first line.
std::string first_line(const std::exception& e) {
  const std::string s = e.what();
  return s.substr(0, s.find('\n'));
}

}  // namespace

KernelTrace::KernelTrace() {
  if (prof::profilerEnabled()) throw std::runtime_error("another profiler is already recording");
  try {
    // A LibTorch built without Kineto (Debian's) records but refuses to save:
    // find that out now, with an empty trace, not after the work.
    start();
    torch::autograd::profiler::disableProfiler()->save("/dev/null");
    start();
  } catch (const std::exception& e) {
    if (prof::profilerEnabled()) torch::autograd::profiler::disableProfiler();
    throw std::runtime_error("this LibTorch cannot trace kernels: " + first_line(e));
  }
  recording_ = true;
}

KernelTrace::~KernelTrace() {
  if (!recording_) return;
  try {
    torch::autograd::profiler::disableProfiler();
  } catch (...) {
    // A destructor must not throw; the trace is dropped.
  }
}

void KernelTrace::save(const std::string& path) {
  if (!recording_) throw std::runtime_error("the trace was already saved");
  recording_ = false;
  auto result = torch::autograd::profiler::disableProfiler();
  // ProfilerResult::save reports no failure: check the file can be written first.
  if (!std::ofstream(path)) throw std::runtime_error("cannot write the trace to " + path);
  try {
    result->save(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot save the trace to " + path + ": " + first_line(e));
  }
}

}  // namespace lp
