#include "panels/panels.h"

#include <algorithm>
#include <utility>

namespace lp {

PanelLayout compute_layout(float w, float h, bool fullscreen_output) {
  PanelLayout l{};
  const float status_h = 28.f;
  l.status_pos = {0, h - status_h};
  l.status_size = {w, status_h};
  if (fullscreen_output) {
    l.output_pos = {0, 0};
    l.output_size = {w, h - status_h};
    return l;
  }
  const float left_w = std::clamp(w * 0.22f, 220.f, 420.f);
  const float right_w = std::clamp(w * 0.24f, 260.f, 440.f);
  const float body_h = h - status_h;
  l.source_pos = {0, 0};
  l.source_size = {left_w, body_h * 0.5f};
  l.driving_pos = {0, body_h * 0.5f};
  l.driving_size = {left_w, body_h * 0.5f};
  l.output_pos = {left_w, 0};
  l.output_size = {w - left_w - right_w, body_h};
  l.controls_pos = {w - right_w, 0};
  l.controls_size = {right_w, body_h};
  return l;
}

void paint_panel_backgrounds(int fb_width, int fb_height) {
  // Every panel has the style's window background, opaque here (nothing is
  // behind the panels): one clear of the whole framebuffer.
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glDisable(GL_SCISSOR_TEST);
  glViewport(0, 0, fb_width, fb_height);
  glClearColor(bg.x, bg.y, bg.z, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
}

void draw_panel_borders(const PanelLayout& l) {
  ImDrawList* dl = ImGui::GetBackgroundDrawList();
  const ImU32 col = ImGui::GetColorU32(ImGuiCol_Border);
  const float t = ImGui::GetStyle().WindowBorderSize;
  if (t <= 0.f) return;
  for (const auto& [pos, size] : {std::pair{l.source_pos, l.source_size}, std::pair{l.driving_pos, l.driving_size},
                                  std::pair{l.output_pos, l.output_size}, std::pair{l.controls_pos, l.controls_size},
                                  std::pair{l.status_pos, l.status_size}})
    if (size.x > 0 && size.y > 0) dl->AddRect(pos, ImVec2(pos.x + size.x, pos.y + size.y), col, 0.f, 0, t);
}

ImVec4 draw_fitted_image(GLuint tex, int width, int height, ImVec2 avail, bool flip_v) {
  if (!tex || width <= 0 || height <= 0 || avail.x < 4 || avail.y < 4) return {0, 0, 0, 0};
  const float s = std::min(avail.x / width, avail.y / height);
  const ImVec2 size{width * s, height * s};
  ImVec2 cur = ImGui::GetCursorPos();
  ImGui::SetCursorPos({cur.x + (avail.x - size.x) * 0.5f, cur.y + (avail.y - size.y) * 0.5f});
  const ImVec2 screen = ImGui::GetCursorScreenPos();
  // Drawn without blending: every image shown is opaque (portraits are
  // flattened onto white when loaded, video frames have no alpha), and on
  // software GL blending a large image costs a read of every pixel under it.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddCallback([](const ImDrawList*, const ImDrawCmd*) { glDisable(GL_BLEND); }, nullptr);
  ImGui::Image(reinterpret_cast<void*>(static_cast<intptr_t>(tex)), size, flip_v ? ImVec2(0, 1) : ImVec2(0, 0),
               flip_v ? ImVec2(1, 0) : ImVec2(1, 1));
  dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr);  // the backend's state (blending on) again
  return {screen.x, screen.y, size.x, size.y};
}

}  // namespace lp
