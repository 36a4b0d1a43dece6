#include "classic/motion_transfer.h"

#include <algorithm>
#include <cmath>

namespace lp {

namespace {

std::vector<cv::Point2f> pick(const Landmarks68& lm, const std::vector<int>& idx) {
  std::vector<cv::Point2f> out;
  out.reserve(idx.size());
  for (int i : idx) out.push_back(lm[i]);
  return out;
}

cv::Point2f centroid(const std::vector<cv::Point2f>& p) {
  cv::Point2f c(0, 0);
  for (const auto& x : p) c += x;
  return p.empty() ? c : c * (1.f / p.size());
}

// What is left after the head motion is removed holds two things: the
// expression, and what the deliberately mild head model gets wrong about a
// turning head. The second is largest where dlib's points are not fixed on
// the face: the upper jaw contour (0-2, 14-16) is the silhouette by the ears,
// which slides as the head turns, and at 15-20 degrees of yaw the brows and
// eyes keep about 0.15 IOD of sideways residual, outer brow and upper contour
// moving in opposite directions. Copied onto the source, that squeezed the
// temple between brow end and ear to a line and tore the hair above the ear
// (s2 driven by d3). Faces do not move those parts that way: the upper
// contour is bone (only the lower jaw opens the mouth), so it keeps none of
// its residual, fading in towards the lower jaw. Brows rise and fall and eyes
// open and close, while their sideways motion (a frown pulling the inner
// brows together, a squint) is small: on a turned head most of it is the
// model's error, so brows and eyes keep a third of their sideways residual
// (face axes) from kTurnedYaw on, all of it facing the camera. Brows and
// eyes alike, so the lid between them is not sheared.
void keep_expression_that_faces_make(Landmarks68& expression, float yaw) {
  constexpr float kContourShare[17] = {0.f, 0.f, 0.33f, 0.67f, 1.f, 1.f, 1.f, 1.f, 1.f,
                                       1.f, 1.f, 1.f, 1.f, 0.67f, 0.33f, 0.f, 0.f};
  constexpr float kTurnedSidewaysShare = 0.33f;
  constexpr float kTurnedYaw = 12.f * 3.14159265f / 180.f;
  for (int i = 0; i < 17; ++i) expression[i] *= kContourShare[i];
  const float turned = std::min(1.f, std::abs(yaw) / kTurnedYaw);
  const float sideways = 1.f - (1.f - kTurnedSidewaysShare) * turned;
  for (int i = 17; i < 27; ++i) expression[i].x *= sideways;
  for (int i = 36; i < 48; ++i) expression[i].x *= sideways;
}

}  // namespace

DrivingReference::DrivingReference(const Landmarks68& landmarks) : valid_(true), landmarks_(landmarks) {
  frame_ = FaceFrame::from_landmarks(landmarks);
  for (int i = 0; i < kNumLandmarks; ++i) face_units_[i] = frame_.to_face(landmarks[i]);
  head_ = HeadModel::from_face_units(face_units_);
  openness_ = compute_openness(landmarks);
}

DrivingMotion DrivingReference::motion_of(const Landmarks68& current) const {
  DrivingMotion m;
  const auto& stable = stable_landmark_indices();
  const std::vector<cv::Point2f> cur_stable = pick(current, stable);

  // 1) similarity from the reference's stable points; 2) yaw/pitch from the
  // aligned landmarks; 3) refit the similarity against the reference turned by
  // that yaw/pitch, so the nose sliding sideways is not taken for translation.
  Similarity2D t = fit_similarity(pick(landmarks_, stable), cur_stable);
  Landmarks68 aligned;
  float yaw = 0, pitch = 0;
  Landmarks68 turned = face_units_;
  for (int iter = 0; iter < 2; ++iter) {
    for (int i = 0; i < kNumLandmarks; ++i) aligned[i] = frame_.to_face(t.apply_inverse(current[i]));
    head_.estimate_yaw_pitch(face_units_, aligned, &yaw, &pitch);
    turned = head_.rotate_landmarks(face_units_, yaw, pitch);
    if (iter == 0) {
      Landmarks68 turned_px;
      for (int i = 0; i < kNumLandmarks; ++i) turned_px[i] = frame_.to_image(turned[i]);
      t = fit_similarity(pick(turned_px, stable), cur_stable);
    }
  }
  for (int i = 0; i < kNumLandmarks; ++i) m.expression[i] = aligned[i] - turned[i];
  keep_expression_that_faces_make(m.expression, yaw);

  // Translation: where the reference's stable centroid went, in reference IOD.
  const cv::Point2f c0 = centroid(pick(landmarks_, stable));
  m.pose.translation = (t.apply(c0) - c0) * (1.f / frame_.scale);
  m.pose.scale = t.scale;
  m.pose.roll = t.angle;
  m.pose.yaw = yaw;
  m.pose.pitch = pitch;
  return m;
}

bool region_has_expression(AnimationRegion region, int i) {
  switch (region) {
    case AnimationRegion::All:
    case AnimationRegion::Expression: return true;
    case AnimationRegion::Pose: return false;
    case AnimationRegion::Lips: return (i >= 48 && i < 68) || (i >= 3 && i <= 13);
    case AnimationRegion::Eyes: return (i >= 17 && i < 27) || (i >= 36 && i < 48);
  }
  return true;
}

bool region_has_pose(AnimationRegion region) {
  return region == AnimationRegion::All || region == AnimationRegion::Pose;
}

std::vector<cv::Point2f> apply_head_pose(const FaceMesh& mesh, const std::vector<cv::Point2f>& q,
                                         const HeadPose& pose) {
  const FaceFrame& f = mesh.frame;
  const HeadModel& h = mesh.head;
  const cv::Point2f pivot(h.xc, h.yc);
  const float c = std::cos(pose.roll) * pose.scale, s = std::sin(pose.roll) * pose.scale;
  const cv::Point2f pivot_px = f.to_image(pivot);
  const cv::Point2f shift_px = pose.translation * f.scale;
  const bool posed = pose.roll != 0.f || pose.scale != 1.f || pose.translation != cv::Point2f(0, 0) ||
                     pose.yaw != 0.f || pose.pitch != 0.f;

  std::vector<cv::Point2f> out(q.size());
  for (size_t v = 0; v < q.size(); ++v) {
    const cv::Point2f dq = q[v] - mesh.face_units[v];
    // Unposed position: source pixel + expression displacement (exact when none).
    cv::Point2f base = mesh.vertices[v];
    if (dq.x != 0.f || dq.y != 0.f) base += f.dir_to_image(dq);
    const float w = mesh.pose_weight[v];
    if (!posed || w == 0.f) {
      out[v] = base;
      continue;
    }
    float bump = 0.f;
    if (v < static_cast<size_t>(kNumLandmarks)) {
      bump = h.landmark_bump(static_cast<int>(v));
    } else if (mesh.kinds[v] == MeshVertexKind::InnerLip) {
      // On the lips, between two lip landmarks: as far in front as they are,
      // or a nod moves it apart from them (a zigzag along the open lips).
      const VertexInfluence& inf = mesh.influence[v];
      for (int k = 0; k < 3; ++k) bump += inf.weight[k] * h.landmark_bump(inf.landmark[k]);
    }
    const cv::Point2f turned = h.rotate(q[v], h.depth_at(q[v], bump), pose.yaw, pose.pitch);
    const cv::Point2f d = f.dir_to_image(turned - pivot);
    const cv::Point2f full = pivot_px + cv::Point2f(c * d.x - s * d.y, s * d.x + c * d.y) + shift_px;
    out[v] = base + (full - base) * w;
  }
  return out;
}

}  // namespace lp
