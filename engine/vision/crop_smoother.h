#pragma once
// Temporal smoothing of the driving crop: the crop square (centre, side, roll)
// is One-Euro filtered so the driving crop does not jitter with landmark noise
// while still following fast head motion. Positions are filtered in units of
// the crop side, so the parameters do not depend on the video resolution.
#include "common/animation_params.h"
#include "vision/crop_transform.h"
#include "common/one_euro_filter.h"

namespace lp {

class CropSmoother {
 public:
  // Defaults tuned for crop squares measured in crop sides (see .cpp).
  static OneEuroParams default_params();
  explicit CropSmoother(OneEuroParams p = default_params());
  void set_params(const OneEuroParams& p);
  // Smooths the raw crop at time t (seconds). Returns a crop with the same dsize.
  CropTransform smooth(const CropTransform& raw, double t);
  void reset();

 private:
  OneEuroFilterBank bank_;  // cx/size, cy/size, log(size), cos(angle), sin(angle)
  double ref_size_ = 0;
};

}  // namespace lp
