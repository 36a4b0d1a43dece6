#pragma once
// A face's own coordinate frame: origin at the midpoint of the eye centres, x
// along the eye line (image-left eye -> image-right eye), y perpendicular to it
// pointing down the face, unit = inter-ocular distance (IOD). Expressing
// landmarks in this frame removes position, scale and roll, so two faces (the
// driving face and the source portrait) can exchange motion in one unit.
#include "vision/face.h"

#include <opencv2/core.hpp>

#include <vector>

namespace lp {

struct FaceFrame {
  cv::Point2f origin;  // midpoint of the two eye centres, image pixels
  float roll = 0.f;    // radians, angle of the eye line in the image
  float scale = 1.f;   // inter-ocular distance in pixels (>= 1)

  // From 68 landmarks (eye centres = mean of each eye's 6 points).
  static FaceFrame from_landmarks(const Landmarks68& lm);

  cv::Point2f to_face(const cv::Point2f& p) const;   // image pixels -> face units
  cv::Point2f to_image(const cv::Point2f& q) const;  // face units -> image pixels
  // A direction (no translation) from face units to image pixels.
  cv::Point2f dir_to_image(const cv::Point2f& d) const;
};

// Least-squares similarity (rotation, uniform scale, translation) that maps
// `from` onto `to` (closed form, Umeyama 2-D). OpenCV's
// estimateAffinePartial2D only offers RANSAC/LMEDS, which are random-sampled
// and slower; with 68 clean landmarks the plain least-squares fit is what we want.
struct Similarity2D {
  float scale = 1.f;
  float angle = 0.f;  // radians
  cv::Point2f translation;
  cv::Point2f apply(const cv::Point2f& p) const;
  cv::Point2f apply_inverse(const cv::Point2f& p) const;
};
Similarity2D fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to);

// Landmarks that move with the head but hardly with expression (eye corners,
// nose, upper jaw): used to separate head motion from expression.
const std::vector<int>& stable_landmark_indices();

}  // namespace lp
