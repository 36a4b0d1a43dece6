#include "media/motion_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace lp {

using json = nlohmann::json;

namespace {

// Frame rates a motion file may have, the same when it is saved and read:
// a slideshow's 0.5 fps replays; 1e-6 would ask the video writer for a frame
// every 11 days.
constexpr double kMinFps = 0.1, kMaxFps = 1000;

// A validation failure inside a motion file; caught in load_motion_file.
struct BadMotion : std::runtime_error {
  using std::runtime_error::runtime_error;
};

json floats(const std::vector<float>& v) {
  json a = json::array();
  for (float f : v) a.push_back(f);
  return a;
}

bool all_finite(const std::vector<float>& v) {
  for (float f : v)
    if (!std::isfinite(f)) return false;
  return true;
}

float get_float(const json& o, const char* key, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end()) throw BadMotion(where + ": '" + key + "' is missing");
  if (!it->is_number()) throw BadMotion(where + ": '" + key + "' must be a number");
  // 1e300 is valid JSON but no float: read as double, refuse what a float
  // cannot hold (it would animate a black frame).
  const double v = it->get<double>();
  if (!(std::abs(v) <= std::numeric_limits<float>::max()))
    throw BadMotion(where + ": '" + key + "' is out of range (" + it->dump() + ")");
  return static_cast<float>(v);
}

std::vector<float> get_floats(const json& o, const char* key, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end()) throw BadMotion(where + ": '" + key + "' is missing");
  if (!it->is_array()) throw BadMotion(where + ": '" + key + "' must be an array of numbers");
  std::vector<float> out;
  out.reserve(it->size());
  for (const json& v : *it) {
    if (!v.is_number()) throw BadMotion(where + ": '" + key + "' must contain numbers only");
    const double d = v.get<double>();
    if (!(std::abs(d) <= std::numeric_limits<float>::max()))
      throw BadMotion(where + ": '" + key + "' holds a value out of range (" + v.dump() + ")");
    out.push_back(static_cast<float>(d));
  }
  return out;
}

json frame_to_json(const MotionFrame& f) {
  json j;
  j["index"] = f.index;
  j["time"] = f.time_s;
  if (f.eye_ratio) j["eye_ratio"] = {(*f.eye_ratio)[0], (*f.eye_ratio)[1]};
  if (f.lip_ratio) j["lip_ratio"] = *f.lip_ratio;
  if (f.landmarks) {
    json a = json::array();
    for (const auto& p : *f.landmarks) {
      a.push_back(p.x);
      a.push_back(p.y);
    }
    j["landmarks"] = std::move(a);
  }
  if (f.keypoints) {
    const MotionKeypoints& k = *f.keypoints;
    j["keypoints"] = {{"pitch", k.pitch}, {"yaw", k.yaw},     {"roll", k.roll}, {"scale", k.scale},
                      {"t", floats(k.t)}, {"exp", floats(k.exp)}, {"kp", floats(k.kp)}};
  }
  return j;
}

MotionFrame frame_from_json(const json& j, std::size_t n) {
  const std::string where = "frame " + std::to_string(n);
  if (!j.is_object()) throw BadMotion(where + " is not an object");
  MotionFrame f;
  if (!j.contains("index") || !j["index"].is_number_integer()) throw BadMotion(where + ": 'index' must be an integer");
  f.index = j["index"].get<int>();
  get_float(j, "time", where);  // validates presence and type
  f.time_s = j["time"].get<double>();  // read as double: exact round trip
  if (j.contains("eye_ratio")) {
    auto v = get_floats(j, "eye_ratio", where);
    if (v.size() != 2) throw BadMotion(where + ": 'eye_ratio' needs 2 values (left, right)");
    f.eye_ratio = std::array<float, 2>{v[0], v[1]};
  }
  if (j.contains("lip_ratio")) f.lip_ratio = get_float(j, "lip_ratio", where);
  if (j.contains("landmarks")) {
    auto v = get_floats(j, "landmarks", where);
    if (v.empty() || v.size() % 2) throw BadMotion(where + ": 'landmarks' needs x, y pairs");
    std::vector<cv::Point2f> pts(v.size() / 2);
    for (std::size_t i = 0; i < pts.size(); ++i) pts[i] = {v[2 * i], v[2 * i + 1]};
    f.landmarks = std::move(pts);
  }
  if (j.contains("keypoints")) {
    const json& k = j["keypoints"];
    const std::string kw = where + " keypoints";
    if (!k.is_object()) throw BadMotion(kw + " must be an object");
    MotionKeypoints m;
    m.pitch = get_float(k, "pitch", kw);
    m.yaw = get_float(k, "yaw", kw);
    m.roll = get_float(k, "roll", kw);
    m.scale = get_float(k, "scale", kw);
    m.t = get_floats(k, "t", kw);
    m.exp = get_floats(k, "exp", kw);
    m.kp = get_floats(k, "kp", kw);
    if (m.t.size() != 3) throw BadMotion(kw + ": 't' needs 3 values");
    if (m.exp.empty() || m.exp.size() % 3) throw BadMotion(kw + ": 'exp' needs K*3 values");
    if (m.kp.size() != m.exp.size()) throw BadMotion(kw + ": 'kp' and 'exp' differ in length");
    f.keypoints = std::move(m);
  }
  // A frame with no part is a frame in which no face was found when the clip
  // was recorded: replayed, it drives nothing, as the video frame did.
  return f;
}

}  // namespace

