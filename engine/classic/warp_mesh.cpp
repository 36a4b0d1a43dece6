#include "classic/warp_mesh.h"

#include <algorithm>
#include <cmath>

namespace lp {

float smoothstep(float e0, float e1, float x) {
  const float t = std::clamp((x - e0) / (e1 - e0), 0.f, 1.f);
  return t * t * (3.f - 2.f * t);
}

float FeatherMask::value(float x, float y) const {
  const float c = std::cos(angle), s = std::sin(angle);
  const float dx = x - center.x, dy = y - center.y;
  const float u = (c * dx + s * dy) / semi_axes.x;
  const float v = (-s * dx + c * dy) / semi_axes.y;
  const float rho = std::sqrt(u * u + v * v);
  float t = (rho - inner) / (outer - inner);
  t = std::min(1.f, std::max(0.f, t));
  return 1.f - t * t * (3.f - 2.f * t);
}

cv::Rect FeatherMask::bounding_rect(const cv::Size& size) const {
  // Bounding box of the rotated ellipse at radius `outer`.
  const float c = std::cos(angle), s = std::sin(angle);
  const float a = semi_axes.x * outer, b = semi_axes.y * outer;
  const float hx = std::sqrt(a * a * c * c + b * b * s * s);
  const float hy = std::sqrt(a * a * s * s + b * b * c * c);
  const int x0 = static_cast<int>(std::floor(center.x - hx)) - 1;
  const int y0 = static_cast<int>(std::floor(center.y - hy)) - 1;
  const int x1 = static_cast<int>(std::ceil(center.x + hx)) + 2;
  const int y1 = static_cast<int>(std::ceil(center.y + hy)) + 2;
  return cv::Rect(x0, y0, x1 - x0, y1 - y0) & cv::Rect(0, 0, size.width, size.height);
}

cv::Mat FeatherMask::image(const cv::Size& size) const {
  cv::Mat m(size, CV_32FC1, cv::Scalar(0));
  const cv::Rect roi = bounding_rect(size);
  for (int y = roi.y; y < roi.y + roi.height; ++y) {
    float* row = m.ptr<float>(y);
    for (int x = roi.x; x < roi.x + roi.width; ++x) row[x] = value(static_cast<float>(x), static_cast<float>(y));
  }
  return m;
}

bool FeatherMask::touches_triangle(const cv::Point2f& p0, const cv::Point2f& p1, const cv::Point2f& p2) const {
  // In the ellipse's own frame, scaled so that value() > 0 exactly inside the
  // unit disc, with a margin of two pixels along the shorter axis so pixel
  // centres next to an edge are never missed.
  const float c = std::cos(angle), s = std::sin(angle);
  const float r = 1.f + 2.f / (std::max(1e-3f, std::min(semi_axes.x, semi_axes.y) * outer));
  auto to_disc = [&](const cv::Point2f& p) {
    const float dx = p.x - center.x, dy = p.y - center.y;
    return cv::Point2f((c * dx + s * dy) / (semi_axes.x * outer), (-s * dx + c * dy) / (semi_axes.y * outer));
  };
  const cv::Point2f q[3] = {to_disc(p0), to_disc(p1), to_disc(p2)};
  // The disc's centre inside the triangle (same side of all three edges).
  float sides[3];
  for (int i = 0; i < 3; ++i) {
    const cv::Point2f a = q[i], b = q[(i + 1) % 3];
    sides[i] = (b.x - a.x) * (-a.y) - (b.y - a.y) * (-a.x);
  }
  if ((sides[0] >= 0 && sides[1] >= 0 && sides[2] >= 0) || (sides[0] <= 0 && sides[1] <= 0 && sides[2] <= 0))
    return true;
  // Otherwise the disc must reach one of the edges (vertices included).
  for (int i = 0; i < 3; ++i) {
    const cv::Point2f a = q[i], ab = q[(i + 1) % 3] - q[i];
    const float len2 = ab.dot(ab);
    const float t = len2 > 0 ? std::clamp(-a.dot(ab) / len2, 0.f, 1.f) : 0.f;
    const cv::Point2f nearest = a + t * ab;
    if (nearest.dot(nearest) < r * r) return true;
  }
  return false;
}

namespace {
// The chain's y at x, linear between its points and flat beyond its ends,
// and its slope there.
float chain_y(const std::vector<cv::Point2f>& chain, float x, float* slope = nullptr) {
  if (slope) *slope = 0.f;
  if (x <= chain[0].x) return chain[0].y;
  for (size_t i = 1; i < chain.size(); ++i)
    if (x <= chain[i].x) {
      const float w = chain[i].x - chain[i - 1].x;
      if (w <= 1e-6f) return chain[i].y;
      if (slope) *slope = (chain[i].y - chain[i - 1].y) / w;
      return chain[i - 1].y + (chain[i].y - chain[i - 1].y) * ((x - chain[i - 1].x) / w);
    }
  return chain.back().y;
}
}  // namespace

MouthOpening MouthOpening::from_chains(const std::vector<cv::Point2f>& upper_px,
                                       const std::vector<cv::Point2f>& lower_px) {
  MouthOpening m;
  const size_t n = upper_px.size();
  if (n < 2 || n > static_cast<size_t>(kMaxPoints) || lower_px.size() != n) return m;
  const cv::Point2f d = upper_px.back() - upper_px.front();
  const float len = std::hypot(d.x, d.y);
  if (!(len >= 1e-3f)) return m;  // also NaN
  m.origin = upper_px.front();
  m.axis = d * (1.f / len);
  m.across = cv::Point2f(-m.axis.y, m.axis.x);
  // Towards the lower lip (a mirrored face turns the frame over).
  float side = 0.f;
  for (size_t i = 0; i < n; ++i) side += (lower_px[i] - upper_px[i]).dot(m.across);
  if (side < 0.f) m.across = -m.across;
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2f pu = upper_px[i] - m.origin, pl = lower_px[i] - m.origin;
    m.upper.emplace_back(pu.dot(m.axis), pu.dot(m.across));
    m.lower.emplace_back(pl.dot(m.axis), pl.dot(m.across));
  }
  const float mid = 0.5f * m.upper.back().x;
  const float top = chain_y(m.upper, mid), bottom = chain_y(m.lower, mid);
  m.teeth_depth = top + kTeethShare * std::max(0.f, bottom - top);
  return m;
}

