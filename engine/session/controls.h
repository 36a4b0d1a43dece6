#pragma once
// The control registry: every user-facing parameter once, with its key, label,
// tooltip, range and default. The GUI's Controls panel draws sliders and
// toggles from it, `livepuppet --set KEY=VALUE` and `livepuppet-cli render
// --KEY VALUE` set values through it, so the three never disagree.
#include "parameters.h"

#include <string>
#include <vector>

namespace lp {

enum class ControlKind { Toggle, Slider, Choice };

struct ControlSpec {
  const char* key;       // "eye_open", "smile", "stitching" (CLI: --eye-open)
  const char* group;     // panel section: "Motion", "Retargeting", "Expression", "Crop"
  const char* label;
  const char* tooltip;
  ControlKind kind;
  float min = 0, max = 1;                // sliders
  std::vector<const char*> choices = {}; // Choice: labels, value = index
  // Accessors on a Parameters value (floats for sliders, 0/1 for toggles,
  // the index for choices).
  float (*get)(const Parameters&);
  void (*set)(Parameters&, float);
  // For sliders with an "auto" mode (eye_open, lip_open): its toggle key.
  const char* auto_key = nullptr;
};

const std::vector<ControlSpec>& control_specs();
const ControlSpec* find_control(const std::string& key);  // accepts '-' for '_'

// The default value of a control (from a default-constructed Parameters).
float control_default(const ControlSpec& spec);

// Sets KEY from text: numbers for sliders (clamped to range), "auto" for a
// slider with an auto mode, true/false/on/off/1/0 for toggles, a choice label
// or index for choices. Returns "" or an error message naming the key.
std::string set_control(Parameters& p, const std::string& key, const std::string& value);

// Brings every value of `p` that no control could have set into range, as a
// hand-edited settings file can hold anything: sliders clamped (non-finite
// ones back to their default), choices and face index to a valid index,
// device and precision to a known name, smoothing to positive finite rates.
// Returns one sentence per value changed, naming its key.
std::vector<std::string> sanitize_parameters(Parameters& p);

}  // namespace lp
