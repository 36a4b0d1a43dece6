#pragma once
// Live expression editing as keypoint-expression deltas, with the keypoint
// indices and coefficients of the official LivePortrait expression editor
// (gradio_pipeline.py update_delta_new_*):
//   smile            -> official "smile"
//   wink             -> official "wink"
//   eyebrow          -> official "eyebrow"
//   pupil_x/pupil_y  -> official "eyeball_direction_x/y" (pupil_y includes the
//                       official blink coupling of -pupil_y/2)
//   blink            -> the official blink term that eyeball_direction_y drives
//   aaa              -> official "lip_variation_three" (lip close <-> open)
//   eee              -> official "lip_variation_two" (grin)
//   woo              -> official "lip_variation_one" (pursing)
// Head pitch/yaw/roll offsets are not expression deltas: they are added to the
// source pose angles (official "relative pitch/yaw/roll" sliders).
#include <array>

#include "common/animation_params.h"

namespace lp {

// Delta on the 21x3 expression (row-major, index = 3*keypoint + axis), to be
// added to the expression before it is rotated and scaled.
std::array<float, 63> expression_edit_delta(const ExpressionEdit& edit);

}  // namespace lp
