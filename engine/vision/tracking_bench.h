#pragma once
// Tracking benchmark (wired to `livepuppet-cli bench-tracking`): runs the
// FaceTracker over a video and reports the per-frame cost while tracking, with
// the full detections amortised over the frames. Prints, asserts nothing.
#include "vision/face_tracker.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace lp {

struct TrackingBenchOptions {
  int max_frames = 300;          // 0 = whole video
  TrackerOptions tracker;        // background_redetect applies as set
  std::string predictor_path;    // empty = default model
  std::shared_ptr<const FaceDetector> detector;  // reuse a loaded one (then the path is ignored)
};

struct TrackingBenchResult {
  bool ok = false;
  std::string error;
  std::string video;
  int width = 0, height = 0;
  int frames = 0;
  int frames_with_face = 0;
  std::vector<double> frame_ms;  // track() time per frame on the calling thread
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, max_ms = 0;
  // CPU time of the calling thread in track() (CLOCK_THREAD_CPUTIME_ID): what
  // the work costs when other processes compete for the cores (wall time then
  // includes waiting for a core).
  std::vector<double> frame_cpu_ms;
  double cpu_mean_ms = 0, tracking_cpu_mean_ms = 0;
  double tracking_mean_ms = 0;   // mean over frames that were tracked (no detection on this thread)
  double amortised_ms = 0;       // (all track() time + background detection time) / frames
  double amortised_cpu_ms = 0;   // (track() CPU + background detection CPU) / frames
  double decode_mean_ms = 0;     // video decoding, not included above
  long detections = 0;
  long second_passes = 0;        // frames that needed a second landmark pass
  double detect_mean_ms = 0;     // per full detection, wall
  double detect_cpu_mean_ms = 0; // per full detection, CPU
  double model_load_ms = 0;
};

TrackingBenchResult run_tracking_bench(const std::string& video_path,
                                       const TrackingBenchOptions& opts = {});
// Convenience: max_frames frames with default options.
TrackingBenchResult run_tracking_bench(const std::string& video_path, int max_frames);
// Human-readable summary (and per-frame ms when per_frame is set).
void print_tracking_bench(const TrackingBenchResult& r, std::ostream& os, bool per_frame = false);

}  // namespace lp
