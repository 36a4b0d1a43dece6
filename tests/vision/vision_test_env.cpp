#include "vision_test_env.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

namespace lp::test {

std::shared_ptr<const FaceDetector> shared_detector() {
  static const std::shared_ptr<const FaceDetector> det = std::make_shared<FaceDetector>();
  return det;
}

cv::Mat read_media_image(const std::string& name) { return cv::imread(media(name).string(), cv::IMREAD_COLOR); }

std::vector<cv::Mat> read_media_frames(const std::string& name, int first, int count, int step) {
  std::vector<cv::Mat> frames;
  cv::VideoCapture cap(media(name).string());
  if (!cap.isOpened()) return frames;
  cv::Mat f;
  for (int i = 0; static_cast<int>(frames.size()) < count && cap.read(f); ++i) {
    if (i >= first && (i - first) % step == 0) frames.push_back(f.clone());
  }
  return frames;
}

}  // namespace lp::test
