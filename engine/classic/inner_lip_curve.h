#pragma once
// The inner-lip contour as a smooth closed curve. dlib's 68 points give eight
// inner-lip points (60-67: corner, three upper, corner, three lower), and a
// mouth drawn through them alone is an octagon with straight sides and sharp
// turns at every point. A closed Catmull-Rom spline through the eight points
// places one extra point halfway along each side, on the source and on every
// driven shape, so the lips' inner edge and the shaded mouth interior are round.
#include <opencv2/core.hpp>

#include <array>
#include <vector>

namespace lp {

struct InnerLipCurve {
  static constexpr int kPoints = 8;  // landmarks 60..67
  // Side k joins landmark 60 + k and 60 + (k + 1) % 8.
  // The point halfway along side k of the closed spline through `inner`
  // (landmarks 60..67, pixels or face units).
  static cv::Point2f midpoint(const cv::Point2f* inner, int side);
  // The contour's two halves from corner 60 to corner 64, as vertex indices:
  // along the upper lip (60, 61, 62, 63, 64) and along the lower (60, 67, 66,
  // 65, 64), each with the midpoints between, or without any midpoint when
  // one is missing (so the two chains always match point for point).
  static std::vector<int> upper_chain(const std::array<int, kPoints>& midpoints);
  static std::vector<int> lower_chain(const std::array<int, kPoints>& midpoints);
  // The contour's vertex indices in order: 60, side 0's midpoint, 61, ...
  // A side without a midpoint (index < 0) is left out.
  static std::vector<int> contour(const std::array<int, kPoints>& midpoints);
};

}  // namespace lp
