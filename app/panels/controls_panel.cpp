// Controls panel: engine choice, toggles, sliders. Drawn from the control
// registry (engine/session/controls.h) so the CLI flags and --set use the same
// names, ranges and defaults. Every slider has a tooltip; double-click resets it.
#include "panels/panels.h"

#include "session/controls.h"

#include <imgui_internal.h>  // ClearActiveID: leave text-input mode after a double-click reset

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace lp {

namespace {

// Room right of each slider for the longest label ("Driving multiplier"),
// measured with the current font so no label is clipped.
float label_column_width() {
  float w = ImGui::CalcTextSize("Quality (CRF)").x;
  for (const ControlSpec& c : control_specs()) w = std::max(w, ImGui::CalcTextSize(c.label).x);
  return w + ImGui::GetStyle().ItemInnerSpacing.x + 4.f;
}

// A small tick above and below a slider's frame at its default value. The
// ranges are LivePortrait's (smile -0.3..1.3, blink -20..5, ...), so the
// neutral handle sits somewhere else on every slider; the tick shows where.
// The grab geometry follows ImGui's SliderBehavior: 2 px padding each side,
// a grab GrabMinSize wide whose centre travels the rest.
void draw_default_tick(const ControlSpec& c, ImVec2 frame_min, float frame_w) {
  const float def = control_default(c);
  if (!(def > c.min && def < c.max)) return;  // at an end: the end is the mark
  const float pad = 2.f;
  const float grab = std::min(ImGui::GetStyle().GrabMinSize, frame_w - 2 * pad);
  const float t = (def - c.min) / (c.max - c.min);
  const float x = std::round(frame_min.x + pad + grab * 0.5f + t * (frame_w - 2 * pad - grab));
  const float h = ImGui::GetFrameHeight();
  const ImU32 col = ImGui::GetColorU32(ImGuiCol_Text, 0.6f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddLine({x, frame_min.y}, {x, frame_min.y + h * 0.2f}, col, 2.f);
  dl->AddLine({x, frame_min.y + h * 0.8f}, {x, frame_min.y + h}, col, 2.f);
}

bool draw_control(UiState& ui, const ControlSpec& c, float label_w) {
  bool changed = false;
  float v = c.get(ui.params);
  ImGui::PushID(c.key);
  switch (c.kind) {
    case ControlKind::Toggle: {
      bool b = v >= 0.5f;
      if (ImGui::Checkbox(c.label, &b)) {
        c.set(ui.params, b ? 1.f : 0.f);
        changed = true;
      }
      break;
    }
    case ControlKind::Choice: {
      int idx = static_cast<int>(v + 0.5f);
      ImGui::SetNextItemWidth(-label_w);
      if (ImGui::Combo(c.label, &idx, c.choices.data(), static_cast<int>(c.choices.size()))) {
        c.set(ui.params, static_cast<float>(idx));
        changed = true;
      }
      break;
    }
    case ControlKind::Slider: {
      bool is_auto = false;
      const ControlSpec* auto_spec = c.auto_key ? find_control(c.auto_key) : nullptr;
      if (auto_spec) {
        is_auto = auto_spec->get(ui.params) >= 0.5f;
        if (ImGui::Checkbox("auto", &is_auto)) {
          auto_spec->set(ui.params, is_auto ? 1.f : 0.f);
          changed = true;
        }
        ImGui::SameLine();
      }
      ImGui::SetNextItemWidth(-label_w);
      const ImVec2 frame_min = ImGui::GetCursorScreenPos();
      const float frame_w = ImGui::CalcItemWidth();
      ImGui::BeginDisabled(is_auto);
      // AlwaysClamp: a value typed with Ctrl+click stays in range, as the
      // settings file is clamped when it is read back.
      if (ImGui::SliderFloat(c.label, &v, c.min, c.max, "%.2f", ImGuiSliderFlags_AlwaysClamp)) {
        c.set(ui.params, v);
        changed = true;
      }
      draw_default_tick(c, frame_min, frame_w);
      // Double-click resets to the default (ImGui would otherwise enter text mode).
      if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(0)) {
        c.set(ui.params, control_default(c));
        ImGui::ClearActiveID();
        changed = true;
      }
      ImGui::EndDisabled();
      break;
    }
  }
  // Only sliders reset on a double-click (a checkbox or a combo takes it as two clicks).
  if (ImGui::IsItemHovered() && c.tooltip) {
    if (c.kind == ControlKind::Slider) ImGui::SetTooltip("%s\n(double-click: reset)", c.tooltip);
    else ImGui::SetTooltip("%s", c.tooltip);
  }
  ImGui::PopID();
  return changed;
}

}  // namespace

void draw_controls_panel(UiState& ui, const PanelLayout& l) {
  ImGui::SetNextWindowPos(l.controls_pos);
  ImGui::SetNextWindowSize(l.controls_size);
  ImGui::Begin("Controls", nullptr, kTiledPanelFlags);

  const float label_w = label_column_width();  // once per frame: ~40 labels measured

  // --- Engine
  SessionStats st = ui.session->stats();
  // Without a model folder the neural choice is greyed out and the radio
  // shows the engine that really runs (settings then save that one too).
  if (!st.neural_models_present && ui.params.engine == EngineKind::Neural) {
    ui.params.engine = EngineKind::Classic;
    ui.params_changed = true;
  }
  int engine = static_cast<int>(ui.params.engine);
  ImGui::TextUnformatted("Engine");
  if (ImGui::RadioButton("Classic (mesh warp)", &engine, 0)) ui.params_changed = true;
  // Side by side when both labels fit, else one under the other.
  const float neural_w = ImGui::CalcTextSize("Neural (LivePortrait)").x + ImGui::GetFrameHeight() +
                         2 * ImGui::GetStyle().ItemSpacing.x;
  ImGui::SameLine();
  if (ImGui::GetContentRegionAvail().x < neural_w) ImGui::NewLine();
  ImGui::BeginDisabled(!st.neural_models_present);
  if (ImGui::RadioButton("Neural (LivePortrait)", &engine, 1)) ui.params_changed = true;
  ImGui::EndDisabled();
  ui.params.engine = static_cast<EngineKind>(engine);
  if (!st.neural_available && !st.neural_unavailable_reason.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored({1, 0.75f, 0.3f, 1}, "Neural unavailable: %s", st.neural_unavailable_reason.c_str());
    ImGui::TextDisabled("Enable it: models/fetch_weights.sh (online), or export your own weights "
                        "with models/export_torchscript.py into the model folder (see README).");
    ImGui::PopTextWrapPos();
  }
  if (ui.params.engine == EngineKind::Neural) {
    static const char* devices[] = {"auto", "cpu", "cuda"};
    static const char* precisions[] = {"auto", "fp32", "fp16"};
    auto combo = [&](const char* label, std::string& value, const char* const* items, int n) {
      int cur = 0;
      for (int i = 0; i < n; ++i)
        if (value == items[i]) cur = i;
      ImGui::SetNextItemWidth(-label_w);
      if (ImGui::Combo(label, &cur, items, n)) {
        value = items[cur];
        ui.params_changed = true;
      }
    };
    combo("Device", ui.params.device, devices, 3);
    combo("Precision", ui.params.precision, precisions, 3);
  }
  if (ImGui::Button("Re-zero (R)")) ui.session->rezero();
  ImGui::SameLine();
  if (ImGui::Button(ui.session->paused() ? "Resume (Space)" : "Pause (Space)"))
    ui.session->set_paused(!ui.session->paused());

  // --- Registry-driven groups
  const char* group = nullptr;
  bool open = true;
  for (const auto& c : control_specs()) {
    // The "auto" toggles are drawn next to their sliders.
    if (std::strcmp(c.key, "eye_open_auto") == 0 || std::strcmp(c.key, "lip_open_auto") == 0) continue;
    if (!group || std::strcmp(group, c.group) != 0) {
      group = c.group;
      open = ImGui::CollapsingHeader(group, std::strcmp(group, "Crop") == 0 ? 0 : ImGuiTreeNodeFlags_DefaultOpen);
    }
    if (open && draw_control(ui, c, label_w)) ui.params_changed = true;
  }
  if (ImGui::Button("Reset all expression sliders")) {
    ui.params.animation.edit = ExpressionEdit{};
    ui.params_changed = true;
  }

  // --- Recording (saved in settings.json with the rest)
  if (ImGui::CollapsingHeader("Recording")) {
    static char folder[1024] = {};
    if (!folder[0] && !ui.settings->recording.output_folder.empty())
      std::snprintf(folder, sizeof(folder), "%s", ui.settings->recording.output_folder.c_str());
    ImGui::SetNextItemWidth(-label_w);
    if (ImGui::InputTextWithHint("Folder", "~/Videos/LivePuppet", folder, sizeof(folder)))
      ui.settings->recording.output_folder = folder;
    ImGui::SetNextItemWidth(-label_w);
    ImGui::SliderInt("Quality (CRF)", &ui.settings->recording.crf, 0, 40, "%d", ImGuiSliderFlags_AlwaysClamp);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("x264 constant rate factor: lower is better and bigger (18-23 is good)");
    ImGui::SetNextItemWidth(-label_w);
    ImGui::SliderInt("Frame rate", &ui.settings->recording.fps, 10, 60, "%d", ImGuiSliderFlags_AlwaysClamp);
  }
  ImGui::End();
}

}  // namespace lp
