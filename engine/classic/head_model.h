#pragma once
// A coarse 3-D head for 2-D landmarks: an ellipsoid over the face oval (plus a
// nose/lip bump), in face units (see FaceFrame). It gives yaw and pitch a mild
// foreshortening (points on the face rotate about the rim plane, orthographic
// projection) and lets us estimate yaw/pitch of a driving face from how its nose
// moves relative to eye corners and jaw. Deliberately mild: the classic engine
// is a 2-D warp, not a 3-D reconstruction.
#include "vision/face.h"

#include <opencv2/core.hpp>

#include <array>

namespace lp {

class HeadModel {
 public:
  HeadModel() = default;
  // `q`: 68 landmarks in face units (FaceFrame::to_face).
  static HeadModel from_face_units(const Landmarks68& q);

  // Depth (towards the viewer, face units) of a point on the face; `bump` adds
  // relief (nose, lips) for landmarks. 0 on and outside the face oval.
  float depth_at(const cv::Point2f& q, float bump = 0.f) const;
  float landmark_bump(int i) const { return bump_[i]; }
  // The point rotated by yaw (radians, + = nose towards image right) and pitch
  // (+ = chin up, nose moves up) and projected orthographically.
  cv::Point2f rotate(const cv::Point2f& q, float z, float yaw, float pitch) const;
  Landmarks68 rotate_landmarks(const Landmarks68& q, float yaw, float pitch) const;

  // Yaw/pitch (radians) of `current` relative to `reference`, both in the
  // reference face's units and already aligned for roll/scale/translation.
  void estimate_yaw_pitch(const Landmarks68& reference, const Landmarks68& current, float* yaw,
                          float* pitch) const;

  // Face oval (face units): centre, semi-axes; y_top = estimated forehead top.
  float xc = 0, yc = 0.7f, rx = 1.1f, ry = 1.6f, depth = 1.0f, y_top = -1.2f, y_chin = 2.0f;

 private:
  std::array<float, kNumLandmarks> bump_{};
  float yaw_gain_ = 1.f;    // d(yaw proxy) / d(sin yaw), calibrated on this face
  float pitch_gain_ = 1.f;  // d(pitch proxy) / d(sin pitch)
};

}  // namespace lp
