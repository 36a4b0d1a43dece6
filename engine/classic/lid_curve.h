#pragma once
// The upper-lid margin between an eye's corners. dlib's 68 points give only two
// upper-lid points per eye (37-38, 43-44), so the lash line between them and the
// corners is not tracked: a mesh that only moves the landmarks leaves it where it
// was, and a closed eye keeps dark lash wedges at its corners. The curve through
// both corners and both lid points (a cubic in the eye's own frame) places extra
// margin vertices there, on the source and on every driven shape.
#include <opencv2/core.hpp>

namespace lp {

struct UpperLidCurve {
  cv::Point2f corner0, corner1;  // first and last point of the eye (36/39, 42/45)
  cv::Point2f u, n;              // unit eye axis (corner0 -> corner1) and lid normal (up the face)
  float length = 0.f;            // corner-to-corner distance
  float x1 = 0.f, x2 = 1.f;      // the two lid points along the axis, in eye lengths
  float a = 0.f, b = 0.f;        // height(x) = x (1 - x) (a + b x), in eye lengths
  // The lower lid (corner0, the two lower points, corner1) as (x, height) in
  // eye lengths: the upper margin never goes below it (a closed eye's curve
  // would otherwise dip under the straight lower-lid edges of the mesh and fold).
  cv::Point2f lower[4];

  float lower_height(float x) const;  // of the lower lid at x (0 outside the corners)
  float upper_height(float x) const;  // of the upper margin at x: the cubic, never below the lower lid

  // From an eye's six points in dlib's order (36-41 or 42-47: corner, two
  // upper, corner, two lower), in pixels or face units (y down the face).
  static UpperLidCurve fit(const cv::Point2f* eye);
  bool valid() const { return length > 1e-6f; }
  // The margin point at axis position x (eye lengths from corner0), on or above
  // the lower lid.
  cv::Point2f at(float x) const;
  // `p` moved along the lid normal to lie between the lower lid and the upper
  // margin (an eye's centre stays inside the eye, also when it closes).
  cv::Point2f clamp_inside(const cv::Point2f& p) const;
  // The point halfway (along the axis) between a corner and its lid point:
  // side 0 = between corner0 and the first lid point, 1 = between the second lid
  // point and corner1.
  cv::Point2f between_corner_and_lid(int side) const;
};

}  // namespace lp
