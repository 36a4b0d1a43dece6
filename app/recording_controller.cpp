#include "recording_controller.h"

#include "media/output_path.h"

#include <cstdlib>
#include <filesystem>

namespace lp {

std::string RecordingController::default_folder() {
  const char* home = std::getenv("HOME");
  std::filesystem::path base = home && *home ? home : ".";
  if (std::filesystem::is_directory(base / "Videos")) return (base / "Videos" / "LivePuppet").string();
  return (base / "LivePuppet").string();
}

std::string RecordingController::start(const RecordingPrefs& prefs, cv::Size size) {
  if (recorder_) return {};
  if (size.width <= 0 || size.height <= 0) return "Nothing to record yet";
  RecordingSettings rs;
  rs.folder = prefs.output_folder.empty() ? default_folder() : prefs.output_folder;
  rs.stem = timestamped_stem("livepuppet");
  rs.width = size.width;
  rs.height = size.height;
  rs.fps = prefs.fps > 0 ? prefs.fps : 30;
  rs.crf = prefs.crf;
  rs.preset = "ultrafast";  // the live loop shares the CPU with the engine
  std::string error;
  note_.clear();
  recorder_ = Recorder::to_file(rs, &error, &note_);
  if (!recorder_) return error.empty() ? "Cannot start recording in " + rs.folder : error;
  if (!note_.empty()) note_ = "Recording: " + note_;
  return {};
}

std::string RecordingController::stop() {
  if (!recorder_) return {};
  RecorderStats s = recorder_->stop();
  recorder_.reset();
  if (s.state == RecorderState::Failed) return "Recording stopped: " + s.error + " (the part written plays)";
  return "Saved " + s.path + " (" + std::to_string(s.frames_written) + " frames, " +
         std::to_string(s.frames_dropped) + " dropped)";
}

std::string RecordingController::push(const cv::Mat& bgr, std::int64_t capture_ns) {
  if (!recorder_) return {};
  recorder_->push(bgr, capture_ns);
  if (recorder_->state() == RecorderState::Failed) return stop();
  return {};
}

RecorderStats RecordingController::stats() const { return recorder_ ? recorder_->stats() : RecorderStats{}; }

}  // namespace lp