MouthOpening::Sample MouthOpening::at(float x, float y) const {
  Sample r;
  if (empty()) return r;
  const cv::Point2f p(x - origin.x, y - origin.y);
  const float s = p.dot(axis), t = p.dot(across);
  float top_slope, bottom_slope;
  const float top = chain_y(upper, s, &top_slope), bottom = chain_y(lower, s, &bottom_slope);
  const float h = bottom - top;
  r.v = h > 1e-3f ? std::clamp((t - top) / h, 0.f, 1.f) : 0.5f;
  // Distances across the frame, made square to the lip where it slopes.
  r.edge = std::min((t - top) / std::sqrt(1.f + top_slope * top_slope),
                    (bottom - t) / std::sqrt(1.f + bottom_slope * bottom_slope));
  const float a = std::clamp(s / upper.back().x, 0.f, 1.f);
  r.middle = 4.f * a * (1.f - a);
  r.below_teeth = t - teeth_depth * r.middle;
  return r;
}

MouthOpening::Carried MouthOpening::carried(const MouthOpening& source, float x, float y) const {
  Carried r;
  if (empty() || source.empty()) return r;
  const float width = upper.back().x, source_width = source.upper.back().x;
  if (!(width > 1e-3f) || !(source_width > 1e-3f)) return r;
  const cv::Point2f p(x - origin.x, y - origin.y);
  const float k = source_width / width;  // source pixels per output pixel
  const float s = p.dot(axis) * k;        // along the source opening
  const float below = std::max(0.f, p.dot(across) - chain_y(upper, p.dot(axis))) * k;
  const float top = chain_y(source.upper, s), h = chain_y(source.lower, s) - top;
  if (!(h > 1e-3f)) return r;
  r.source = source.origin + source.axis * s + source.across * (top + below);
  r.weight = 1.f - smoothstep(kCarriedFrom, kCarriedTo, below / h);
  return r;
}

}  // namespace lp
