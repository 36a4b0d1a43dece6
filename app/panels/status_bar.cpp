// Status bar: capture / engine / display rates, ms per frame, latency, engine
// and device, plus the newest message.
#include "panels/panels.h"

#include <imgui_internal.h>  // BringWindowToDisplayFront: no public call keeps an unfocused window on top

#include <string>

namespace lp {

void draw_status_bar(UiState& ui, const PanelLayout& l) {
  ImGui::SetNextWindowPos(l.status_pos);
  ImGui::SetNextWindowSize(l.status_size);
  ImGui::Begin("##status", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBackground);  // painted by paint_panel_backgrounds
  SessionStats s = ui.session->stats();
  ImGui::Text("capture %4.1f fps | engine %4.1f fps %5.1f ms | display %4.1f fps | latency p50 %5.1f ms | %s on %s%s%s",
              s.capture_fps, s.engine_fps, s.engine_ms, ui.display_fps, s.latency_p50_ms,
              s.engine_name.empty() ? "no engine" : s.engine_name.c_str(),
              s.engine_device.empty() ? "CPU" : s.engine_device.c_str(), s.engine_status.empty() ? "" : " | ",
              s.engine_status.c_str());
  if (ImGui::IsItemHovered() && !s.stages.empty()) {
    std::string tip;
    for (const auto& st : s.stages) tip += std::string(st.name) + ": " + std::to_string(st.ms).substr(0, 5) + " ms\n";
    ImGui::SetTooltip("%s", tip.c_str());
  }
  if (ui.session->paused()) {
    ImGui::SameLine();
    ImGui::TextColored({1, 0.8f, 0.3f, 1}, " | PAUSED");
  }
  ImGui::SameLine();
  ImGui::TextDisabled(" | F1 help |");
  ImGui::SameLine();
  bool log_opened = false;
  if (ImGui::SmallButton(ui.log.empty() ? "Messages" : ("Messages (" + std::to_string(ui.log.size()) + ")").c_str())) {
    ui.show_log = !ui.show_log;
    log_opened = ui.show_log;
  }
  ImGui::End();

  // Every message of this run (errors name the file and the reason).
  if (ui.show_log) {
    ImGui::SetNextWindowSize({640, 260}, ImGuiCond_FirstUseEver);
    if (log_opened) ImGui::SetNextWindowFocus();  // opened: in front of the panels
    ImGui::Begin("Messages", &ui.show_log, ImGuiWindowFlags_NoSavedSettings);
    for (const auto& line : ui.log) {
      const ImVec4 c = line.level == MessageLevel::Error     ? ImVec4(1, 0.45f, 0.45f, 1)
                       : line.level == MessageLevel::Warning ? ImVec4(1, 0.8f, 0.3f, 1)
                                                             : ImVec4(0.85f, 0.85f, 0.85f, 1);
      ImGui::PushTextWrapPos(0);
      ImGui::TextColored(c, "[%6.1f s] %s", line.time, line.text.c_str());
      ImGui::PopTextWrapPos();
    }
    ImGui::End();
  }
}

void draw_message_banner(UiState& ui, double now) {
  if (ui.banner.empty() || now > ui.banner_until) return;
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos({io.DisplaySize.x * 0.5f, 40.f}, ImGuiCond_Always, {0.5f, 0.f});
  ImGui::SetNextWindowBgAlpha(0.92f);
  ImGui::Begin("##banner", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav);
  // In front of every panel, every frame, without taking the keyboard focus
  // (NoFocusOnAppearing): a panel clicked last would otherwise cover it.
  ImGui::BringWindowToDisplayFront(ImGui::GetCurrentWindow());
  const ImVec4 color = ui.banner_level == MessageLevel::Error     ? ImVec4(1, 0.45f, 0.45f, 1)
                       : ui.banner_level == MessageLevel::Warning ? ImVec4(1, 0.8f, 0.3f, 1)
                                                                  : ImVec4(0.8f, 0.95f, 0.8f, 1);
  ImGui::PushTextWrapPos(io.DisplaySize.x * 0.6f);
  ImGui::TextColored(color, "%s", ui.banner.c_str());
  ImGui::PopTextWrapPos();
  ImGui::End();
}

void draw_help_overlay(UiState& ui) {
  if (!ui.show_help) return;
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos({io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f}, ImGuiCond_Always, {0.5f, 0.5f});
  ImGui::Begin("Hotkeys (F1)", &ui.show_help, ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings);
  int n = 0;
  const HotkeyInfo* t = hotkey_table(&n);
  if (ImGui::BeginTable("keys", 2)) {
    for (int i = 0; i < n; ++i) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t[i].keys);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t[i].action);
    }
    ImGui::EndTable();
  }
  ImGui::TextDisabled("Drop an image to change the portrait, a video to drive it.");
  ImGui::End();
}

}  // namespace lp
