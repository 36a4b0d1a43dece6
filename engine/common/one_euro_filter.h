#pragma once
// One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): an adaptive low-pass
// filter whose cutoff rises with the signal's speed, so it removes jitter when
// the signal is still without lagging on fast motion. Parameters are
// lp::OneEuroParams (engine/common/animation_params.h). Header-only and
// dependency-free: the vision layer smooths landmarks and crops with it, the
// LibTorch core the driving motion.
#include "common/animation_params.h"

#include <algorithm>
#include <cmath>
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

namespace one_euro_detail {
// Smoothing factor of an exponential filter with cutoff fc (Hz) for a step dt (s).
inline double alpha(double fc, double dt) {
  const double tau = 1.0 / (2.0 * M_PI * std::max(fc, 1e-6));
  return 1.0 / (1.0 + tau / dt);
}
}  // namespace one_euro_detail

inline double OneEuroFilter::filter(double x, double t) {
  if (!initialised_) {
    initialised_ = true;
    x_prev_ = x;
    dx_prev_ = 0.0;
    t_prev_ = t;
    return x;
  }
  const double dt = t - t_prev_;
  if (!(dt > 0.0)) return x_prev_;
  const double dx = (x - x_prev_) / dt;
  const double dx_hat = dx_prev_ + one_euro_detail::alpha(p_.d_cutoff, dt) * (dx - dx_prev_);
  const double fc = p_.min_cutoff + p_.beta * std::abs(dx_hat);
  const double x_hat = x_prev_ + one_euro_detail::alpha(fc, dt) * (x - x_prev_);
  x_prev_ = x_hat;
  dx_prev_ = dx_hat;
  t_prev_ = t;
  return x_hat;
}

inline OneEuroFilterBank::OneEuroFilterBank(int channels, OneEuroParams p) : p_(p) { resize(channels); }

inline void OneEuroFilterBank::resize(int channels) {
  f_.assign(static_cast<size_t>(std::max(channels, 0)), OneEuroFilter(p_));
}

inline void OneEuroFilterBank::set_params(const OneEuroParams& p) {
  p_ = p;
  for (auto& f : f_) f.set_params(p);
}

inline void OneEuroFilterBank::filter(double* values, int n, double t) {
  if (static_cast<int>(f_.size()) != n) resize(n);
  for (int i = 0; i < n; ++i) values[i] = f_[static_cast<size_t>(i)].filter(values[i], t);
}

inline void OneEuroFilterBank::reset() {
  for (auto& f : f_) f.reset();
}

}  // namespace lp
