#include "classic_test_support.h"

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <mutex>

namespace lp::test {

std::shared_ptr<const FaceDetector> classic_detector() {
  static std::once_flag once;
  static std::shared_ptr<const FaceDetector> detector;
  std::call_once(once, [] { detector = std::make_shared<FaceDetector>(); });
  return detector;
}

LoadedSource load_source(const std::string& name) {
  LoadedSource s;
  s.bgr = cv::imread(media(name).string(), cv::IMREAD_COLOR);
  if (s.bgr.empty()) {
    ADD_FAILURE() << "cannot read " << media(name);
    return s;
  }
  auto det = classic_detector();
  if (!det->ready()) {
    ADD_FAILURE() << "dlib model: " << det->load_error();
    return s;
  }
  ClassicPrepareResult r = ClassicAnimator::prepare(s.bgr, *det, 0, name);
  if (!r.ok()) {
    ADD_FAILURE() << "prepare " << name << ": " << r.error;
    return s;
  }
  s.prepared = r.source;
  return s;
}

std::optional<Openness> measure_openness(const cv::Mat& image) {
  const DetectionResult d = classic_detector()->detect(image);
  if (!d.ok()) return std::nullopt;
  return compute_openness(d.largest().landmarks);
}

IdleMotionParams no_idle() {
  IdleMotionParams p;
  p.enabled = false;
  return p;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  if (n < 3) return 0;
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

}  // namespace lp::test
