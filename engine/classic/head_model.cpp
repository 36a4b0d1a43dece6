#include "classic/head_model.h"

#include <algorithm>
#include <cmath>

namespace lp {

namespace {

// Nose tip relative to points near the rim plane or at eye depth: moves
// sideways with yaw, vertically with pitch, hardly with expression.
float yaw_proxy(const Landmarks68& q) {
  const float ref = (q[36].x + q[39].x + q[42].x + q[45].x + q[0].x + q[1].x + q[15].x + q[16].x) / 8.f;
  return (q[30].x + q[33].x) * 0.5f - ref;
}

float pitch_proxy(const Landmarks68& q) {
  const float ref = (q[36].y + q[39].y + q[42].y + q[45].y) / 4.f;
  return (q[30].y + q[33].y) * 0.5f - ref;
}

}  // namespace

HeadModel HeadModel::from_face_units(const Landmarks68& q) {
  HeadModel m;
  float brow_y = 0;
  for (int i = 17; i < 27; ++i) brow_y += q[i].y;
  brow_y /= 10.f;
  m.y_top = brow_y - 0.85f;  // hairline: about 0.85 IOD above the brows
  m.y_chin = q[8].y;
  m.xc = 0.5f * (q[0].x + q[16].x);
  m.rx = std::max(0.5f, 0.5f * std::abs(q[16].x - q[0].x) * 1.05f);
  m.yc = 0.5f * (m.y_top + m.y_chin);
  m.ry = std::max(0.8f, 0.5f * (m.y_chin - m.y_top) * 1.05f);
  m.depth = 0.9f * m.rx;
  m.bump_.fill(0.f);
  m.bump_[30] = 0.35f;
  for (int i : {29, 31, 32, 33, 34, 35}) m.bump_[i] = 0.22f;
  m.bump_[28] = 0.12f;
  m.bump_[27] = 0.05f;
  for (int i = 48; i < 68; ++i) m.bump_[i] = 0.08f;
  for (int i : {7, 8, 9}) m.bump_[i] = 0.05f;

  // Calibrate the proxies on this face: how far they move for a small rotation.
  const float a = 0.1f;
  const Landmarks68 ry = m.rotate_landmarks(q, a, 0.f), rp = m.rotate_landmarks(q, 0.f, a);
  const float gy = (yaw_proxy(ry) - yaw_proxy(q)) / std::sin(a);
  const float gp = (pitch_proxy(rp) - pitch_proxy(q)) / std::sin(a);
  m.yaw_gain_ = std::abs(gy) > 0.05f ? gy : 0.5f;
  m.pitch_gain_ = std::abs(gp) > 0.05f ? gp : -0.3f;
  return m;
}

float HeadModel::depth_at(const cv::Point2f& q, float bump) const {
  const float dx = (q.x - xc) / rx, dy = (q.y - yc) / ry;
  const float r2 = dx * dx + dy * dy;
  if (r2 >= 1.f) return 0.f;
  return depth * std::sqrt(1.f - r2) + bump;
}

cv::Point2f HeadModel::rotate(const cv::Point2f& q, float z, float yaw, float pitch) const {
  const float cy = std::cos(yaw), sy = std::sin(yaw), cp = std::cos(pitch), sp = std::sin(pitch);
  const float x = q.x - xc, y = q.y - yc;
  const float x1 = x * cy + z * sy;
  const float z1 = -x * sy + z * cy;
  const float y2 = y * cp - z1 * sp;
  // Rotation about the rim plane (z = 0): the oval's rim only compresses by
  // cos, points in front of it (nose, cheeks) slide towards the turn.
  return {xc + x1, yc + y2};
}

Landmarks68 HeadModel::rotate_landmarks(const Landmarks68& q, float yaw, float pitch) const {
  Landmarks68 out;
  for (int i = 0; i < kNumLandmarks; ++i) out[i] = rotate(q[i], depth_at(q[i], bump_[i]), yaw, pitch);
  return out;
}

void HeadModel::estimate_yaw_pitch(const Landmarks68& reference, const Landmarks68& current, float* yaw,
                                   float* pitch) const {
  const float sy = (yaw_proxy(current) - yaw_proxy(reference)) / yaw_gain_;
  const float sp = (pitch_proxy(current) - pitch_proxy(reference)) / pitch_gain_;
  // Mild on purpose: a 2-D warp cannot hide the far side of a turned head, so
  // the estimate is damped (and bounded at about 25 / 18 degrees).
  constexpr float kMild = 0.6f;
  *yaw = kMild * std::asin(std::clamp(sy, -0.7f, 0.7f));
  *pitch = kMild * std::asin(std::clamp(sp, -0.5f, 0.5f));
}

}  // namespace lp
