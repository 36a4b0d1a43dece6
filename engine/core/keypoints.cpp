#include "core/keypoints.h"

#include <cmath>
#include <stdexcept>

namespace lp {

RawMotion RawMotion::from_outputs(const std::vector<torch::Tensor>& o) {
  if (o.size() != 7)
    throw std::runtime_error("motion extractor returned " + std::to_string(o.size()) + " outputs, expected 7");
  RawMotion r;
  r.pitch = o[0].to(torch::kFloat);
  r.yaw = o[1].to(torch::kFloat);
  r.roll = o[2].to(torch::kFloat);
  r.t = o[3].to(torch::kFloat);
  r.exp = o[4].to(torch::kFloat);
  r.scale = o[5].to(torch::kFloat);
  r.kp = o[6].to(torch::kFloat);
  return r;
}

MotionInfo MotionInfo::select(int64_t b) const {
  auto s = [b](const torch::Tensor& x) { return x.narrow(0, b, 1); };
  return {s(pitch), s(yaw), s(roll), s(R), s(t), s(exp), s(scale), s(kp)};
}

MotionInfo MotionInfo::clone() const {
  return {pitch.clone(), yaw.clone(), roll.clone(), R.clone(), t.clone(), exp.clone(), scale.clone(), kp.clone()};
}

torch::Tensor bins_to_degrees(const torch::Tensor& bins) {
  // Same operation order as the official headpose_pred_to_degree, for bitwise-close results.
  const auto idx = torch::arange(kPoseBins, bins.options().dtype(torch::kFloat));
  const auto p = torch::softmax(bins.to(torch::kFloat), 1);
  return ((p * idx).sum(1) * 3 - 97.5).unsqueeze(1);
}

torch::Tensor rotation_matrix(const torch::Tensor& pitch_deg, const torch::Tensor& yaw_deg,
                              const torch::Tensor& roll_deg) {
  // The official operations on all three angles at once: a frame graph runs
  // about a dozen small kernels here instead of about thirty.
  auto col = [](const torch::Tensor& d) { return d.reshape({-1, 1}).to(torch::kFloat); };
  const auto rad = (torch::cat({col(pitch_deg), col(yaw_deg), col(roll_deg)}, 1) / 180) * M_PI;  // [B,3]: x, y, z
  const int64_t bs = rad.size(0);
  const auto angles = rad.t().contiguous();  // [3,B]: one contiguous row per axis
  const auto c = angles.cos(), s = angles.sin(), ns = -s;
  const auto one = torch::ones({bs}, rad.options()), zero = torch::zeros({bs}, rad.options());
  const auto cx = c[0], sx = s[0], nsx = ns[0], cy = c[1], sy = s[1], nsy = ns[1], cz = c[2], sz = s[2], nsz = ns[2];
  // Rx, Ry, Rz (column-vector rotations), row-major, in one copy kernel.
  const auto rot = torch::stack({one, zero, zero, zero, cx, nsx, zero, sx, cx,
                                 cy, zero, sy, zero, one, zero, nsy, zero, cy,
                                 cz, nsz, zero, sz, cz, zero, zero, zero, one}, 1)
                       .reshape({bs, 3, 3, 3});
  const auto rot_x = rot.select(1, 0), rot_y = rot.select(1, 1), rot_z = rot.select(1, 2);
  // Column-vector rotation Rz*Ry*Rx, transposed so that it applies to row vectors (kp @ R).
  return torch::matmul(torch::matmul(rot_z, rot_y), rot_x).permute({0, 2, 1});
}

torch::Tensor transform_keypoints(const torch::Tensor& kp, const torch::Tensor& R, const torch::Tensor& exp,
                                  const torch::Tensor& scale, const torch::Tensor& t) {
  const int64_t bs = kp.size(0);
  auto x = torch::matmul(kp.reshape({bs, kNumKeypoints, 3}), R) + exp.reshape({bs, kNumKeypoints, 3});
  x = x * scale.reshape({bs, 1, 1});
  const auto txy0 = torch::cat({t.reshape({bs, 3}).narrow(1, 0, 2), torch::zeros({bs, 1}, t.options())}, 1);
  return x + txy0.unsqueeze(1);
}

MotionInfo decode_motion(const RawMotion& raw) {
  MotionInfo m;
  const int64_t bs = raw.kp.size(0);
  // The three [B,66] bin sets as one [3B,66]: each row's softmax and sum are
  // the same, in a third of the kernels.
  const auto degrees = bins_to_degrees(torch::cat({raw.pitch.reshape({bs, -1}), raw.yaw.reshape({bs, -1}),
                                                   raw.roll.reshape({bs, -1})}, 0));
  m.pitch = degrees.narrow(0, 0, bs);
  m.yaw = degrees.narrow(0, bs, bs);
  m.roll = degrees.narrow(0, 2 * bs, bs);
  m.R = rotation_matrix(m.pitch, m.yaw, m.roll);
  m.t = raw.t.reshape({bs, 3});
  m.exp = raw.exp.reshape({bs, kNumKeypoints, 3});
  m.scale = raw.scale.reshape({bs, 1});
  m.kp = raw.kp.reshape({bs, kNumKeypoints, 3});
  return m;
}

torch::Tensor apply_stitching_delta(const torch::Tensor& x_driving, const torch::Tensor& delta) {
  const int64_t bs = x_driving.size(0);
  const auto d = delta.reshape({bs, -1}).to(x_driving.scalar_type());
  const auto d_exp = d.narrow(1, 0, 3 * kNumKeypoints).reshape({bs, kNumKeypoints, 3});
  const auto d_txy0 = torch::cat({d.narrow(1, 3 * kNumKeypoints, 2), torch::zeros({bs, 1}, d.options())}, 1);
  return x_driving + d_exp + d_txy0.unsqueeze(1);
}

torch::Tensor concat_features(const torch::Tensor& a, const torch::Tensor& b) {
  const int64_t bs = a.size(0);
  return torch::cat({a.reshape({bs, -1}), b.reshape({bs, -1}).to(a.scalar_type())}, 1);
}

}  // namespace lp
