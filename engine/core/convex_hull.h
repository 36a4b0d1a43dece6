#pragma once
// Volume of the 3D convex hull of a small point set (the 21 implicit keypoints),
// for the official "expression-friendly" motion multiplier, which the official
// code takes from scipy.spatial.ConvexHull(...).volume.
//
// Hand-written (no qhull): livepuppet_core may depend on LibTorch alone. For 21
// points an exact O(n^4) construction is cheap (~30k dot products): every plane
// through three points that has all points on one side is a hull facet plane;
// each distinct facet plane contributes area(2D hull of the points on it) *
// distance(plane, interior point) / 3. Coplanar point sets give volume 0.
#include <array>
#include <vector>

namespace lp {

using Point3 = std::array<double, 3>;

double convex_hull_volume(const std::vector<Point3>& points);

// Official calc_motion_multiplier: sqrt(volume(source)) / sqrt(volume(driving)).
// Returns 1 when either volume is (numerically) zero, where the official code would fail.
double expression_friendly_multiplier(const std::vector<Point3>& source_kp,
                                      const std::vector<Point3>& driving_kp);

}  // namespace lp
