#pragma once
// A detected face: the shared result type of detection and tracking.
#include <opencv2/core.hpp>

#include <array>

namespace lp {

// dlib's 68-point layout (iBUG 300-W): 0-16 jaw, 17-26 brows, 27-35 nose,
// 36-41 right eye (image left), 42-47 left eye, 48-59 outer lip, 60-67 inner lip.
constexpr int kNumLandmarks = 68;
using Landmarks68 = std::array<cv::Point2f, kNumLandmarks>;

struct Face {
  cv::Rect2f box;          // detector box, in image pixels (when tracking: a box of the
                           // same geometry derived from the landmarks)
  Landmarks68 landmarks;   // in image pixels
  float confidence = 0.f;  // detector score (HOG SVM margin), higher is surer
  int index = 0;           // 0 = largest face in the image
};

}  // namespace lp
