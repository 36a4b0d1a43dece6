#pragma once
// One-Euro smoothing of a vector of values (the shared scalar filter of
// common/one_euro_filter.h, one channel per component), used on the driving
// motion of live webcam input: pose angles, expression, translation and scale.
#include <vector>

#include "common/animation_params.h"
#include "common/one_euro_filter.h"

namespace lp {

class OneEuroVectorFilter {
 public:
  explicit OneEuroVectorFilter(OneEuroParams params = {}) : bank_(0, params), params_(params) {}

  void set_params(const OneEuroParams& p) {
    params_ = p;
    bank_.set_params(p);
  }
  const OneEuroParams& params() const { return params_; }

  // Filters one sample taken at time t_seconds (strictly increasing; a
  // non-increasing time is treated as 1/30 s after the previous sample, since a
  // live driving frame is never a repeat). The first sample, or one whose size
  // differs from the previous, passes unchanged.
  std::vector<float> filter(const std::vector<float>& x, double t_seconds);
  void reset() {
    initialized_ = false;
    bank_.reset();
  }
  bool initialized() const { return initialized_; }

 private:
  OneEuroFilterBank bank_;
  OneEuroParams params_;
  bool initialized_ = false;
  double t_prev_ = 0.0;
  std::vector<double> scratch_;
};

}  // namespace lp
