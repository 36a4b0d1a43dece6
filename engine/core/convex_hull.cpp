#include "core/convex_hull.h"

#include <algorithm>
#include <cmath>

namespace lp {
namespace {

Point3 sub(const Point3& a, const Point3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Point3& a, const Point3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Point3 cross(const Point3& a, const Point3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double norm(const Point3& a) { return std::sqrt(dot(a, a)); }

// Area of the 2D convex hull (Andrew's monotone chain + shoelace).
double hull_area_2d(std::vector<std::array<double, 2>> p) {
  if (p.size() < 3) return 0.0;
  std::sort(p.begin(), p.end());
  auto turn = [](const std::array<double, 2>& o, const std::array<double, 2>& a, const std::array<double, 2>& b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  };
  std::vector<std::array<double, 2>> h(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && turn(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && turn(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  h.resize(k - 1);
  double a = 0.0;
  for (size_t i = 0; i < h.size(); ++i) {
    const auto& u = h[i];
    const auto& v = h[(i + 1) % h.size()];
    a += u[0] * v[1] - v[0] * u[1];
  }
  return std::abs(a) * 0.5;
}

}  // namespace

double convex_hull_volume(const std::vector<Point3>& pts) {
  const size_t n = pts.size();
  if (n < 4) return 0.0;
  Point3 c{0, 0, 0};
  double extent = 0.0;
  for (const auto& p : pts)
    for (int k = 0; k < 3; ++k) c[k] += p[k] / static_cast<double>(n);
  for (const auto& p : pts) extent = std::max(extent, norm(sub(p, c)));
  if (extent == 0.0) return 0.0;
  const double tol = 1e-10 * extent;

  struct Plane {
    Point3 normal;  // unit, pointing outwards
    double offset;  // normal . x on the plane
  };
  std::vector<Plane> planes;
  double volume = 0.0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      for (size_t k = j + 1; k < n; ++k) {
        Point3 nrm = cross(sub(pts[j], pts[i]), sub(pts[k], pts[i]));
        const double len = norm(nrm);
        if (len <= 1e-12 * extent * extent) continue;  // collinear triple
        for (double& v : nrm) v /= len;
        bool pos = false, neg = false;
        for (size_t m = 0; m < n && !(pos && neg); ++m) {
          const double d = dot(nrm, sub(pts[m], pts[i]));
          if (d > tol) pos = true;
          if (d < -tol) neg = true;
        }
        if (pos && neg) continue;  // not a supporting plane
        if (pos) for (double& v : nrm) v = -v;  // make every point lie below the plane
        const double offset = dot(nrm, pts[i]);
        bool seen = false;
        for (const auto& pl : planes)
          if (std::abs(pl.offset - offset) <= tol && dot(pl.normal, nrm) > 1.0 - 1e-12) seen = true;
        if (seen) continue;
        planes.push_back({nrm, offset});
        // Project the points on this facet plane into 2D and add the pyramid over it.
        Point3 u = sub(pts[j], pts[i]);
        const double ul = norm(u);
        for (double& v : u) v /= ul;
        const Point3 w = cross(nrm, u);
        std::vector<std::array<double, 2>> facet;
        for (const auto& p : pts)
          if (std::abs(dot(nrm, p) - offset) <= tol) facet.push_back({dot(u, p), dot(w, p)});
        const double height = offset - dot(nrm, c);
        volume += hull_area_2d(facet) * height / 3.0;
      }
    }
  }
  return volume;
}

double expression_friendly_multiplier(const std::vector<Point3>& source_kp, const std::vector<Point3>& driving_kp) {
  const double vs = convex_hull_volume(source_kp);
  const double vd = convex_hull_volume(driving_kp);
  if (!(vs > 0.0) || !(vd > 0.0)) return 1.0;
  return std::sqrt(vs) / std::sqrt(vd);
}

}  // namespace lp
