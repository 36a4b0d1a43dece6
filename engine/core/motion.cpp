#include "core/motion.h"

#include <algorithm>
#include <stdexcept>

#include "core/animation_region.h"
#include "core/convex_hull.h"
#include "core/expression_edit.h"

namespace lp {
namespace {

bool has_head_offset(const ExpressionEdit& e) {
  return e.head_pitch != 0.f || e.head_yaw != 0.f || e.head_roll != 0.f;
}

// Source rotation with the head-pose offsets of the expression editor.
torch::Tensor edited_source_rotation(const MotionInfo& s, const ExpressionEdit& e) {
  if (!has_head_offset(e)) return s.R;
  return rotation_matrix(s.pitch + e.head_pitch, s.yaw + e.head_yaw, s.roll + e.head_roll);
}

torch::Tensor edit_delta_tensor(const ExpressionEdit& e, const torch::TensorOptions& opt) {
  const auto d = expression_edit_delta(e);
  return torch::from_blob(const_cast<float*>(d.data()), {1, kNumKeypoints, 3}, torch::kFloat).clone().to(opt);
}

torch::Tensor zero_tz(const torch::Tensor& t) {
  const int64_t bs = t.size(0);
  return torch::cat({t.reshape({bs, 3}).narrow(1, 0, 2), torch::zeros({bs, 1}, t.options())}, 1);
}

}  // namespace

MotionConstants motion_constants(const AnimationParams& p, torch::Device device) {
  MotionConstants c;
  const auto mask_arr = expression_region_mask(p.region, p.relative_motion);
  if (!std::all_of(mask_arr.begin(), mask_arr.end(), [](bool b) { return b; })) {
    uint8_t mb[63];
    for (size_t i = 0; i < 63; ++i) mb[i] = mask_arr[i] ? 1 : 0;
    c.region_mask = torch::from_blob(mb, {1, kNumKeypoints, 3}, torch::kUInt8).to(torch::kBool).to(device);
  }
  if (p.edit.any()) c.edit_delta = edit_delta_tensor(p.edit, torch::TensorOptions().dtype(torch::kFloat).device(device));
  return c;
}

torch::Tensor compose_driving_keypoints(const MotionInfo& source, const MotionInfo& driving,
                                        const MotionInfo* reference, const AnimationParams& p,
                                        const MotionConstants* constants) {
  const bool relative = p.relative_motion;
  if (relative && reference == nullptr)
    throw std::invalid_argument("relative motion needs a driving reference frame");
  const int64_t bs = driving.batch();
  const auto opt = driving.exp.options();
  const ExpressionEdit& edit = p.edit;
  const bool pose = region_drives_pose(p.region);

  const torch::Tensor R_s = edited_source_rotation(source, edit);
  torch::Tensor R_new, target_exp, scale_new, t_new;
  if (relative) {
    const MotionInfo& r = *reference;
    R_new = pose ? torch::matmul(torch::matmul(driving.R, r.R.permute({0, 2, 1})), R_s) : R_s.expand({bs, 3, 3});
    target_exp = source.exp + (driving.exp - r.exp);
    scale_new = region_drives_scale(p.region, true) ? source.scale * (driving.scale / r.scale)
                                                    : source.scale.expand({bs, 1});
    t_new = pose ? source.t + (driving.t - r.t) : source.t.expand({bs, 3});
  } else {
    if (pose) {
      R_new = has_head_offset(edit) ? rotation_matrix(driving.pitch + edit.head_pitch, driving.yaw + edit.head_yaw,
                                                      driving.roll + edit.head_roll)
                                    : driving.R;
    } else {
      R_new = R_s.expand({bs, 3, 3});
    }
    target_exp = driving.exp;
    scale_new = source.scale.expand({bs, 1});
    t_new = pose ? driving.t : source.t.expand({bs, 3});
  }

  const MotionConstants local = constants ? MotionConstants{} : motion_constants(p, opt.device());
  const MotionConstants& c = constants ? *constants : local;
  torch::Tensor delta = target_exp;
  if (c.region_mask.defined()) delta = torch::where(c.region_mask, target_exp, source.exp.expand_as(target_exp));
  if (c.edit_delta.defined()) delta = delta + c.edit_delta;

  t_new = zero_tz(t_new);
  const auto x = torch::matmul(source.kp, R_new) + delta;
  return scale_new.reshape({bs, 1, 1}) * x + t_new.reshape({bs, 1, 3});
}

torch::Tensor edited_source_keypoints(const MotionInfo& s, const ExpressionEdit& edit,
                                      const MotionConstants* constants) {
  auto exp = s.exp;
  if (constants && constants->edit_delta.defined()) exp = exp + constants->edit_delta;
  else if (!constants && edit.any()) exp = exp + edit_delta_tensor(edit, s.exp.options());
  return transform_keypoints(s.kp, edited_source_rotation(s, edit), exp, s.scale, s.t);
}

double expression_friendly_multiplier(const torch::Tensor& x_s, const torch::Tensor& x_d0) {
  auto to_points = [](const torch::Tensor& x) {
    const auto c = x.detach().to(torch::kCPU, torch::kDouble).reshape({-1, 3}).contiguous();
    std::vector<Point3> pts(static_cast<size_t>(c.size(0)));
    const double* d = c.data_ptr<double>();
    for (size_t i = 0; i < pts.size(); ++i) pts[i] = {d[3 * i], d[3 * i + 1], d[3 * i + 2]};
    return pts;
  };
  return lp::expression_friendly_multiplier(to_points(x_s.narrow(0, 0, 1)), to_points(x_d0.narrow(0, 0, 1)));
}

torch::Tensor rescale_motion(const torch::Tensor& x_d, const torch::Tensor& x_d0, const torch::Tensor& x_s,
                             double multiplier) {
  return (x_d - x_d0) * multiplier + x_s;
}

torch::Tensor apply_driving_multiplier(const torch::Tensor& x_d, const torch::Tensor& x_s, double multiplier) {
  if (multiplier == 1.0) return x_d;
  return x_s + (x_d - x_s) * multiplier;
}

}  // namespace lp
