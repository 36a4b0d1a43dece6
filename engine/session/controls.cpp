#include "controls.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <tuple>

namespace lp {

namespace {

#define LP_FLOAT(path) [](const Parameters& p) { return static_cast<float>(p.path); }, \
                       [](Parameters& p, float v) { p.path = v; }
#define LP_BOOL(path) [](const Parameters& p) { return p.path ? 1.f : 0.f; }, \
                      [](Parameters& p, float v) { p.path = v >= 0.5f; }

std::vector<ControlSpec> make_specs() {
  std::vector<ControlSpec> s;
  // --- Engine-independent motion controls
  s.push_back({"stitching", "Motion", "Stitching",
               "Blend the animated face back into the shoulders (LivePortrait's stitching MLP).\n"
               "Off shows the crop alone, as the official tool does. Hotkey S.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.stitching)});
  s.push_back({"relative_motion", "Motion", "Relative motion",
               "Transfer motion relative to the driving reference frame (press R to re-zero),\n"
               "instead of copying the driving pose and expression absolutely.\n"
               "Classic engine: off copies the eye and mouth openness and the head roll;\n"
               "the features' shape still moves relative to the reference.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.relative_motion)});
  s.push_back({"paste_back", "Motion", "Paste back",
               "Composite the animated crop into the full portrait; off shows the crop.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.paste_back)});
  s.push_back({"color_match", "Motion", "Colour match",
               "Neural: shift the animated crop's colour to match the portrait around the seam.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(color_match)});
  s.push_back({"smoothing", "Motion", "Smoothing",
               "One-Euro smoothing of the driving motion: removes webcam jitter without lag.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.smoothing)});
  s.push_back({"expression_friendly", "Motion", "Expression-friendly",
               "Scale the driving motion by the source/driving keypoint volume ratio\n"
               "(official 'expression-friendly' option); helps small source faces.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.expression_friendly)});
  s.push_back({"region", "Motion", "Animation region",
               "Which part of the driving motion is transferred.", ControlKind::Choice, 0, 4,
               {"all", "exp", "pose", "lip", "eyes"},
               [](const Parameters& p) { return static_cast<float>(static_cast<int>(p.animation.region)); },
               [](Parameters& p, float v) {
                 p.animation.region = static_cast<AnimationRegion>(std::clamp(static_cast<int>(v + 0.5f), 0, 4));
               }});
  s.push_back({"driving_multiplier", "Motion", "Driving multiplier",
               "Exaggerate (>1) or damp (<1) the driving expression.", ControlKind::Slider, 0.f, 2.f,
               {}, LP_FLOAT(animation.driving_multiplier)});
  // --- Retargeting
  s.push_back({"eye_retargeting", "Retargeting", "Eye retargeting",
               "Drive the eye openness from the target below (or the driving face on auto).",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.eye_retargeting)});
  s.push_back({"eye_open", "Retargeting", "Eye open",
               "Target eye openness, 0 = closed, 0.8 = wide open. 'auto' follows the driving face.",
               ControlKind::Slider, 0.f, 0.8f, {}, LP_FLOAT(animation.eye_open), "eye_open_auto"});
  s.push_back({"eye_open_auto", "Retargeting", "Eye open: auto", "Follow the driving face's eyes.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.eye_open_auto)});
  s.push_back({"lip_retargeting", "Retargeting", "Lip retargeting",
               "Drive the mouth openness from the target below (or the driving face on auto).",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.lip_retargeting)});
  s.push_back({"lip_open", "Retargeting", "Lip open",
               "Target mouth openness, 0 = closed, 0.8 = wide open. 'auto' follows the driving face.",
               ControlKind::Slider, 0.f, 0.8f, {}, LP_FLOAT(animation.lip_open), "lip_open_auto"});
  s.push_back({"lip_open_auto", "Retargeting", "Lip open: auto", "Follow the driving face's mouth.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.lip_open_auto)});
  s.push_back({"normalize_lip", "Retargeting", "Normalize lip",
               "Close the source's open mouth first so the driving mouth is copied faithfully.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(animation.normalize_lip)});
  // --- Expression editor (official ranges)
  s.push_back({"smile", "Expression", "Smile", "Raise the mouth corners.", ControlKind::Slider,
               -0.3f, 1.3f, {}, LP_FLOAT(animation.edit.smile)});
  s.push_back({"wink", "Expression", "Wink", "Close one eye.", ControlKind::Slider, 0.f, 39.f, {},
               LP_FLOAT(animation.edit.wink)});
  s.push_back({"blink", "Expression", "Blink", "Close (negative) or widen (positive) both eyes.",
               ControlKind::Slider, -20.f, 5.f, {}, LP_FLOAT(animation.edit.blink)});
  s.push_back({"eyebrow", "Expression", "Eyebrow", "Raise or lower the eyebrows.",
               ControlKind::Slider, -10.f, 15.f, {}, LP_FLOAT(animation.edit.eyebrow)});
  s.push_back({"pupil_x", "Expression", "Pupil x", "Look left or right.", ControlKind::Slider,
               -15.f, 15.f, {}, LP_FLOAT(animation.edit.pupil_x)});
  s.push_back({"pupil_y", "Expression", "Pupil y", "Look up or down.", ControlKind::Slider, -15.f,
               15.f, {}, LP_FLOAT(animation.edit.pupil_y)});
  s.push_back({"aaa", "Expression", "Aaa", "Open the mouth as for 'aaa'.", ControlKind::Slider,
               -30.f, 120.f, {}, LP_FLOAT(animation.edit.aaa)});
  s.push_back({"eee", "Expression", "Eee", "Stretch the mouth as for 'eee'.", ControlKind::Slider,
               -20.f, 15.f, {}, LP_FLOAT(animation.edit.eee)});
  s.push_back({"woo", "Expression", "Woo", "Round the lips as for 'woo'.", ControlKind::Slider,
               -20.f, 15.f, {}, LP_FLOAT(animation.edit.woo)});
  s.push_back({"head_pitch", "Expression", "Head pitch", "Nod, in degrees.", ControlKind::Slider,
               -15.f, 15.f, {}, LP_FLOAT(animation.edit.head_pitch)});
  s.push_back({"head_yaw", "Expression", "Head yaw", "Turn, in degrees.", ControlKind::Slider,
               -25.f, 25.f, {}, LP_FLOAT(animation.edit.head_yaw)});
  s.push_back({"head_roll", "Expression", "Head roll", "Tilt, in degrees.", ControlKind::Slider,
               -15.f, 15.f, {}, LP_FLOAT(animation.edit.head_roll)});
  // --- Crop
  s.push_back({"crop_scale", "Crop", "Source crop scale",
               "Size of the source crop relative to the face (official 2.3).", ControlKind::Slider,
               1.5f, 3.5f, {}, LP_FLOAT(source_crop.scale)});
  s.push_back({"crop_vx", "Crop", "Source crop x shift", "Horizontal shift, in crop sizes.",
               ControlKind::Slider, -0.3f, 0.3f, {}, LP_FLOAT(source_crop.vx)});
  s.push_back({"crop_vy", "Crop", "Source crop y shift",
               "Vertical shift, in crop sizes (official -0.125).", ControlKind::Slider, -0.4f, 0.3f,
               {}, LP_FLOAT(source_crop.vy)});
  s.push_back({"crop_rotate", "Crop", "Rotate crop", "Align the crop with the head's roll.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(source_crop.rotate)});
  s.push_back({"driving_crop_scale", "Crop", "Driving crop scale",
               "Size of the driving crop relative to the face (official 2.2).", ControlKind::Slider,
               1.5f, 3.5f, {}, LP_FLOAT(driving_crop.scale)});
  s.push_back({"driving_crop_vy", "Crop", "Driving crop y shift",
               "Vertical shift of the driving crop (official -0.1).", ControlKind::Slider, -0.4f,
               0.3f, {}, LP_FLOAT(driving_crop.vy)});
  // --- Input and view
  s.push_back({"mirror_webcam", "Input", "Mirror webcam", "Mirror the webcam image. Hotkey M.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(mirror_webcam)});
  s.push_back({"idle_motion", "Input", "Idle motion",
               "Classic engine: blink and sway on its own when there is no driving input.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(idle_motion)});
  s.push_back({"talk", "Input", "Idle talk", "Classic engine: add a talking mouth to the idle motion.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(talk_cycle)});
  s.push_back({"still_background", "Input", "Still background",
               "Classic engine: only the person moves; the background around the head stays still. "
               "Off: everything near the face moves with the warp.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(still_background)});
  s.push_back({"debug_overlay", "Input", "Debug overlay",
               "Draw the crop box and landmarks on the source and driving views.",
               ControlKind::Toggle, 0, 1, {}, LP_BOOL(debug_overlay)});
  return s;
}

#undef LP_FLOAT
#undef LP_BOOL

std::string normalise_key(std::string k) {
  std::replace(k.begin(), k.end(), '-', '_');
  while (!k.empty() && k.front() == '_') k.erase(k.begin());
  return k;
}

}  // namespace

const std::vector<ControlSpec>& control_specs() {
  static const std::vector<ControlSpec> specs = make_specs();
  return specs;
}

const ControlSpec* find_control(const std::string& key) {
  const std::string k = normalise_key(key);
  for (const auto& s : control_specs())
    if (k == s.key) return &s;
  return nullptr;
}

float control_default(const ControlSpec& spec) { return spec.get(Parameters{}); }

std::vector<std::string> sanitize_parameters(Parameters& p) {
  std::vector<std::string> changed;
  const auto number = [](float v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  for (const ControlSpec& spec : control_specs()) {
    const float v = spec.get(p);
    float fixed = v;
    switch (spec.kind) {
      case ControlKind::Toggle: fixed = v != 0.f ? 1.f : 0.f; break;
      case ControlKind::Choice: {
        const float last = static_cast<float>(spec.choices.size()) - 1.f;
        if (!(v >= 0.f && v <= last) || v != std::floor(v)) fixed = control_default(spec);
        break;
      }
      case ControlKind::Slider:
        fixed = std::isfinite(v) ? std::clamp(v, spec.min, spec.max) : control_default(spec);
        break;
    }
    if (fixed == v) continue;
    spec.set(p, fixed);
    if (spec.kind == ControlKind::Slider)
      changed.push_back(std::string(spec.key) + " " + number(v) + " is outside " + number(spec.min) + ".." +
                        number(spec.max) + "; using " + number(fixed));
    else if (spec.kind == ControlKind::Choice)
      changed.push_back(std::string(spec.key) + " has no choice " + number(v) + "; using " +
                        spec.choices[static_cast<size_t>(fixed)]);
  }
  const bool cuda_n = p.device.size() > 5 && p.device.rfind("cuda:", 0) == 0 &&
                      p.device.find_first_not_of("0123456789", 5) == std::string::npos && p.device.size() <= 7;
  if (p.device != "auto" && p.device != "cpu" && p.device != "cuda" && !cuda_n) {
    changed.push_back("device '" + p.device + "' is not auto, cpu, cuda or cuda:N; using auto");
    p.device = "auto";
  }
  if (p.precision != "auto" && p.precision != "fp32" && p.precision != "fp16") {
    changed.push_back("precision '" + p.precision + "' is not auto, fp32 or fp16; using auto");
    p.precision = "auto";
  }
  // Faces are counted from 0; more than a few dozen in one portrait is a typo.
  if (p.face_index < 0 || p.face_index > 63) {
    changed.push_back("face_index " + std::to_string(p.face_index) + " is outside 0..63; using 0");
    p.face_index = 0;
  }
  OneEuroParams& f = p.animation.smoothing_params;
  const OneEuroParams defaults{};
  for (auto [value, fallback, name] : {std::tuple{&f.min_cutoff, defaults.min_cutoff, "min_cutoff"},
                                       std::tuple{&f.beta, defaults.beta, "beta"},
                                       std::tuple{&f.d_cutoff, defaults.d_cutoff, "d_cutoff"}}) {
    if (std::isfinite(*value) && *value >= 0.f && *value <= 1000.f) continue;
    changed.push_back(std::string("smoothing ") + name + " " + number(*value) + " is outside 0..1000; using " +
                      number(fallback));
    *value = fallback;
  }
  return changed;
}

std::string set_control(Parameters& p, const std::string& key, const std::string& value) {
  const ControlSpec* spec = find_control(key);
  if (!spec) return "unknown control '" + key + "'";
  std::string v = value;
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  switch (spec->kind) {
    case ControlKind::Toggle:
      if (v == "1" || v == "true" || v == "on" || v == "yes") spec->set(p, 1.f);
      else if (v == "0" || v == "false" || v == "off" || v == "no") spec->set(p, 0.f);
      else return std::string("control '") + spec->key + "' wants on/off, not '" + value + "'";
      return {};
    case ControlKind::Choice:
      for (size_t i = 0; i < spec->choices.size(); ++i)
        if (v == spec->choices[i] || v == std::to_string(i)) {
          spec->set(p, static_cast<float>(i));
          return {};
        }
      return std::string("control '") + spec->key + "' has no choice '" + value + "'";
    case ControlKind::Slider: {
      if (v == "auto") {
        if (!spec->auto_key) return std::string("control '") + spec->key + "' has no auto mode";
        find_control(spec->auto_key)->set(p, 1.f);
        return {};
      }
      char* end = nullptr;
      const float f = std::strtof(v.c_str(), &end);
      if (v.empty() || !end || *end != '\0' || !std::isfinite(f))
        return std::string("control '") + spec->key + "' wants a number, not '" + value + "'";
      spec->set(p, std::clamp(f, spec->min, spec->max));
      // A fixed value turns auto off and the matching retargeting on: setting
      // "eye open 0" means the user wants closed eyes now.
      if (spec->auto_key) {
        find_control(spec->auto_key)->set(p, 0.f);
        if (std::string(spec->key) == "eye_open") p.animation.eye_retargeting = true;
        if (std::string(spec->key) == "lip_open") p.animation.lip_retargeting = true;
      }
      return {};
    }
  }
  return "unreachable";
}

}  // namespace lp
