#include "hotkeys.h"

#include <GLFW/glfw3.h>
#include <imgui.h>

namespace lp {

const HotkeyInfo* hotkey_table(int* count) {
  static const HotkeyInfo table[] = {
      {"Space", "Pause / resume the animation"},
      {"R", "Re-zero: the current driving frame becomes the neutral pose"},
      {"S", "Stitching on / off"},
      {"M", "Mirror the webcam"},
      {"Tab", "Switch engine (neural / classic)"},
      {"F", "Fullscreen output"},
      {"Esc", "Leave fullscreen, close this help"},
      {"Ctrl+R", "Start / stop recording"},
      {"F1", "This help"},
  };
  *count = static_cast<int>(sizeof(table) / sizeof(table[0]));
  return table;
}

void process_hotkeys(UiState& ui) {
  ImGuiIO& io = ImGui::GetIO();
  // Never steal keys from a text field (e.g. typing a path with an 'r' in it).
  if (io.WantTextInput) return;
  // Dear ImGui 1.86's GLFW backend indexes io.KeysDown by GLFW key codes.
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  // Single-key hotkeys fire only without a modifier: Ctrl+M, Alt+F and the
  // like are the desktop's or another app's, not ours.
  const bool ctrl_only = io.KeyCtrl && !io.KeyAlt && !io.KeySuper;
  const bool plain = !io.KeyCtrl && !io.KeyAlt && !io.KeySuper;
  if (pressed(GLFW_KEY_F1)) ui.show_help = !ui.show_help;
  if (pressed(GLFW_KEY_ESCAPE)) {  // with or without a modifier: a way out
    ui.fullscreen_output = false;
    ui.show_help = false;
  }
  if (!plain) {
    if (pressed(GLFW_KEY_R) && ctrl_only) ui.toggle_recording_requested = true;
    return;
  }
  if (pressed(GLFW_KEY_SPACE)) ui.session->set_paused(!ui.session->paused());
  if (pressed(GLFW_KEY_R)) ui.session->rezero();
  if (pressed(GLFW_KEY_S)) {
    ui.params.animation.stitching = !ui.params.animation.stitching;
    ui.params_changed = true;
  }
  if (pressed(GLFW_KEY_M)) {
    ui.params.mirror_webcam = !ui.params.mirror_webcam;
    ui.params_changed = true;
  }
  if (pressed(GLFW_KEY_TAB)) {
    const SessionStats st = ui.session->stats();
    if (ui.params.engine == EngineKind::Classic && !st.neural_models_present) {
      ui.post(MessageLevel::Warning, "Neural engine unavailable: " + st.neural_unavailable_reason, glfwGetTime());
    } else {
      ui.params.engine = ui.params.engine == EngineKind::Neural ? EngineKind::Classic : EngineKind::Neural;
      ui.params_changed = true;
    }
  }
  if (pressed(GLFW_KEY_F)) ui.fullscreen_output = !ui.fullscreen_output;
}

}  // namespace lp
