#pragma once
// One-Euro smoothing of the driving motion (pose angles, translation,
// expression, scale of live webcam input) as tensor operations: the filter
// state stays on the models' device and is updated in place, so on a GPU the
// smoothing is part of the captured CUDA graph instead of a host round trip
// per frame. The arithmetic is that of the scalar filter in
// common/one_euro_filter.h (Casiez et al. 2012), one channel per component.
#include "common/animation_params.h"

#include <torch/script.h>

namespace lp {

class OneEuroTensorFilter {
 public:
  explicit OneEuroTensorFilter(OneEuroParams params = {}) : params_(params) {}

  void set_params(const OneEuroParams& p) { params_ = p; }
  const OneEuroParams& params() const { return params_; }
  // The next sample passes unchanged and starts the filter again.
  void reset() { initialized_ = stepped_ = false; }
  bool initialized() const { return initialized_; }

  // Host bookkeeping, once per sample in order: the time step (seconds) for a
  // sample taken at t_seconds. A non-increasing time counts as 1/30 s after
  // the previous sample (a live driving frame is never a repeat); the first
  // sample after reset() gets 0 (it passes unchanged).
  double step(double t_seconds);

  // Filters B samples x [B,N] (float, any device) in order, with their time
  // steps dt [B] (float, same device; from step()). Returns [B,N]. Before the
  // first sample the state is seeded from x[0], which passes unchanged. Once
  // initialized the call is graph-safe: no host synchronisation, and the state
  // tensors are updated in place (never reallocated while N and the device stay).
  torch::Tensor filter(const torch::Tensor& x, const torch::Tensor& dt);

  // The whole state, to undo CUDA-graph warm-up runs (they execute for real).
  struct State {
    torch::Tensor x, dx;
    bool initialized = false, stepped = false;
    double t_prev = 0.0;
  };
  State save() const;
  void restore(const State& s);

 private:
  OneEuroParams params_;
  bool initialized_ = false;
  bool stepped_ = false;     // step() has seen a sample since reset()
  double t_prev_ = 0.0;      // time of the last sample given to step()
  torch::Tensor x_prev_;     // [N] float: the last output
  torch::Tensor dx_prev_;    // [N] float: the last smoothed derivative
};

}  // namespace lp
