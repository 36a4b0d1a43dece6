#include "classic/face_frame.h"

#include <cmath>

namespace lp {

FaceFrame FaceFrame::from_landmarks(const Landmarks68& lm) {
  cv::Point2f right(0, 0), left(0, 0);
  for (int i = 36; i < 42; ++i) right += lm[i];
  for (int i = 42; i < 48; ++i) left += lm[i];
  right *= 1.f / 6.f;
  left *= 1.f / 6.f;
  FaceFrame f;
  f.origin = (right + left) * 0.5f;
  const cv::Point2f d = left - right;
  f.roll = std::atan2(d.y, d.x);
  f.scale = std::max(1.f, static_cast<float>(std::hypot(d.x, d.y)));
  return f;
}

cv::Point2f FaceFrame::to_face(const cv::Point2f& p) const {
  const float c = std::cos(roll), s = std::sin(roll);
  const cv::Point2f d = p - origin;
  return {(c * d.x + s * d.y) / scale, (-s * d.x + c * d.y) / scale};
}

cv::Point2f FaceFrame::dir_to_image(const cv::Point2f& q) const {
  const float c = std::cos(roll), s = std::sin(roll);
  return {scale * (c * q.x - s * q.y), scale * (s * q.x + c * q.y)};
}

cv::Point2f FaceFrame::to_image(const cv::Point2f& q) const { return origin + dir_to_image(q); }

cv::Point2f Similarity2D::apply(const cv::Point2f& p) const {
  const float c = scale * std::cos(angle), s = scale * std::sin(angle);
  return {c * p.x - s * p.y + translation.x, s * p.x + c * p.y + translation.y};
}

cv::Point2f Similarity2D::apply_inverse(const cv::Point2f& p) const {
  const float c = std::cos(angle) / scale, s = std::sin(angle) / scale;
  const cv::Point2f d = p - translation;
  return {c * d.x + s * d.y, -s * d.x + c * d.y};
}

Similarity2D fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to) {
  Similarity2D t;
  const size_t n = std::min(from.size(), to.size());
  if (n < 2) return t;
  cv::Point2d ca(0, 0), cb(0, 0);
  for (size_t i = 0; i < n; ++i) {
    ca += cv::Point2d(from[i]);
    cb += cv::Point2d(to[i]);
  }
  ca *= 1.0 / n;
  cb *= 1.0 / n;
  // With complex numbers a = from - ca, b = to - cb: s*e^{i angle} = sum(b * conj(a)) / sum|a|^2.
  double re = 0, im = 0, norm = 0;
  for (size_t i = 0; i < n; ++i) {
    const cv::Point2d a = cv::Point2d(from[i]) - ca, b = cv::Point2d(to[i]) - cb;
    re += b.x * a.x + b.y * a.y;
    im += b.y * a.x - b.x * a.y;
    norm += a.x * a.x + a.y * a.y;
  }
  if (norm <= 1e-12) {
    t.translation = cv::Point2f(cb - ca);
    return t;
  }
  t.scale = static_cast<float>(std::hypot(re, im) / norm);
  t.angle = static_cast<float>(std::atan2(im, re));
  if (t.scale < 1e-6f) t.scale = 1.f;
  const cv::Point2f rc = Similarity2D{t.scale, t.angle, {0, 0}}.apply(cv::Point2f(ca));
  t.translation = cv::Point2f(cb) - rc;
  return t;
}

const std::vector<int>& stable_landmark_indices() {
  // Upper jaw (0-2, 14-16), nose bridge and base (27-35), eye corners.
  static const std::vector<int> idx = {0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45};
  return idx;
}

}  // namespace lp
