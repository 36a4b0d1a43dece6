#include "classic/lid_curve.h"

#include <algorithm>
#include <cmath>

namespace lp {

UpperLidCurve UpperLidCurve::fit(const cv::Point2f* p) {
  UpperLidCurve c;
  c.corner0 = p[0];
  c.corner1 = p[3];
  const cv::Point2f d = c.corner1 - c.corner0;
  c.length = std::hypot(d.x, d.y);
  if (c.length < 1e-6f) return c;
  c.u = d * (1.f / c.length);
  c.n = {c.u.y, -c.u.x};
  if (c.n.y > 0) c.n = -c.n;  // up the face
  auto coords = [&](const cv::Point2f& q, float& x, float& y) {
    x = (q - c.corner0).dot(c.u) / c.length;
    y = (q - c.corner0).dot(c.n) / c.length;
  };
  float y1 = 0, y2 = 0;
  coords(p[1], c.x1, y1);
  coords(p[2], c.x2, y2);
  c.lower[0] = {0.f, 0.f};
  coords(p[5], c.lower[1].x, c.lower[1].y);
  coords(p[4], c.lower[2].x, c.lower[2].y);
  c.lower[3] = {1.f, 0.f};
  // Two lid points, two unknowns: (a + b x_i) = y_i / (x_i (1 - x_i)). The
  // denominators are kept away from zero (a lid point on a corner) and the two
  // points apart (one lid point behind the other: a flat average instead).
  const float k1 = y1 / std::max(0.05f, c.x1 * (1.f - c.x1));
  const float k2 = y2 / std::max(0.05f, c.x2 * (1.f - c.x2));
  if (std::abs(c.x2 - c.x1) < 0.05f) {
    c.a = 0.5f * (k1 + k2);
    c.b = 0.f;
  } else {
    c.b = (k2 - k1) / (c.x2 - c.x1);
    c.a = k1 - c.b * c.x1;
  }
  return c;
}

float UpperLidCurve::lower_height(float x) const {
  for (int i = 0; i < 3; ++i) {
    const cv::Point2f& p0 = lower[i];
    const cv::Point2f& p1 = lower[i + 1];
    if (x < p0.x || x > p1.x || p1.x - p0.x < 1e-6f) continue;
    return p0.y + (p1.y - p0.y) * (x - p0.x) / (p1.x - p0.x);
  }
  return 0.f;
}

float UpperLidCurve::upper_height(float x) const {
  return std::max(x * (1.f - x) * (a + b * x), lower_height(x));
}

cv::Point2f UpperLidCurve::at(float x) const {
  return corner0 + u * (x * length) + n * (upper_height(x) * length);
}

cv::Point2f UpperLidCurve::clamp_inside(const cv::Point2f& p) const {
  const float x = (p - corner0).dot(u) / length;
  const float h = (p - corner0).dot(n) / length;
  const float clamped = std::clamp(h, lower_height(x), upper_height(x));
  return p + n * ((clamped - h) * length);
}

cv::Point2f UpperLidCurve::between_corner_and_lid(int side) const {
  return at(side == 0 ? 0.5f * x1 : 0.5f * (x2 + 1.f));
}

}  // namespace lp
