#pragma once
// The parameters both engines consume for one frame. Plain data with defaults
// equal to the official LivePortrait inference defaults. The UI edits a copy and
// publishes it as an immutable snapshot; engines only read it.

namespace lp {

// Which part of the driving motion is transferred (official "animation_region").
enum class AnimationRegion { All = 0, Expression, Pose, Lips, Eyes };

// One-Euro filter settings (Casiez et al. 2012): low min_cutoff removes jitter
// when still, beta raises the cutoff with speed so fast motion does not lag.
struct OneEuroParams {
  float min_cutoff = 1.0f;  // Hz
  float beta = 0.05f;
  float d_cutoff = 1.0f;    // Hz, for the derivative
};

// Live expression editing on top of driving; each value is a slider in the UI,
// 0 = no edit. Ranges follow the official expression editor.
struct ExpressionEdit {
  float smile = 0.f;      // -0.3 .. 1.3
  float wink = 0.f;       // 0 .. 39
  float blink = 0.f;      // -20 .. 5
  float eyebrow = 0.f;    // -10 .. 15
  float pupil_x = 0.f;    // -15 .. 15
  float pupil_y = 0.f;    // -15 .. 15
  float aaa = 0.f;        // -30 .. 120
  float eee = 0.f;        // -20 .. 15
  float woo = 0.f;        // -20 .. 15
  float head_pitch = 0.f; // degrees, -15 .. 15
  float head_yaw = 0.f;   // degrees, -25 .. 25
  float head_roll = 0.f;  // degrees, -15 .. 15
  bool any() const {
    return smile != 0 || wink != 0 || blink != 0 || eyebrow != 0 || pupil_x != 0 || pupil_y != 0 ||
           aaa != 0 || eee != 0 || woo != 0 || head_pitch != 0 || head_yaw != 0 || head_roll != 0;
  }
};

struct AnimationParams {
  bool stitching = true;          // official flag_stitching
  bool relative_motion = true;    // official flag_relative_motion
  bool paste_back = true;         // official flag_pasteback
  bool eye_retargeting = false;   // official flag_eye_retargeting
  bool lip_retargeting = false;   // official flag_lip_retargeting
  bool normalize_lip = true;      // official flag_normalize_lip
  bool expression_friendly = false;  // official driving_option "expression-friendly"
  bool smoothing = false;         // One-Euro on the driving motion (live input)
  OneEuroParams smoothing_params;
  AnimationRegion region = AnimationRegion::All;
  float driving_multiplier = 1.0f;

  // Retargeting targets in [0, 0.8]; "auto" follows the driving face's ratio.
  bool eye_open_auto = true;
  float eye_open = 0.35f;
  bool lip_open_auto = true;
  float lip_open = 0.0f;

  ExpressionEdit edit;
};

}  // namespace lp