bool save_motion_file(const std::string& path, const MotionClip& clip, std::string* error) {
  auto set = [&](const std::string& why) {
    if (error) *error = "'" + path + "': " + why;
    return false;
  };
  if (!(clip.fps >= kMinFps && clip.fps <= kMaxFps))
    return set("the frame rate " + std::to_string(clip.fps) + " is outside 0.1..1000 frames per second");
  json root;
  root["format"] = kMotionFormat;
  root["version"] = kMotionVersion;
  root["fps"] = clip.fps;
  root["source_video"] = clip.source_video;
  root["engine"] = clip.engine;
  root["frame_count"] = clip.frames.size();
  json frames = json::array();
  for (const MotionFrame& f : clip.frames) {
    if (f.keypoints && (!all_finite(f.keypoints->t) || !all_finite(f.keypoints->exp) || !all_finite(f.keypoints->kp)))
      return set("frame " + std::to_string(f.index) + " has non-finite keypoint values");
    frames.push_back(frame_to_json(f));
  }
  root["frames"] = std::move(frames);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return set("cannot create the file (folder missing or not writable)");
    out << root.dump() << '\n';
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return set("write error (disk full?)");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return set("cannot replace the file");
  }
  return true;
}

std::optional<MotionClip> load_motion_file(const std::string& path, std::string* error) {
  auto set = [&](const std::string& why) -> std::optional<MotionClip> {
    if (error) *error = "'" + path + "' is not a usable motion file: " + why;
    return std::nullopt;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return set("cannot open it (missing or unreadable)");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  if (text.empty()) return set("the file is empty");
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return set("not valid JSON");
  if (!root.is_object() || !root.contains("format") || root["format"] != kMotionFormat)
    return set(std::string("not a LivePuppet motion file (no \"format\": \"") + kMotionFormat + "\")");
  if (!root.contains("version") || !root["version"].is_number_integer())
    return set("the format version is missing");
  const int version = root["version"].get<int>();
  if (version < 1 || version > kMotionVersion)
    return set("format version " + std::to_string(version) + " is not supported (this build reads up to " +
               std::to_string(kMotionVersion) + ")");
  try {
    MotionClip clip;
    get_float(root, "fps", "header");  // validates presence and type
    clip.fps = root["fps"].get<double>();
    if (!(clip.fps >= kMinFps && clip.fps <= kMaxFps)) throw BadMotion("header: 'fps' must be between 0.1 and 1000");
    if (root.contains("source_video") && root["source_video"].is_string()) clip.source_video = root["source_video"];
    if (root.contains("engine") && root["engine"].is_string()) clip.engine = root["engine"];
    if (!root.contains("frames") || !root["frames"].is_array()) throw BadMotion("'frames' is missing");
    const json& frames = root["frames"];
    if (frames.empty()) throw BadMotion("it holds no frames");
    if (root.contains("frame_count") && root["frame_count"].is_number_integer() &&
        root["frame_count"].get<std::size_t>() != frames.size())
      throw BadMotion("it declares " + std::to_string(root["frame_count"].get<std::size_t>()) + " frames but holds " +
                      std::to_string(frames.size()) + " (truncated?)");
    clip.frames.reserve(frames.size());
    const MotionFrame* first = nullptr;  // the first frame with motion: the others must match it
    std::size_t first_at = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      MotionFrame f = frame_from_json(frames[i], i);
      if (f.has_motion() && first) {
        const std::string vs = " than frame " + std::to_string(first_at);
        if (bool(f.keypoints) != bool(first->keypoints) || bool(f.landmarks) != bool(first->landmarks))
          throw BadMotion("frame " + std::to_string(i) + " has different parts (landmarks/keypoints)" + vs);
        if (f.landmarks && f.landmarks->size() != first->landmarks->size())
          throw BadMotion("frame " + std::to_string(i) + " has a different number of landmarks" + vs);
        if (f.keypoints && f.keypoints->kp.size() != first->keypoints->kp.size())
          throw BadMotion("frame " + std::to_string(i) + " has a different number of keypoints" + vs);
      }
      clip.frames.push_back(std::move(f));
      if (f.has_motion() && !first) {
        first = &clip.frames.back();  // reserve() above: the address stays valid
        first_at = i;
      }
    }
    if (!first) throw BadMotion("no frame holds motion (no face was found in the video it was recorded from)");
    return clip;
  } catch (const BadMotion& e) {
    return set(e.what());
  } catch (const json::exception& e) {
    return set(e.what());
  }
}

}  // namespace lp
