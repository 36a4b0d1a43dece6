#pragma once
// Offline render: every driving frame, in order, through the chosen engine and
// the current parameters, into an MP4 with the driving video's audio. The one
// implementation behind `livepuppet-cli render` and the GUI's Export.
// Unlike the live session there are no mailboxes: no frame is ever dropped.
#include "parameters.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace lp {

struct RenderRequest {
  std::string source;       // portrait image
  std::string driving;      // a video, an image (one expression), a motion .json, or "idle"
  std::string out;          // output .mp4 (or .png/.jpg for a single image)
  EngineKind engine = EngineKind::Classic;
  std::string models_dir = "models/exported";
  Parameters params;
  std::string save_motion;  // write the driving motion as a motion template (JSON)
  int crf = 18;
  std::string preset = "veryfast";
  std::int64_t max_frames = 0;  // 0 = every frame
  double idle_seconds = 10.0;   // length of an "idle" render
  double idle_fps = 30.0;
  std::string dlib_model;       // empty = default
};

struct RenderProgress {
  std::int64_t done = 0;
  std::int64_t total = 0;  // 0 when unknown
  double fps = 0;
  double eta_s = 0;
};

struct RenderResult {
  bool ok = false;
  bool cancelled = false;
  std::string error;     // why it failed (names the file)
  std::string warning;   // e.g. "d3.mp4: decoding stopped at frame 120 (...)"
  std::int64_t frames = 0;
  double fps = 0;        // render speed
  double video_fps = 0;  // output frame rate
  std::string audio_note;
  std::string engine_name;
  std::string out;
};

// Runs the render on the calling thread. `cancel` (optional) stops it cleanly:
// the file is finished and playable. `progress` (optional) is called after
// every frame.
RenderResult render_offline(const RenderRequest& request, const std::atomic<bool>* cancel = nullptr,
                            const std::function<void(const RenderProgress&)>& progress = {});

}  // namespace lp
