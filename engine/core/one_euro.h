#pragma once
// One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) over a vector of values,
// used to smooth the driving motion of live webcam input: pose angles, expression,
// translation and scale are filtered component by component.
#include <vector>

#include "common/animation_params.h"

namespace lp {

class OneEuroVectorFilter {
 public:
  explicit OneEuroVectorFilter(OneEuroParams params = {}) : params_(params) {}

  void set_params(const OneEuroParams& p) { params_ = p; }
  const OneEuroParams& params() const { return params_; }

  // Filters one sample taken at time t_seconds (strictly increasing; a
  // non-increasing time is treated as 1/30 s after the previous sample). The
  // first sample, or one whose size differs from the previous, passes unchanged.
  std::vector<float> filter(const std::vector<float>& x, double t_seconds);
  void reset() { initialized_ = false; }
  bool initialized() const { return initialized_; }

 private:
  OneEuroParams params_;
  bool initialized_ = false;
  double t_prev_ = 0.0;
  std::vector<double> x_prev_, dx_prev_;
};

}  // namespace lp
