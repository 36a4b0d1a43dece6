#include "vision/landmark_smoother.h"

#include <array>

namespace lp {

OneEuroParams LandmarkSmoother::default_params() {
  // In face-size units a still face jitters by ~0.003-0.01 per frame; eyelids
  // and lips move at 1-5 face sizes per second. min_cutoff 2 Hz damps the
  // jitter; beta 8 opens the cutoff to > 10 Hz for real motion, so a blink
  // (3-5 frames) keeps most of its depth.
  OneEuroParams p;
  p.min_cutoff = 2.0f;
  p.beta = 8.0f;
  p.d_cutoff = 1.0f;
  return p;
}

LandmarkSmoother::LandmarkSmoother(OneEuroParams p) : params_(p), bank_(2 * kNumLandmarks, p) {}

void LandmarkSmoother::set_params(const OneEuroParams& p) {
  params_ = p;
  bank_.set_params(p);
}

void LandmarkSmoother::reset() {
  bank_.reset();
  unit_ = 0.f;
}

Landmarks68 LandmarkSmoother::smooth(const Landmarks68& raw, double t, float face_size) {
  if (!bank_.initialised() || !(unit_ > 0.f)) unit_ = face_size > 1.f ? face_size : 1.f;
  std::array<double, 2 * kNumLandmarks> v;
  for (int i = 0; i < kNumLandmarks; ++i) {
    v[2 * i] = raw[static_cast<size_t>(i)].x / unit_;
    v[2 * i + 1] = raw[static_cast<size_t>(i)].y / unit_;
  }
  bank_.filter(v.data(), 2 * kNumLandmarks, t);
  Landmarks68 out;
  for (int i = 0; i < kNumLandmarks; ++i) {
    out[static_cast<size_t>(i)] =
        cv::Point2f(static_cast<float>(v[2 * i] * unit_), static_cast<float>(v[2 * i + 1] * unit_));
  }
  return out;
}

}  // namespace lp
