#pragma once
// Command-line options of the GUI. Besides normal start-up (optional source and
// driving input), they give a way to run without a human, for tests and
// screenshots: render N frames of the real UI and save the window.
#include <string>
#include <utility>
#include <vector>

namespace lp {

struct AppOptions {
  std::string source;              // portrait file; empty = last one / the default portrait
  std::string driving;             // video file, "camera:N", "none"; empty = last one
  double driving_speed = 1.0;      // video playback speed (0.1 .. 8)
  std::string engine;              // "classic" | "neural"; empty = settings / auto
  std::string models_dir;          // neural model folder; empty = settings
  std::string settings_path;       // empty = $XDG_CONFIG_HOME/livepuppet/settings.json
  bool no_save_settings = false;   // tests: leave the settings file alone
  int frames = 0;                  // > 0: headless run, quit after N engine frames
  std::string screenshot;          // save the whole window at the end
  std::string output_shot;         // save the composited output image at the end
  std::vector<std::pair<int, std::string>> screenshots_at;  // (frame, file)
  std::vector<std::pair<std::string, std::string>> set;     // --set key=value (controls)
  int width = 0, height = 0;       // window size override
  double bench_seconds = 0;        // > 0: run the live loop this long, print rates and latency (JSON)
  bool record = false;             // start recording with the first frame (settings' folder)
  bool help = false;
};

// "camera:N" (N from 0 to 63) -> N; false for anything else. For --driving
// and for the driving input saved in settings.json.
bool parse_camera_spec(const std::string& spec, int* index);

// Parses argv; returns false and sets `error` on a bad option.
bool parse_app_options(int argc, char** argv, AppOptions& out, std::string& error);
const char* app_usage();

}  // namespace lp
