#include "classic/warp_mesh.h"

#include <algorithm>
#include <cmath>

namespace lp {

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

}  // namespace lp
