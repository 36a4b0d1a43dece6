#include "settings.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lp {

// ---- JSON mapping. Missing fields keep their defaults (WITH_DEFAULT), so
// settings written by an older build load cleanly into a newer one.
NLOHMANN_JSON_SERIALIZE_ENUM(AnimationRegion, {{AnimationRegion::All, "all"},
                                               {AnimationRegion::Expression, "exp"},
                                               {AnimationRegion::Pose, "pose"},
                                               {AnimationRegion::Lips, "lip"},
                                               {AnimationRegion::Eyes, "eyes"}})
NLOHMANN_JSON_SERIALIZE_ENUM(EngineKind, {{EngineKind::Classic, "classic"},
                                          {EngineKind::Neural, "neural"}})
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(OneEuroParams, min_cutoff, beta, d_cutoff)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExpressionEdit, smile, wink, blink, eyebrow,
                                                pupil_x, pupil_y, aaa, eee, woo, head_pitch,
                                                head_yaw, head_roll)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AnimationParams, stitching, relative_motion,
                                                paste_back, eye_retargeting, lip_retargeting,
                                                normalize_lip, expression_friendly, smoothing,
                                                smoothing_params, region, driving_multiplier,
                                                eye_open_auto, eye_open, lip_open_auto, lip_open,
                                                edit)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CropParams, scale, vx, vy, rotate)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Parameters, animation, source_crop, driving_crop,
                                                engine, device, precision, mirror_webcam,
                                                idle_motion, talk_cycle, debug_overlay, color_match, face_index)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RecordingPrefs, output_folder, crf, fps)

namespace {

nlohmann::json to_json_doc(const Settings& s) {
  nlohmann::json j;
  j["version"] = Settings::kVersion;
  j["window"] = {{"width", s.window_width}, {"height", s.window_height}};
  j["last_source"] = s.last_source;
  j["last_driving"] = s.last_driving;
  j["recent_sources"] = s.recent_sources;
  j["models_dir"] = s.models_dir;
  j["recording"] = s.recording;
  j["parameters"] = s.parameters;
  return j;
}

Settings from_json_doc(const nlohmann::json& j) {
  Settings s;
  if (!j.is_object()) throw std::runtime_error("top level is not a JSON object");
  if (!j.contains("version") || !j["version"].is_number_integer())
    throw std::runtime_error("no \"version\" field");
  const int version = j["version"].get<int>();
  if (version != Settings::kVersion)
    throw std::runtime_error("unknown settings version " + std::to_string(version) +
                             " (this build reads version " + std::to_string(Settings::kVersion) + ")");
  if (auto w = j.find("window"); w != j.end()) {
    s.window_width = w->value("width", s.window_width);
    s.window_height = w->value("height", s.window_height);
  }
  s.last_source = j.value("last_source", s.last_source);
  s.last_driving = j.value("last_driving", s.last_driving);
  s.recent_sources = j.value("recent_sources", s.recent_sources);
  s.models_dir = j.value("models_dir", s.models_dir);
  if (j.contains("recording")) s.recording = j["recording"].get<RecordingPrefs>();
  if (j.contains("parameters")) s.parameters = j["parameters"].get<Parameters>();
  // Clamp what could make the UI unusable.
  if (s.window_width < 320 || s.window_width > 16384) s.window_width = Settings{}.window_width;
  if (s.window_height < 240 || s.window_height > 16384) s.window_height = Settings{}.window_height;
  if (s.recent_sources.size() > Settings::kMaxRecent) s.recent_sources.resize(Settings::kMaxRecent);
  return s;
}

}  // namespace

void Settings::add_recent_source(const std::string& path) {
  if (path.empty()) return;
  std::vector<std::string> out{path};
  for (const auto& p : recent_sources)
    if (p != path && out.size() < kMaxRecent) out.push_back(p);
  recent_sources = std::move(out);
}

std::filesystem::path default_settings_path() {
  std::filesystem::path base;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    base = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    base = std::filesystem::path(home) / ".config";
  else
    base = ".";
  return base / "livepuppet" / "settings.json";
}

SettingsLoadResult load_settings(const std::filesystem::path& path) {
  SettingsLoadResult r;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return r;  // first run: defaults, no warning
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  std::string reason;
  if (!in) {
    reason = "cannot be read";
  } else {
    try {
      r.settings = from_json_doc(nlohmann::json::parse(ss.str()));
      return r;
    } catch (const std::exception& e) {
      reason = e.what();
    }
  }
  // Keep the bad file for the user, then continue with defaults.
  std::filesystem::path bad = path;
  bad += ".bad";
  std::filesystem::rename(path, bad, ec);
  r.settings = Settings{};
  r.warning = "Settings file " + path.string() + " is invalid (" + reason + "); using defaults" +
              (ec ? std::string(" (could not keep a copy: ") + ec.message() + ")"
                  : ". The bad file was kept as " + bad.string());
  return r;
}

std::string save_settings(const Settings& settings, const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return "cannot create " + path.parent_path().string() + ": " + ec.message();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return "cannot write " + tmp.string();
    // Paths are bytes on Linux, not always UTF-8: replace what JSON cannot hold
    // instead of throwing.
    try {
      out << to_json_doc(settings).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } catch (const std::exception& e) {
      out.close();
      std::filesystem::remove(tmp, ec);
      return std::string("cannot write ") + path.string() + ": " + e.what();
    }
    out.flush();
    if (!out) {
      out.close();
      std::filesystem::remove(tmp, ec);
      return "cannot write " + path.string() + " (disk full?)";
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return "cannot replace " + path.string() + ": " + ec.message();
  return {};
}

std::string parameters_to_json(const Parameters& p) {
  return nlohmann::json(p).dump(2);
}

Parameters parameters_from_json_text(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("not valid JSON: ") + e.what());
  }
  try {
    if (j.contains("parameters")) return j["parameters"].get<Parameters>();
    return j.get<Parameters>();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("bad parameter value: ") + e.what());
  }
}

}  // namespace lp
