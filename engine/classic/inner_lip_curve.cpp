#include "classic/inner_lip_curve.h"

namespace lp {

cv::Point2f InnerLipCurve::midpoint(const cv::Point2f* p, int side) {
  // Uniform Catmull-Rom at t = 1/2 between p1 and p2: (-p0 + 9 p1 + 9 p2 - p3) / 16.
  // At a corner (60 or 64) the tangent runs from the lower lip's point to the
  // upper lip's, so an open mouth's corners are rounded a little, not pinched;
  // a closed mouth's contour is (nearly) a line and its midpoints stay on it.
  const cv::Point2f& p0 = p[(side + kPoints - 1) % kPoints];
  const cv::Point2f& p1 = p[side];
  const cv::Point2f& p2 = p[(side + 1) % kPoints];
  const cv::Point2f& p3 = p[(side + 2) % kPoints];
  return (p1 + p2) * (9.f / 16.f) - (p0 + p3) * (1.f / 16.f);
}

namespace {
bool all_placed(const std::array<int, InnerLipCurve::kPoints>& midpoints) {
  for (int m : midpoints)
    if (m < 0) return false;
  return true;
}
}  // namespace

std::vector<int> InnerLipCurve::upper_chain(const std::array<int, kPoints>& midpoints) {
  const bool mid = all_placed(midpoints);
  std::vector<int> out;
  for (int k = 0; k < kPoints / 2; ++k) {
    out.push_back(60 + k);
    if (mid) out.push_back(midpoints[k]);
  }
  out.push_back(64);
  return out;
}

std::vector<int> InnerLipCurve::lower_chain(const std::array<int, kPoints>& midpoints) {
  const bool mid = all_placed(midpoints);
  std::vector<int> out{60};
  for (int k = kPoints - 1; k >= kPoints / 2; --k) {  // side k joins 60 + k and 60 + (k + 1) % 8
    if (mid) out.push_back(midpoints[k]);
    out.push_back(60 + k);
  }
  return out;
}

std::vector<int> InnerLipCurve::contour(const std::array<int, kPoints>& midpoints) {
  std::vector<int> out;
  for (int k = 0; k < kPoints; ++k) {
    out.push_back(60 + k);
    if (midpoints[k] >= 0) out.push_back(midpoints[k]);
  }
  return out;
}

}  // namespace lp
