#include "core/one_euro.h"

#include <cmath>

namespace lp {
namespace {
double smoothing_factor(double cutoff_hz, double dt) {
  const double tau = 1.0 / (2.0 * M_PI * cutoff_hz);
  return 1.0 / (1.0 + tau / dt);
}
}  // namespace

std::vector<float> OneEuroVectorFilter::filter(const std::vector<float>& x, double t) {
  if (!initialized_ || x.size() != x_prev_.size()) {
    x_prev_.assign(x.begin(), x.end());
    dx_prev_.assign(x.size(), 0.0);
    t_prev_ = t;
    initialized_ = true;
    return x;
  }
  double dt = t - t_prev_;
  if (!(dt > 0.0)) dt = 1.0 / 30.0;
  t_prev_ = t_prev_ + dt;
  const double min_cutoff = std::max(1e-6, static_cast<double>(params_.min_cutoff));
  const double d_cutoff = std::max(1e-6, static_cast<double>(params_.d_cutoff));
  const double a_d = smoothing_factor(d_cutoff, dt);
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = (x[i] - x_prev_[i]) / dt;
    const double dx_hat = a_d * dx + (1.0 - a_d) * dx_prev_[i];
    const double cutoff = min_cutoff + params_.beta * std::abs(dx_hat);
    const double a = smoothing_factor(cutoff, dt);
    const double x_hat = a * x[i] + (1.0 - a) * x_prev_[i];
    x_prev_[i] = x_hat;
    dx_prev_[i] = dx_hat;
    out[i] = static_cast<float>(x_hat);
  }
  return out;
}

}  // namespace lp
