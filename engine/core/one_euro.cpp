#include "core/one_euro.h"

#include <cmath>

namespace lp {

namespace {

// Smoothing factor of an exponential filter with cutoff fc (Hz) for a step dt
// (s): 1 / (1 + tau / dt) with tau = 1 / (2 pi fc), as one_euro_detail::alpha.
torch::Tensor alpha(const torch::Tensor& fc, const torch::Tensor& dt) {
  const torch::Tensor tau = 1.0 / (2.0 * M_PI * fc.clamp_min(1e-6));
  return 1.0 / (1.0 + tau / dt);
}

}  // namespace

double OneEuroTensorFilter::step(double t) {
  if (!stepped_) {
    stepped_ = true;
    t_prev_ = t;
    return 0.0;
  }
  const double next = t > t_prev_ ? t : t_prev_ + 1.0 / 30.0;
  const double dt = next - t_prev_;
  t_prev_ = next;
  return dt;
}

torch::Tensor OneEuroTensorFilter::filter(const torch::Tensor& x_in, const torch::Tensor& dt) {
  const torch::Tensor x = x_in.to(torch::kFloat);
  TORCH_CHECK(x.dim() == 2 && dt.dim() == 1 && dt.size(0) == x.size(0), "OneEuroTensorFilter: x [B,N], dt [B]");
  const int64_t bs = x.size(0);
  std::vector<torch::Tensor> out;
  out.reserve(static_cast<size_t>(bs));
  int64_t b = 0;
  if (!initialized_) {
    const torch::Tensor first = x[0];
    if (x_prev_.defined() && x_prev_.sizes() == first.sizes() && x_prev_.device() == first.device()) {
      x_prev_.copy_(first);
      dx_prev_.zero_();
    } else {
      x_prev_ = first.clone();
      dx_prev_ = torch::zeros_like(first);
    }
    initialized_ = true;
    out.push_back(first);
    b = 1;
  }
  const double tau_d = 1.0 / (2.0 * M_PI * std::max(static_cast<double>(params_.d_cutoff), 1e-6));
  for (; b < bs; ++b) {
    const torch::Tensor xb = x[b], step = dt[b].to(torch::kFloat);
    const torch::Tensor dx = (xb - x_prev_) / step;
    const torch::Tensor dx_hat = dx_prev_ + (dx - dx_prev_) / (1.0 + tau_d / step);
    const torch::Tensor fc = params_.min_cutoff + params_.beta * dx_hat.abs();
    const torch::Tensor x_hat = x_prev_ + alpha(fc, step) * (xb - x_prev_);
    x_prev_.copy_(x_hat);
    dx_prev_.copy_(dx_hat);
    out.push_back(x_hat);
  }
  return torch::stack(out);
}

OneEuroTensorFilter::State OneEuroTensorFilter::save() const {
  State s;
  s.initialized = initialized_;
  s.t_prev = t_prev_;
  s.stepped = stepped_;
  if (x_prev_.defined()) {
    s.x = x_prev_.clone();
    s.dx = dx_prev_.clone();
  }
  return s;
}

void OneEuroTensorFilter::restore(const State& s) {
  initialized_ = s.initialized;
  t_prev_ = s.t_prev;
  stepped_ = s.stepped;
  if (s.x.defined() && x_prev_.defined() && x_prev_.sizes() == s.x.sizes()) {
    x_prev_.copy_(s.x);  // in place: a captured graph holds these storages
    dx_prev_.copy_(s.dx);
  } else if (s.x.defined()) {
    x_prev_ = s.x.clone();
    dx_prev_ = s.dx.clone();
  }
}

}  // namespace lp
