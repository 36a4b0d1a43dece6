#pragma once
// UI-side state shared by the panels: the parameters being edited (published
// to the session whenever a control changes), text fields, the message log,
// view flags. Owned by main(); panels get it by reference.
#include "export_job.h"
#include "output_renderer.h"
#include "recording_controller.h"
#include "session/parameters.h"
#include "session/session.h"
#include "session/settings.h"

#include <deque>
#include <string>
#include <vector>

namespace lp {

struct LogLine {
  MessageLevel level;
  std::string text;
  double time;  // glfwGetTime() when posted
};

struct UiState {
  Session* session = nullptr;
  Settings* settings = nullptr;
  OutputRenderer* renderer = nullptr;

  Parameters params;            // the UI's copy; published on change
  bool params_changed = false;  // set by panels, published once per frame

  // Text fields.
  char source_path[1024] = {};
  char driving_path[1024] = {};
  // The user chose "no driving input" (panel or --driving none): only then is
  // "none" saved. A saved webcam or video that failed to open at start (camera
  // unplugged, drive not mounted) stays saved for the next start.
  bool driving_none_chosen = false;

  // Messages: the newest error is shown in a banner, all in the log.
  std::deque<LogLine> log;
  std::string banner;
  MessageLevel banner_level = MessageLevel::Info;
  double banner_until = 0;

  // View.
  bool fullscreen_output = false;
  bool show_help = false;
  bool show_log = false;
  double display_fps = 0;
  bool toggle_recording_requested = false;  // Ctrl+R / the record button

  // Recording and export.
  RecordingController recorder;
  ExportJob export_job;
  bool show_export = false;
  char export_path[1024] = {};

  // Webcams found at start / on refresh.
  std::vector<std::string> camera_names;
  std::vector<int> camera_indices;

  void post(MessageLevel level, const std::string& text, double now);
};

}  // namespace lp
