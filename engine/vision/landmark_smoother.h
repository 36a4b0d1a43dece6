#pragma once
// One-Euro smoothing of 68 landmarks. Coordinates are filtered in units of the
// face size (the tracked box side) so one parameter set behaves the same for a
// 100 px face in a webcam frame and a 600 px face in a portrait.
#include "common/animation_params.h"
#include "vision/face.h"
#include "common/one_euro_filter.h"

namespace lp {

class LandmarkSmoother {
 public:
  // Defaults for face-size units at 25-60 fps: jitter of ~0.5% of the face is
  // removed when still; a blink or a fast head turn passes with < 1 frame lag.
  static OneEuroParams default_params();
  explicit LandmarkSmoother(OneEuroParams p = default_params());
  void set_params(const OneEuroParams& p);
  const OneEuroParams& params() const { return params_; }
  // Smooths landmarks observed at time t (seconds). face_size: pixel size of
  // the face (e.g. box side), used as the unit; the first call sets the unit.
  Landmarks68 smooth(const Landmarks68& raw, double t, float face_size);
  void reset();

 private:
  OneEuroParams params_;
  OneEuroFilterBank bank_;
  float unit_ = 0.f;
};

}  // namespace lp
