#include "vision/one_euro_filter.h"

#include <algorithm>
#include <cmath>

namespace lp {

namespace {
// Smoothing factor of an exponential filter with cutoff fc (Hz) for a step dt (s).
double alpha(double fc, double dt) {
  const double tau = 1.0 / (2.0 * M_PI * std::max(fc, 1e-6));
  return 1.0 / (1.0 + tau / dt);
}
}  // namespace

double OneEuroFilter::filter(double x, double t) {
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
  const double dx_hat = dx_prev_ + alpha(p_.d_cutoff, dt) * (dx - dx_prev_);
  const double fc = p_.min_cutoff + p_.beta * std::abs(dx_hat);
  const double x_hat = x_prev_ + alpha(fc, dt) * (x - x_prev_);
  x_prev_ = x_hat;
  dx_prev_ = dx_hat;
  t_prev_ = t;
  return x_hat;
}

OneEuroFilterBank::OneEuroFilterBank(int channels, OneEuroParams p) : p_(p) { resize(channels); }

void OneEuroFilterBank::resize(int channels) {
  f_.assign(static_cast<size_t>(std::max(channels, 0)), OneEuroFilter(p_));
}

void OneEuroFilterBank::set_params(const OneEuroParams& p) {
  p_ = p;
  for (auto& f : f_) f.set_params(p);
}

void OneEuroFilterBank::filter(double* values, int n, double t) {
  if (static_cast<int>(f_.size()) != n) resize(n);
  for (int i = 0; i < n; ++i) values[i] = f_[static_cast<size_t>(i)].filter(values[i], t);
}

void OneEuroFilterBank::reset() {
  for (auto& f : f_) f.reset();
}

}  // namespace lp
