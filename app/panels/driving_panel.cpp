// Driving panel: pick a webcam or a video file; play / pause / loop / seek.
#include "panels/panels.h"

#include "media/camera_source.h"

#include <cmath>
#include <cstdio>

namespace lp {

void draw_driving_panel(UiState& ui, const PanelLayout& l) {
  ImGui::SetNextWindowPos(l.driving_pos);
  ImGui::SetNextWindowSize(l.driving_size);
  ImGui::Begin("Driving", nullptr, kTiledPanelFlags);
  DrivingStatus d = ui.session->driving_status();

  // Input choice: none / webcams / a file.
  const char* preview = d.kind == DrivingStatus::Kind::None ? "No driving input (idle)" : d.name.c_str();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##input", preview)) {
    if (ImGui::Selectable("No driving input (idle)")) {
      ui.session->close_driving();
      ui.driving_none_chosen = true;
    }
    for (size_t i = 0; i < ui.camera_indices.size(); ++i)
      if (ImGui::Selectable(ui.camera_names[i].c_str())) {
        ui.session->open_driving_camera(ui.camera_indices[i]);
        ui.driving_none_chosen = false;
      }
    if (ImGui::Selectable("Refresh webcam list")) {
      ui.camera_names.clear();
      ui.camera_indices.clear();
      for (const auto& c : list_cameras()) {
        ui.camera_names.push_back(c.name + " (" + c.path + ")");
        ui.camera_indices.push_back(c.index);
      }
    }
    ImGui::EndCombo();
  }
  ImGui::SetNextItemWidth(-60);
  const bool enter = ImGui::InputTextWithHint("##drvpath", "driving video file", ui.driving_path,
                                              sizeof(ui.driving_path), ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Play##open") || enter) && ui.driving_path[0]) {
    ui.session->open_driving_video(ui.driving_path);
    ui.driving_none_chosen = false;
  }

  if (ui.session->driving_opening()) ImGui::TextColored({1, 0.8f, 0.3f, 1}, "Opening driving input...");
  if (d.kind == DrivingStatus::Kind::Video) {
    if (ImGui::Button(d.playing ? "Pause" : "Play")) ui.session->set_playing(!d.playing);
    ImGui::SameLine();
    bool loop = d.loop;
    if (ImGui::Checkbox("Loop", &loop)) ui.session->set_loop(loop);
    // Playback speed: slow motion to study a performance, faster to preview.
    ImGui::SameLine();
    static const float kSpeeds[] = {0.25f, 0.5f, 0.75f, 1.f, 1.5f, 2.f};
    char label[16];
    std::snprintf(label, sizeof(label), "%gx", d.speed);
    ImGui::SetNextItemWidth(70);
    if (ImGui::BeginCombo("Speed", label)) {
      for (float s : kSpeeds) {
        std::snprintf(label, sizeof(label), "%gx", s);
        if (ImGui::Selectable(label, std::abs(d.speed - s) < 1e-3)) ui.session->set_speed(s);
      }
      ImGui::EndCombo();
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Playback speed of the driving video (every frame is still used when the engine keeps up)");
    if (d.frame_count > 0) {
      int pos = static_cast<int>(d.position);
      ImGui::SetNextItemWidth(-1);
      if (ImGui::SliderInt("##seek", &pos, 0, static_cast<int>(d.frame_count - 1), "frame %d",
                           ImGuiSliderFlags_AlwaysClamp))
        ui.session->seek(pos);
    }
  } else if (d.kind == DrivingStatus::Kind::Camera && d.failed) {
    ImGui::TextColored({1, 0.4f, 0.4f, 1}, "Camera lost.");
    ImGui::SameLine();
    if (ImGui::Button("Reconnect")) ui.session->reconnect_driving();
  }

  // The driving frame with its tracked face.
  ImVec2 avail = ImGui::GetContentRegionAvail();
  const gl::Texture& tex = ui.renderer->driving();
  if (d.kind != DrivingStatus::Kind::None && tex.valid()) {
    ImVec4 r = draw_fitted_image(tex, avail, false);
    auto out = ui.session->latest_output();
    if (ui.params.debug_overlay && out && out->driving_face && !out->driving_bgr.empty()) {
      ImDrawList* dl = ImGui::GetWindowDrawList();
      const float sx = r.z / out->driving_bgr.cols, sy = r.w / out->driving_bgr.rows;
      for (const auto& p : out->driving_face->landmarks)
        dl->AddCircleFilled({r.x + p.x * sx, r.y + p.y * sy}, 1.5f, IM_COL32(255, 200, 0, 255));
      if (out->driving_crop) {
        auto c = out->driving_crop->corners();
        for (int i = 0; i < 4; ++i)
          dl->AddLine({r.x + c[i].x * sx, r.y + c[i].y * sy}, {r.x + c[(i + 1) % 4].x * sx, r.y + c[(i + 1) % 4].y * sy},
                      IM_COL32(80, 220, 120, 255), 1.5f);
      }
    }
  } else {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("Idle motion plays when there is no driving input.");
    ImGui::PopTextWrapPos();
  }
  ImGui::End();
}

}  // namespace lp
