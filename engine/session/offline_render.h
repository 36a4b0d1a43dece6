#pragma once
// Offline render: every driving frame, in order, through the chosen engine and
// the current parameters, into an MP4 with the driving video's audio. The one
// implementation behind `livepuppet-cli render` and the GUI's Export.
// Unlike the live session there are no mailboxes: no frame is ever dropped.
#include "default_models_dir.h"
#include "parameters.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lp {

struct RenderRequest {
  std::string source;       // portrait image
  std::string driving;      // a video, an image (one expression), a motion .json, or "idle"
  std::string out;          // output .mp4 (or .png/.jpg for a single image)
  EngineKind engine = EngineKind::Classic;
  std::string models_dir = default_models_dir();
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
  bool refused = false;  // check_render_request() refused the request: nothing was read or written
  std::string error;     // why it failed (names the file)
  std::string warning;   // e.g. "d3.mp4: decoding stopped at frame 120 (...)"
  std::int64_t frames = 0;          // frames rendered
  std::int64_t frames_written = 0;  // frames in the output file as it was left (an image holds 1)
  double fps = 0;        // render speed
  double video_fps = 0;  // output frame rate
  std::string audio_note;
  std::vector<std::string> notes;  // what the user should know: the engine's ("fp16 on the CPU: using
                                   // fp32"), the writer's ("frames scaled from 6000x6000 to ...")
  bool still_image = false;  // the output is an image: it holds the last frame rendered
  std::string engine_name;
  std::string out;
};

// The checks made before any work, so that a render never destroys a file the
// user had and never fails only at its end: the output and the motion file
// must not be the source or the driving input (under any name: hard links,
// symlinks, "./x"), nor each other, and each must be writable where it is
// going (its folder exists; an existing name is a regular file, not a folder
// or a device). Returns "" when the request is fine, else a message naming
// the files. render_offline() runs it first.
std::string check_render_request(const RenderRequest& request);

// Runs the render on the calling thread. `cancel` (optional) stops it cleanly:
// the file is finished and playable. `progress` (optional) is called after
// every frame.
RenderResult render_offline(const RenderRequest& request, const std::atomic<bool>* cancel = nullptr,
                            const std::function<void(const RenderProgress&)>& progress = {});

}  // namespace lp
