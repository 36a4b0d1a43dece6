#pragma once
// Persistent settings: window, last inputs, recent files, every control value.
// Stored as JSON at $XDG_CONFIG_HOME/livepuppet/settings.json (fallback
// ~/.config/livepuppet/settings.json). A corrupt or unknown-version file never
// stops the app: it is kept aside as settings.json.bad and defaults are used.
#include "default_models_dir.h"
#include "parameters.h"

#include <filesystem>
#include <string>
#include <vector>

namespace lp {

struct RecordingPrefs {
  std::string output_folder;  // empty = ~/Videos/LivePuppet (or the home folder)
  int crf = 20;               // libx264 constant rate factor (lower = better)
  int fps = 30;
};

struct Settings {
  static constexpr int kVersion = 1;
  // The smallest window the panel layout fits in (side panels 220 + 260 px,
  // the output at least 320 px wide), and the largest a screen has today.
  static constexpr int kMinWindowWidth = 800, kMinWindowHeight = 560;
  static constexpr int kMaxWindowWidth = 7680, kMaxWindowHeight = 4320;

  int window_width = 1600;
  int window_height = 960;
  std::string last_source;
  std::string last_driving;  // a file path, "camera:N", or "" for none
  std::vector<std::string> recent_sources;  // newest first, at most kMaxRecent
  std::string models_dir = default_models_dir();
  RecordingPrefs recording;
  Parameters parameters;

  static constexpr size_t kMaxRecent = 10;
  void add_recent_source(const std::string& path);
};

// The default location of settings.json for this user.
std::filesystem::path default_settings_path();

struct SettingsLoadResult {
  Settings settings;
  // Non-empty when the file was bad and defaults were used, or when values
  // in it were out of range and were brought into range (each one named).
  std::string warning;
};

// Loads settings; a missing file gives defaults silently; a corrupt file or an
// unknown version gives defaults plus a warning, and the bad file is renamed
// to settings.json.bad so nothing the user had is lost.
SettingsLoadResult load_settings(const std::filesystem::path& path);

// Writes atomically (temporary file + rename) so a crash never leaves half a
// file. Returns an error message, or "" on success.
std::string save_settings(const Settings& settings, const std::filesystem::path& path);

// JSON text of the parameters alone (used by `livepuppet-cli render --settings`).
std::string parameters_to_json(const Parameters& p);
// Parses parameters from a settings.json or a bare parameters object; throws
// std::runtime_error naming the problem. Values out of range are brought into
// range (sanitize_parameters) and, when `adjusted` is given, listed there.
Parameters parameters_from_json_text(const std::string& text, std::vector<std::string>* adjusted = nullptr);

}  // namespace lp
