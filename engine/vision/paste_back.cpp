#include "vision/paste_back.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace lp {

cv::Mat make_paste_back_mask(int size, int feather) {
  cv::Mat m(size, size, CV_32FC1);
  const float f = static_cast<float>(std::max(feather, 1));
  for (int y = 0; y < size; ++y) {
    float* row = m.ptr<float>(y);
    const int dy = std::min(y, size - 1 - y);
    for (int x = 0; x < size; ++x) {
      // Pixel distance to the nearest border pixel row/column: 0 on the
      // outermost ring, `feather` and beyond fully inside.
      const int d = std::min(dy, std::min(x, size - 1 - x));
      row[x] = std::min(static_cast<float>(d) / f, 1.0f);
    }
  }
  return m;
}

PasteBackResult paste_back(const cv::Mat& crop, const CropTransform& t, const cv::Mat& original,
                           const cv::Mat& mask_in) {
  PasteBackResult r;
  if (original.empty()) {
    r.error = "paste-back: the original image is empty";
    return r;
  }
  if (crop.empty() || crop.cols != t.dsize || crop.rows != t.dsize) {
    r.error = "paste-back: the crop must be " + std::to_string(t.dsize) + "x" + std::to_string(t.dsize);
    return r;
  }
  if (crop.type() != original.type()) {
    r.error = "paste-back: crop and original have different pixel types";
    return r;
  }
  cv::Mat mask = mask_in.empty() ? make_paste_back_mask(t.dsize) : mask_in;
  if (mask.type() != CV_32FC1 || mask.cols != t.dsize || mask.rows != t.dsize) {
    r.error = "paste-back: the mask must be a " + std::to_string(t.dsize) + "x" +
              std::to_string(t.dsize) + " single-channel float image";
    return r;
  }

  r.image = original.clone();
  r.mask = cv::Mat::zeros(original.size(), CV_32FC1);

  // Only the bounding box of the crop square in the original changes: warp into
  // that region alone (a translated M_c2o) instead of the whole image.
  float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
  for (const cv::Point2f& p : t.corners()) {
    x0 = std::min(x0, p.x);
    y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x);
    y1 = std::max(y1, p.y);
  }
  const cv::Rect full(0, 0, original.cols, original.rows);
  const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(std::floor(x0)) - 1, static_cast<int>(std::floor(y0)) - 1),
                                cv::Point(static_cast<int>(std::ceil(x1)) + 2, static_cast<int>(std::ceil(y1)) + 2)) &
                       full;
  if (roi.empty()) return r;  // the crop lies outside the image: nothing to paste

  cv::Matx23d M = t.M_c2o;
  M(0, 2) -= roi.x;
  M(1, 2) -= roi.y;
  cv::Mat warped, m;
  cv::warpAffine(crop, warped, M, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::warpAffine(mask, m, M, roi.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  m.copyTo(r.mask(roi));

  const int cn = original.channels();
  cv::Mat mc;
  if (cn == 1) mc = m;
  else cv::merge(std::vector<cv::Mat>(static_cast<size_t>(cn), m), mc);

  cv::Mat wf, of;
  warped.convertTo(wf, CV_32F);
  original(roi).convertTo(of, CV_32F);
  // out = of + m * (wf - of)
  cv::Mat blended = wf - of;
  cv::multiply(blended, mc, blended);
  blended += of;
  cv::Mat dst = r.image(roi);
  blended.convertTo(dst, original.type());  // rounds and saturates for 8-bit; writes in place
  return r;
}

double masked_psnr(const cv::Mat& a, const cv::Mat& b, const cv::Mat& weight, float min_weight) {
  if (a.empty() || a.size() != b.size() || a.type() != b.type()) return 0.0;
  cv::Mat af, bf;
  a.convertTo(af, CV_64F);
  b.convertTo(bf, CV_64F);
  cv::Mat diff = af - bf;
  diff = diff.mul(diff);
  cv::Mat sel;
  if (!weight.empty()) sel = weight >= min_weight;
  const int count = sel.empty() ? static_cast<int>(a.total()) : cv::countNonZero(sel);
  if (count == 0) return 0.0;
  const cv::Scalar s = cv::sum(sel.empty() ? diff : diff.setTo(0, ~sel));
  double sse = 0;
  for (int c = 0; c < a.channels(); ++c) sse += s[c];
  const double mse = sse / (static_cast<double>(count) * a.channels());
  const double peak = a.depth() == CV_8U ? 255.0 : 1.0;
  if (mse <= 1e-12) return 999.0;
  return 10.0 * std::log10(peak * peak / mse);
}

}  // namespace lp
