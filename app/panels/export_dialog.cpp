// Export dialog: render the current portrait with the current driving video
// and settings, every frame, in the background (progress bar, cancel).
#include "panels/panels.h"

#include "media/output_path.h"
#include "recording_controller.h"

#include <filesystem>

namespace lp {

void draw_export_dialog(UiState& ui) {
  if (!ui.show_export) return;
  ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos({io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.4f}, ImGuiCond_Appearing, {0.5f, 0.5f});
  ImGui::SetNextWindowSize({520, 0}, ImGuiCond_Appearing);
  ImGui::Begin("Export video", &ui.show_export, ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings);
  auto src = ui.session->current_source();
  DrivingStatus d = ui.session->driving_status();
  const bool video = d.kind == DrivingStatus::Kind::Video;
  ImGui::Text("Portrait: %s", src ? std::filesystem::path(src->path).filename().string().c_str() : "(none)");
  ImGui::Text("Driving:  %s", video ? std::filesystem::path(d.name).filename().string().c_str() : "idle motion (10 s)");
  if (!ui.export_path[0]) {
    const std::string folder =
        ui.settings->recording.output_folder.empty() ? RecordingController::default_folder() : ui.settings->recording.output_folder;
    std::snprintf(ui.export_path, sizeof(ui.export_path), "%s/%s.mp4", folder.c_str(),
                  timestamped_stem("export").c_str());
  }
  ImGui::SetNextItemWidth(-1);
  ImGui::InputText("##exportpath", ui.export_path, sizeof(ui.export_path));
  if (ui.export_job.running()) {
    RenderProgress p = ui.export_job.progress();
    const float frac = p.total > 0 ? static_cast<float>(p.done) / static_cast<float>(p.total) : 0.f;
    char label[96];
    std::snprintf(label, sizeof(label), "%lld / %lld  (%.1f fps, ETA %.0f s)", static_cast<long long>(p.done),
                  static_cast<long long>(p.total), p.fps, p.eta_s);
    ImGui::ProgressBar(frac, ImVec2(-1, 0), label);
    if (ImGui::Button("Cancel")) ui.export_job.cancel();
  } else {
    ImGui::BeginDisabled(!src);
    if (ImGui::Button("Export every frame")) {
      RenderRequest rq;
      rq.source = src->path;
      rq.driving = video ? d.name : "idle";
      rq.out = ui.export_path;
      rq.engine = ui.params.engine;
      rq.models_dir = ui.settings->models_dir;
      rq.params = ui.params;
      rq.crf = ui.settings->recording.crf;
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(rq.out).parent_path(), ec);
      if (std::filesystem::exists(rq.out))
        ui.post(MessageLevel::Error, rq.out + " exists already: choose another name", ImGui::GetTime());
      else
        ui.export_job.start(rq);
    }
    ImGui::EndDisabled();
  }
  ImGui::End();
}

}  // namespace lp
