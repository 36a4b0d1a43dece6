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
  auto rad = [](const torch::Tensor& d) { return (d.reshape({-1, 1}).to(torch::kFloat) / 180) * M_PI; };
  const auto x = rad(pitch_deg), y = rad(yaw_deg), z = rad(roll_deg);
  const int64_t bs = x.size(0);
  const auto ones = torch::ones({bs, 1}, x.options());
  const auto zeros = torch::zeros({bs, 1}, x.options());
  const auto rot_x = torch::cat({ones, zeros, zeros, zeros, x.cos(), -x.sin(), zeros, x.sin(), x.cos()}, 1)
                         .reshape({bs, 3, 3});
  const auto rot_y = torch::cat({y.cos(), zeros, y.sin(), zeros, ones, zeros, -y.sin(), zeros, y.cos()}, 1)
                         .reshape({bs, 3, 3});
  const auto rot_z = torch::cat({z.cos(), -z.sin(), zeros, z.sin(), z.cos(), zeros, zeros, zeros, ones}, 1)
                         .reshape({bs, 3, 3});
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
  m.pitch = bins_to_degrees(raw.pitch);
  m.yaw = bins_to_degrees(raw.yaw);
  m.roll = bins_to_degrees(raw.roll);
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
