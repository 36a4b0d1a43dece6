#pragma once
// Motion templates: the per-frame driving motion of a performance, saved as
// JSON (`--save-motion FILE`) so it can be re-rendered onto other portraits
// without the video (`--driving FILE.json`); LivePortrait calls these motion
// templates. Engine-neutral: a frame carries landmarks (classic engine) and/or
// keypoint parameters (neural engine), plus the eye/lip openness ratios.
//
// Format (version 1):
//   { "format": "livepuppet-motion", "version": 1, "fps": 30.0,
//     "source_video": "d10.mp4", "engine": "neural", "frame_count": N,
//     "frames": [ { "index": 0, "time": 0.0,
//                   "eye_ratio": [l, r], "lip_ratio": x,            (optional)
//                   "landmarks": [x0, y0, x1, y1, ...],             (optional, 68 points)
//                   "keypoints": { "pitch": p, "yaw": y, "roll": r, "scale": s,
//                                  "t": [3], "exp": [K*3], "kp": [K*3] } (optional) } ] }
// Floats are written with enough digits to read back bit-exactly.
#include <opencv2/core.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace lp {

inline constexpr const char* kMotionFormat = "livepuppet-motion";
inline constexpr int kMotionVersion = 1;

// The neural engine's driving parameters for one frame (motion extractor output).
struct MotionKeypoints {
  float pitch = 0.f, yaw = 0.f, roll = 0.f;  // degrees
  float scale = 1.f;
  std::vector<float> t;    // translation, 3 values
  std::vector<float> exp;  // expression deltas, K*3 values (K = 21 for LivePortrait)
  std::vector<float> kp;   // canonical keypoints, K*3 values
};

struct MotionFrame {
  int index = 0;
  double time_s = 0.0;
  std::optional<std::array<float, 2>> eye_ratio;  // left, right
  std::optional<float> lip_ratio;
  std::optional<std::vector<cv::Point2f>> landmarks;  // image pixels of the driving frame
  std::optional<MotionKeypoints> keypoints;
  // False for a frame recorded while no face was found: it drives nothing.
  bool has_motion() const { return landmarks || keypoints || eye_ratio || lip_ratio; }
};

struct MotionClip {
  double fps = 30.0;
  std::string source_video;  // the file the motion came from (name only is fine)
  std::string engine;        // "neural", "classic", or "" when both parts are present
  std::vector<MotionFrame> frames;
};

// Writes atomically (temp file + rename). False + error naming the file.
bool save_motion_file(const std::string& path, const MotionClip& clip, std::string* error);

// Reads and validates. std::nullopt + error naming the file and the reason
// (not JSON, not a motion file, newer version, a bad field in frame N).
std::optional<MotionClip> load_motion_file(const std::string& path, std::string* error);

}  // namespace lp
