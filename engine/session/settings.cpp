#include "settings.h"
#include "controls.h"

#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
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
                                                idle_motion, talk_cycle, still_background, debug_overlay, color_match,
                                                face_index)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RecordingPrefs, output_folder, crf, fps)

namespace {

nlohmann::json to_json_doc(const Settings& s) {
  nlohmann::json j;
  j["version"] = Settings::kVersion;
  j["window"] = {{"width", s.window_width}, {"height", s.window_height}};
  j["last_source"] = s.last_source;
  j["last_driving"] = s.last_driving;
  j["recent_sources"] = s.recent_sources;
  // The default folder is not written: it is this build's source tree, and a
  // moved checkout or another clone sharing the settings must find its own.
  if (s.models_dir != default_models_dir()) j["models_dir"] = s.models_dir;
  j["recording"] = s.recording;
  j["parameters"] = s.parameters;
  return j;
}

// nlohmann maps an unknown enum name to the first value without a word: a
// name that does not come back from its value was unknown; say so.
template <typename Enum>
void check_enum_name(const nlohmann::json& object, const char* key, std::vector<std::string>& adjusted) {
  if (!object.is_object()) return;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return;
  const nlohmann::json used = it->get<Enum>();
  if (used != *it)
    adjusted.push_back(std::string(key) + " '" + it->get<std::string>() + "' is unknown; using " + used.get<std::string>());
}

void check_enum_names(const nlohmann::json& params, std::vector<std::string>& adjusted) {
  check_enum_name<EngineKind>(params, "engine", adjusted);
  if (params.is_object() && params.contains("animation"))
    check_enum_name<AnimationRegion>(params["animation"], "region", adjusted);
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": a tag
// for programmers, not for the person whose settings file it is.
std::string without_json_exception_tag(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0)
    if (const auto end = what.find("] "); end != std::string::npos) return what.substr(end + 2);
  return what;
}

Parameters parameters_from_json(const nlohmann::json& params, std::vector<std::string>& adjusted) {
  check_enum_names(params, adjusted);
  Parameters p = params.get<Parameters>();
  for (std::string& a : sanitize_parameters(p)) adjusted.push_back(std::move(a));
  return p;
}

// A value outside lo..hi goes back to its default, and the note says so.
void reset_if_outside(int& value, int lo, int hi, int fallback, const char* name, std::vector<std::string>& adjusted) {
  if (value >= lo && value <= hi) return;
  adjusted.push_back(std::string(name) + " " + std::to_string(value) + " is outside " + std::to_string(lo) + ".." +
                     std::to_string(hi) + "; using " + std::to_string(fallback));
  value = fallback;
}

Settings from_json_doc(const nlohmann::json& j, std::vector<std::string>& adjusted) {
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
  s.models_dir = settings_models_dir(j.value("models_dir", s.models_dir));
  if (j.contains("recording")) s.recording = j["recording"].get<RecordingPrefs>();
  if (j.contains("parameters")) s.parameters = parameters_from_json(j["parameters"], adjusted);
  const RecordingPrefs defaults;
  reset_if_outside(s.recording.crf, 0, 51, defaults.crf, "recording crf", adjusted);
  reset_if_outside(s.recording.fps, 1, 240, defaults.fps, "recording fps", adjusted);
  // A window the layout does not fit in, or far larger than any screen: each
  // side brought to the nearest size that works.
  const int w = std::clamp(s.window_width, Settings::kMinWindowWidth, Settings::kMaxWindowWidth);
  const int h = std::clamp(s.window_height, Settings::kMinWindowHeight, Settings::kMaxWindowHeight);
  if (w != s.window_width || h != s.window_height) {
    adjusted.push_back("window " + std::to_string(s.window_width) + "x" + std::to_string(s.window_height) +
                       " is outside " + std::to_string(Settings::kMinWindowWidth) + "x" +
                       std::to_string(Settings::kMinWindowHeight) + ".." + std::to_string(Settings::kMaxWindowWidth) +
                       "x" + std::to_string(Settings::kMaxWindowHeight) + "; using " + std::to_string(w) + "x" +
                       std::to_string(h));
    s.window_width = w;
    s.window_height = h;
  }
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
  else if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir && *pw->pw_dir)
    base = std::filesystem::path(pw->pw_dir) / ".config";  // HOME unset (a service): the account's home
  else
    base = std::filesystem::temp_directory_path();  // never the current folder
  return base / "livepuppet" / "settings.json";
}

SettingsLoadResult load_settings(const std::filesystem::path& path) {
  SettingsLoadResult r;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return r;  // first run: defaults, no warning
  if (!std::filesystem::is_regular_file(path, ec)) {
    // A folder (or a device) where the file should be: leave it alone.
    r.warning = "Settings path " + path.string() + " is not a file; using defaults";
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  std::string reason;
  if (!in) {
    reason = "cannot be read";
  } else {
    try {
      std::vector<std::string> adjusted;
      r.settings = from_json_doc(nlohmann::json::parse(ss.str()), adjusted);
      if (!adjusted.empty()) {
        r.warning = "Settings file " + path.string() + ": ";
        for (size_t i = 0; i < adjusted.size(); ++i) r.warning += (i ? "; " : "") + adjusted[i];
      }
      return r;
    } catch (const std::exception& e) {
      reason = without_json_exception_tag(e.what());
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

Parameters parameters_from_json_text(const std::string& text, std::vector<std::string>* adjusted) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw std::runtime_error("not valid JSON: " + without_json_exception_tag(e.what()));
  }
  try {
    std::vector<std::string> notes;
    Parameters p = parameters_from_json(j.contains("parameters") ? j["parameters"] : j, notes);
    if (adjusted) *adjusted = std::move(notes);
    return p;
  } catch (const std::exception& e) {
    throw std::runtime_error("bad parameter value: " + without_json_exception_tag(e.what()));
  }
}

}  // namespace lp
