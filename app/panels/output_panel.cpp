// Output panel: the composited result, aspect-correct, fitted to the panel,
// with the record button and the recording indicator above it.
#include "panels/panels.h"

#include <cmath>

namespace lp {

namespace {

void draw_record_bar(UiState& ui) {
  const bool rec = ui.recorder.recording();
  ImGui::PushStyleColor(ImGuiCol_Button, rec ? ImVec4(0.75f, 0.1f, 0.1f, 1) : ImGui::GetStyle().Colors[ImGuiCol_Button]);
  if (ImGui::Button(rec ? "Stop recording (Ctrl+R)" : "Record (Ctrl+R)")) ui.toggle_recording_requested = true;
  ImGui::PopStyleColor();
  ImGui::SameLine();
  if (rec) {
    RecorderStats s = ui.recorder.stats();
    const int secs = static_cast<int>(s.elapsed_s);
    ImGui::TextColored({1, 0.35f, 0.35f, 1}, "REC %02d:%02d  %lld frames  %lld dropped  %.1f MB", secs / 60, secs % 60,
                       static_cast<long long>(s.frames_written), static_cast<long long>(s.frames_dropped),
                       s.file_bytes / 1e6);
  } else {
    if (ImGui::Button("Export...")) ui.show_export = true;
    if (ui.export_job.running()) {
      ImGui::SameLine();
      RenderProgress p = ui.export_job.progress();
      const float frac = p.total > 0 ? static_cast<float>(p.done) / static_cast<float>(p.total) : 0.f;
      ImGui::ProgressBar(frac, ImVec2(160, 0));
      ImGui::SameLine();
      ImGui::Text("exporting %.0f fps", p.fps);
    }
  }
}

}  // namespace

void draw_output_panel(UiState& ui, const PanelLayout& l) {
  ImGui::SetNextWindowPos(l.output_pos);
  ImGui::SetNextWindowSize(l.output_size);
  ImGuiWindowFlags flags = kTiledPanelFlags | ImGuiWindowFlags_NoScrollbar;
  if (ui.fullscreen_output) flags |= ImGuiWindowFlags_NoTitleBar;
  ImGui::Begin("Output", nullptr, flags);
  if (!ui.fullscreen_output) draw_record_bar(ui);
  if (ui.renderer->has_output()) {
    const OutputRenderer::View v = ui.renderer->output();
    draw_fitted_image(v.id, v.width, v.height, ImGui::GetContentRegionAvail(), v.flip_v);
  } else {
    ImGui::TextDisabled("Waiting for the first frame...");
  }
  ImGui::End();
}

}  // namespace lp
