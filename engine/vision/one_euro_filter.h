#pragma once
// One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): an adaptive low-pass
// filter whose cutoff rises with the signal's speed, so it removes jitter when
// the signal is still without lagging on fast motion. Parameters are
// lp::OneEuroParams (engine/common/animation_params.h).
#include "common/animation_params.h"

#include <vector>

namespace lp {

// One scalar channel.
class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroParams p = {}) : p_(p) {}
  void set_params(const OneEuroParams& p) { p_ = p; }
  const OneEuroParams& params() const { return p_; }
  // Filters x sampled at time t (seconds, increasing). The first call returns x.
  // A non-increasing t (repeated frame) returns the previous output.
  double filter(double x, double t);
  void reset() { initialised_ = false; }
  bool initialised() const { return initialised_; }

 private:
  OneEuroParams p_;
  bool initialised_ = false;
  double x_prev_ = 0, dx_prev_ = 0, t_prev_ = 0;
};

// N independent channels sharing one parameter set (e.g. 136 landmark coords).
class OneEuroFilterBank {
 public:
  explicit OneEuroFilterBank(int channels = 0, OneEuroParams p = {});
  void resize(int channels);
  void set_params(const OneEuroParams& p);
  // Filters values in place.
  void filter(double* values, int n, double t);
  void reset();
  bool initialised() const { return !f_.empty() && f_[0].initialised(); }

 private:
  OneEuroParams p_;
  std::vector<OneEuroFilter> f_;
};

}  // namespace lp
