// Source panel: the current portrait (thumbnail with its faces; click a face to
// animate it), a path field, the recent files. Drop a file anywhere on the
// window to replace the portrait (main.cpp's drop callback).
#include "panels/panels.h"

#include "vision/crop_transform.h"

#include <filesystem>

namespace lp {

void draw_source_panel(UiState& ui, const PanelLayout& l) {
  ImGui::SetNextWindowPos(l.source_pos);
  ImGui::SetNextWindowSize(l.source_size);
  ImGui::Begin("Source", nullptr, kTiledPanelFlags);

  auto src = ui.session->current_source();
  const float field_h = ImGui::GetFrameHeightWithSpacing() * 3.2f;
  ImVec2 avail = ImGui::GetContentRegionAvail();
  avail.y -= field_h;
  const gl::Texture& tex = ui.renderer->source();
  if (src && tex.valid()) {
    ImVec4 r = draw_fitted_image(tex, avail, false);
    // Faces: outline each, highlight the animated one; a click picks a face.
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float sx = r.z / static_cast<float>(src->bgr.cols);
    const float sy = r.w / static_cast<float>(src->bgr.rows);
    for (size_t i = 0; i < src->faces.size(); ++i) {
      const auto& b = src->faces[i].box;
      ImVec2 a{r.x + b.x * sx, r.y + b.y * sy}, c{r.x + (b.x + b.width) * sx, r.y + (b.y + b.height) * sy};
      const bool chosen = static_cast<int>(i) == ui.params.face_index;
      if (src->faces.size() > 1 || ui.params.debug_overlay)
        dl->AddRect(a, c, chosen ? IM_COL32(80, 220, 120, 255) : IM_COL32(220, 220, 220, 160), 0, 0, chosen ? 2.f : 1.f);
      if (ui.params.debug_overlay && chosen) {
        for (const auto& p : src->faces[i].landmarks)
          dl->AddCircleFilled({r.x + p.x * sx, r.y + p.y * sy}, 1.5f, IM_COL32(255, 200, 0, 255));
        // The source crop the neural engine uses (scale, shift, rotation controls).
        const auto c = compute_crop_transform(src->faces[i].landmarks, ui.params.source_crop).corners();
        for (int k = 0; k < 4; ++k)
          dl->AddLine({r.x + c[k].x * sx, r.y + c[k].y * sy}, {r.x + c[(k + 1) % 4].x * sx, r.y + c[(k + 1) % 4].y * sy},
                      IM_COL32(80, 220, 120, 255), 1.5f);
      }
      if (ImGui::IsWindowHovered() && ImGui::IsMouseClicked(0) && ImGui::IsMouseHoveringRect(a, c) && !chosen) {
        ui.params.face_index = static_cast<int>(i);
        ui.params_changed = true;
      }
    }
    if (src->faces.size() > 1)
      ImGui::TextDisabled("%zu faces: click one to animate it", src->faces.size());
  } else {
    ImGui::Dummy(avail);
  }
  if (ui.session->source_loading()) ImGui::TextColored({1, 0.8f, 0.3f, 1}, "Loading portrait...");

  ImGui::SetNextItemWidth(-60);
  const bool enter = ImGui::InputTextWithHint("##srcpath", "portrait file (or drop one)", ui.source_path,
                                              sizeof(ui.source_path), ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Open") || enter) && ui.source_path[0]) ui.session->open_source(ui.source_path);
  if (!ui.settings->recent_sources.empty()) {
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##recent", "Recent portraits")) {
      for (const auto& r : ui.settings->recent_sources) {
        ImGui::PushID(r.c_str());  // two recent files may share a name
        if (ImGui::Selectable(std::filesystem::path(r).filename().string().c_str())) {
          snprintf(ui.source_path, sizeof(ui.source_path), "%s", r.c_str());
          ui.session->open_source(r);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.c_str());
        ImGui::PopID();
      }
      ImGui::EndCombo();
    }
  }
  ImGui::End();
}

}  // namespace lp
