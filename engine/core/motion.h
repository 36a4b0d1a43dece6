#pragma once
// Composition of the driving keypoints from the source and driving motion, with
// the official LivePortrait rules (live_portrait_pipeline.py, image source):
//   relative:  R = R_d R_d0^T R_s, exp = exp_s + exp_d - exp_d0,
//              s = s_s s_d / s_d0, t = t_s + t_d - t_d0
//   absolute:  R = R_d, exp = exp_d (official subset), s = s_s, t = t_d
// always with t_z = 0, restricted by the animation region, plus the expression
// editor's deltas (added to exp) and head-pose offsets (added to the source
// angles). All tensors float32.
#include <torch/script.h>

#include "common/animation_params.h"
#include "core/keypoints.h"

namespace lp {

// The small constant tensors the composition needs for one AnimationParams (the
// region's expression mask and the expression-edit delta), made on the device
// once. Passing them keeps compose_driving_keypoints free of host-to-device
// copies, so that it can be captured in a CUDA graph. Undefined = not needed.
struct MotionConstants {
  torch::Tensor region_mask;  // [1,21,3] bool, defined when the region is not "every component"
  torch::Tensor edit_delta;   // [1,21,3] float, defined when the edit has expression deltas
};
MotionConstants motion_constants(const AnimationParams& params, torch::Device device);

// x_d = s * (kp_s @ R + exp) + [tx, ty, 0] for the B driving frames (source and
// reference are batches of one and broadcast). reference may be null only when
// params.relative_motion is false. constants: from motion_constants(params, device),
// or null to make them here. Returns [B,21,3].
torch::Tensor compose_driving_keypoints(const MotionInfo& source, const MotionInfo& driving,
                                        const MotionInfo* reference, const AnimationParams& params,
                                        const MotionConstants* constants = nullptr);

// The source keypoints with only the expression edit and head offsets applied
// (what the driving composition gives when driving == reference).
torch::Tensor edited_source_keypoints(const MotionInfo& source, const ExpressionEdit& edit,
                                      const MotionConstants* constants = nullptr);

// Official expression-friendly multiplier sqrt(hull volume(x_s)) / sqrt(hull volume(x_d0)),
// from [1,21,3] tensors (copied to the CPU).
double expression_friendly_multiplier(const torch::Tensor& x_s, const torch::Tensor& x_d0);

// x = (x_d - x_d0) * multiplier + x_s (official expression-friendly rescaling).
torch::Tensor rescale_motion(const torch::Tensor& x_d, const torch::Tensor& x_d0, const torch::Tensor& x_s,
                             double multiplier);

// x = x_s + (x_d - x_s) * multiplier (official driving_multiplier).
torch::Tensor apply_driving_multiplier(const torch::Tensor& x_d, const torch::Tensor& x_s, double multiplier);

}  // namespace lp
