#include "vision/crop_transform.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace lp {

namespace {

cv::Point2d mean_of(const Landmarks68& lm, int first, int last) {
  cv::Point2d s(0, 0);
  for (int i = first; i <= last; ++i) s += cv::Point2d(lm[static_cast<size_t>(i)]);
  return s * (1.0 / (last - first + 1));
}

cv::Point2f apply(const cv::Matx23d& M, const cv::Point2f& p) {
  return cv::Point2f(static_cast<float>(M(0, 0) * p.x + M(0, 1) * p.y + M(0, 2)),
                     static_cast<float>(M(1, 0) * p.x + M(1, 1) * p.y + M(1, 2)));
}

}  // namespace

FaceAnchors face_anchors(const Landmarks68& lm) {
  return FaceAnchors{mean_of(lm, 36, 41), mean_of(lm, 42, 47), mean_of(lm, 48, 67)};
}

cv::Point2f CropTransform::to_crop(const cv::Point2f& p) const { return apply(M_o2c, p); }
cv::Point2f CropTransform::to_original(const cv::Point2f& p) const { return apply(M_c2o, p); }

Landmarks68 CropTransform::to_crop(const Landmarks68& lm) const {
  Landmarks68 out;
  for (size_t i = 0; i < lm.size(); ++i) out[i] = apply(M_o2c, lm[i]);
  return out;
}

std::array<cv::Point2f, 4> CropTransform::corners() const {
  const float d = static_cast<float>(dsize);
  return {to_original({0.f, 0.f}), to_original({d, 0.f}), to_original({d, d}), to_original({0.f, d})};
}

CropTransform CropTransform::resized(int new_dsize) const {
  // Upstream scales crop coordinates (lmk_crop * 256 / 512), so does this.
  CropTransform t = *this;
  const double k = static_cast<double>(new_dsize) / dsize;
  t.dsize = new_dsize;
  t.M_o2c = M_o2c * k;
  cv::Matx23d inv;
  cv::invertAffineTransform(t.M_o2c, inv);
  t.M_c2o = inv;
  return t;
}

CropTransform crop_transform_from_square(const cv::Point2d& center, double size, double angle,
                                         int dsize) {
  CropTransform t;
  t.center = center;
  t.size = size > 1e-6 ? size : 1e-6;
  t.angle = angle;
  t.dsize = dsize;
  // Upstream's M_INV: rotate by -angle about the centre, scale to dsize, move
  // the centre to (dsize/2, dsize/2).
  const double s = dsize / t.size;
  const double c = std::cos(angle), sn = std::sin(angle);
  const double tc = dsize / 2.0;
  t.M_o2c = cv::Matx23d(s * c, s * sn, tc - s * (c * center.x + sn * center.y),
                        -s * sn, s * c, tc - s * (-sn * center.x + c * center.y));
  cv::Matx23d inv;
  cv::invertAffineTransform(t.M_o2c, inv);
  t.M_c2o = inv;
  return t;
}

CropTransform compute_crop_transform(const Landmarks68& lm, const CropParams& params, int dsize) {
  const FaceAnchors a = face_anchors(lm);
  cv::Point2d uy = a.lip - a.eyes_mid();
  const double l = std::hypot(uy.x, uy.y);
  uy = l <= 1e-3 ? cv::Point2d(0, 1) : uy * (1.0 / l);
  const cv::Point2d ux(uy.y, -uy.x);

  // Landmarks rotated into the face frame about their mean; their bounding box.
  const cv::Point2d mean = mean_of(lm, 0, kNumLandmarks - 1);
  double minx = 1e300, miny = 1e300, maxx = -1e300, maxy = -1e300;
  for (const cv::Point2f& p : lm) {
    const cv::Point2d d = cv::Point2d(p) - mean;
    const double rx = d.dot(ux), ry = d.dot(uy);
    minx = std::min(minx, rx);
    maxx = std::max(maxx, rx);
    miny = std::min(miny, ry);
    maxy = std::max(maxy, ry);
  }
  const double side = std::max(maxx - minx, maxy - miny) * params.scale;
  const cv::Point2d box_mid((minx + maxx) / 2, (miny + maxy) / 2);
  cv::Point2d center = mean + ux * box_mid.x + uy * box_mid.y;
  center += ux * (params.vx * side) + uy * (params.vy * side);

  // Like upstream, rotation off keeps the same square (centre, side) computed in
  // the face frame and only drops the roll from the transform.
  const double angle = params.rotate ? std::atan2(ux.y, ux.x) : 0.0;
  return crop_transform_from_square(center, side, angle, dsize);
}

FaceCrop crop_face(const cv::Mat& image, const Landmarks68& lm, const CropTransform& t) {
  FaceCrop fc;
  fc.transform = t;
  if (image.empty()) {
    fc.error = "cannot crop an empty image";
    return fc;
  }
  if (t.dsize <= 0) {
    fc.error = "invalid crop size";
    return fc;
  }
  cv::warpAffine(image, fc.crop512, t.M_o2c, cv::Size(t.dsize, t.dsize), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::resize(fc.crop512, fc.input256, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
  fc.landmarks512 = t.to_crop(lm);
  return fc;
}

FaceCrop crop_face(const cv::Mat& image, const Landmarks68& lm, const CropParams& params) {
  return crop_face(image, lm, compute_crop_transform(lm, params, 512));
}

}  // namespace lp
