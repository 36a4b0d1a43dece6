#pragma once
// Motion transfer for the classic engine: a driving frame's landmarks are
// compared with the driving reference frame (the first frame, or the frame at
// the last re-zero) to get
//  - the head motion: relative roll, scale and translation (least-squares
//    similarity of the stable landmarks) and a mild yaw/pitch (HeadModel);
//  - the expression: what is left of each landmark's displacement once the
//    head motion is removed, in the reference face's units (IOD, face axes),
//    less what faces do not do (the upper jaw contour's residual, most of the
//    brows' and eyes' sideways one on a turned head: motion_transfer.cpp).
// Both are then applied to the source face in its own units, so a driving face
// of any size, position and roll moves a source face of any size.
#include "classic/face_frame.h"
#include "classic/face_mesh.h"
#include "classic/head_model.h"
#include "common/animation_params.h"
#include "vision/face.h"
#include "vision/openness.h"

#include <opencv2/core.hpp>

#include <vector>

namespace lp {

// Head motion to apply to the source.
struct HeadPose {
  float roll = 0.f;           // radians
  float scale = 1.f;
  cv::Point2f translation;    // face units (multiples of the source IOD), image axes
  float yaw = 0.f, pitch = 0.f;  // radians (HeadModel conventions)
};

struct DrivingMotion {
  HeadPose pose;
  Landmarks68 expression;  // per-landmark displacement, reference face units and axes
};

class DrivingReference {
 public:
  DrivingReference() = default;
  explicit DrivingReference(const Landmarks68& landmarks);
  bool valid() const { return valid_; }
  const Openness& openness() const { return openness_; }
  const Landmarks68& landmarks() const { return landmarks_; }

  // Motion of `current` (same video, image pixels) relative to this reference.
  DrivingMotion motion_of(const Landmarks68& current) const;

 private:
  bool valid_ = false;
  Landmarks68 landmarks_{};
  Landmarks68 face_units_{};
  FaceFrame frame_;
  HeadModel head_;
  Openness openness_;
};

// Which landmarks carry expression for an animation region (All/Expression:
// all; Lips: mouth + lower jaw; Eyes: eyes + brows; Pose: none).
bool region_has_expression(AnimationRegion region, int landmark);
bool region_has_pose(AnimationRegion region);

// Places every mesh vertex: `face_units` (the source shape after expression
// and retargeting, face units) moved by the head pose. Each vertex follows
// the pose by its pose_weight; vertices that neither moved nor follow the pose
// keep their exact source position.
std::vector<cv::Point2f> apply_head_pose(const FaceMesh& mesh, const std::vector<cv::Point2f>& face_units,
                                         const HeadPose& pose);

}  // namespace lp
