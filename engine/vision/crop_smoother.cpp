#include "vision/crop_smoother.h"

#include <algorithm>
#include <cmath>

namespace lp {

OneEuroParams CropSmoother::default_params() {
  // Units: crop sides (position), log-size and unit-circle angle. A still
  // head's crop jitters by ~0.2-0.5% of its side per frame; head motion is
  // ~0.2-2 sides per second. min_cutoff 1 Hz keeps the crop still, beta 5
  // follows deliberate motion with about a frame of lag.
  OneEuroParams p;
  p.min_cutoff = 1.0f;
  p.beta = 5.0f;
  p.d_cutoff = 1.0f;
  return p;
}

CropSmoother::CropSmoother(OneEuroParams p) : bank_(5, p) {}

void CropSmoother::set_params(const OneEuroParams& p) { bank_.set_params(p); }

void CropSmoother::reset() {
  bank_.reset();
  ref_size_ = 0;
}

CropTransform CropSmoother::smooth(const CropTransform& raw, double t) {
  if (!bank_.initialised() || !(ref_size_ > 0)) ref_size_ = raw.size > 1e-6 ? raw.size : 1.0;
  double v[5] = {raw.center.x / ref_size_, raw.center.y / ref_size_,
                 std::log(std::max(raw.size, 1e-6) / ref_size_), std::cos(raw.angle),
                 std::sin(raw.angle)};
  bank_.filter(v, 5, t);
  const cv::Point2d c(v[0] * ref_size_, v[1] * ref_size_);
  const double size = std::exp(v[2]) * ref_size_;
  const double angle = std::atan2(v[4], v[3]);
  return crop_transform_from_square(c, size, angle, raw.dsize);
}

}  // namespace lp
