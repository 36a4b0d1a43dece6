#pragma once
// Procedural driving for when there is no driving input, so the default
// portrait is alive on a machine without a webcam: a blink every few seconds
// (irregular, sometimes double), a gentle head sway, and an optional "talk"
// cycle of mouth openings with pauses. Deterministic: a pure function of the
// time t and the parameters (same t, same pose), so offline renders repeat.
namespace lp {

struct IdleMotionParams {
  bool enabled = true;            // lp::Parameters::idle_motion
  bool talk = false;              // lp::Parameters::talk_cycle
  float blink_interval_s = 4.0f;  // mean time between blinks
  float sway_deg = 3.0f;          // head sway amplitude (yaw; pitch and roll smaller)
  float talk_open = 0.22f;        // peak lip ratio added while talking
};

struct IdleSample {
  float yaw_deg = 0, pitch_deg = 0, roll_deg = 0;
  float dx = 0, dy = 0;           // head translation, face units (IOD)
  float scale = 1.f;
  float eye_open_fraction = 1.f;  // 1 = as in the source, 0 = closed
  float lip_open = 0.f;           // lip ratio added to the source's
};

IdleSample idle_motion(double t, const IdleMotionParams& p);

}  // namespace lp
