#pragma once
// Implicit-keypoint maths of one frame, as in the LivePortrait paper (Eq. 2) and
// the official implementation: head-pose bins to degrees, the rotation matrix,
// and the transformed keypoints x = s * (kp @ R + exp) + [tx, ty, 0].
// All tensors are float32 on any device; batch B >= 1.
#include <torch/script.h>

#include <vector>

namespace lp {

constexpr int kNumKeypoints = 21;
constexpr int kPoseBins = 66;

// Raw motion-extractor outputs, in the exported module's order.
struct RawMotion {
  torch::Tensor pitch, yaw, roll;  // [B,66] bin logits
  torch::Tensor t;                 // [B,3]
  torch::Tensor exp;               // [B,63]
  torch::Tensor scale;             // [B,1]
  torch::Tensor kp;                // [B,63]

  // From the motion extractor's output tuple (7 tensors); converted to float32.
  static RawMotion from_outputs(const std::vector<torch::Tensor>& outputs);
};

// Decoded motion of one frame (official "kp_info" after refinement plus R).
struct MotionInfo {
  torch::Tensor pitch, yaw, roll;  // [B,1] degrees
  torch::Tensor R;                 // [B,3,3], applied to row vectors as kp @ R
  torch::Tensor t;                 // [B,3]
  torch::Tensor exp;               // [B,21,3]
  torch::Tensor scale;             // [B,1]
  torch::Tensor kp;                // [B,21,3] canonical keypoints

  int64_t batch() const { return kp.size(0); }
  MotionInfo select(int64_t b) const;  // element b as a batch of one
  MotionInfo clone() const;
};

// sum(softmax(bins) * [0..65]) * 3 - 97.5, per row: [B,66] -> [B,1] degrees.
torch::Tensor bins_to_degrees(const torch::Tensor& bins);

// Official get_rotation_matrix: (Rz(roll) @ Ry(yaw) @ Rx(pitch))^T from degrees
// ([B] or [B,1] each) -> [B,3,3], used as kp @ R on row vectors.
torch::Tensor rotation_matrix(const torch::Tensor& pitch_deg, const torch::Tensor& yaw_deg,
                              const torch::Tensor& roll_deg);

// x = s * (kp @ R + exp) + [tx, ty, 0]; kp, exp [B,21,3] (or [B,63]), R [B,3,3],
// scale [B,1], t [B,3] -> [B,21,3]. The z translation is never applied.
torch::Tensor transform_keypoints(const torch::Tensor& kp, const torch::Tensor& R, const torch::Tensor& exp,
                                  const torch::Tensor& scale, const torch::Tensor& t);

MotionInfo decode_motion(const RawMotion& raw);
inline torch::Tensor transform_keypoints(const MotionInfo& m) {
  return transform_keypoints(m.kp, m.R, m.exp, m.scale, m.t);
}

// Stitching MLP output [B,65] applied to driving keypoints [B,21,3]:
// x + delta[:63] (as 21x3), and delta[63:65] added to x and y of every keypoint.
torch::Tensor apply_stitching_delta(const torch::Tensor& x_driving, const torch::Tensor& delta);

// Flattened MLP inputs: cat(a.flatten(1), b.flatten(1)) -> [B, n].
torch::Tensor concat_features(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace lp
