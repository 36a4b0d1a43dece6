#include "vision/openness.h"

#include <cmath>

namespace lp {

namespace {

float dist(const cv::Point2f& a, const cv::Point2f& b) { return static_cast<float>(cv::norm(a - b)); }

// Mean of the two lid distances over the corner distance of one eye whose six
// points start at `first` (corner, 2 upper lid, corner, 2 lower lid).
float eye_ratio(const Landmarks68& lm, int first) {
  const auto p = [&](int k) { return lm[static_cast<size_t>(first + k)]; };
  const float width = dist(p(0), p(3));
  if (!(width > 1e-6f)) return 0.f;
  return 0.5f * (dist(p(1), p(5)) + dist(p(2), p(4))) / width;
}

}  // namespace

float eye_openness_right(const Landmarks68& lm) { return eye_ratio(lm, 36); }
float eye_openness_left(const Landmarks68& lm) { return eye_ratio(lm, 42); }

float lip_openness(const Landmarks68& lm) {
  const float width = dist(lm[48], lm[54]);
  if (!(width > 1e-6f)) return 0.f;
  return dist(lm[62], lm[66]) / width;
}

Openness compute_openness(const Landmarks68& lm) {
  return Openness{eye_openness_right(lm), eye_openness_left(lm), lip_openness(lm)};
}

}  // namespace lp
