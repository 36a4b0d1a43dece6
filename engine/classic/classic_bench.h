#pragma once
// Classic-engine benchmark (wired to `livepuppet-cli bench-classic`): drives a
// source portrait with a video and times each stage per frame: video decode,
// face tracking (vision FaceTracker), mesh update (ClassicAnimator::animate)
// and the CPU render of the warp (render_cpu). Prints numbers, asserts nothing.
// The GL live-loop FPS is measured by the app's own benchmark.
#include <iosfwd>
#include <string>

namespace lp {

struct ClassicBenchOptions {
  std::string source_path;      // portrait (e.g. ../shared/media/s1.jpg)
  std::string driving_path;     // video (e.g. ../shared/media/s18.mp4, 1280x720)
  int source_side = 1024;       // resize the source so its longer side is this; 0 = as is
  int max_frames = 150;         // 0 = whole video
  std::string predictor_path;   // empty = default dlib model
};

struct StageStats {
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, max_ms = 0;
};

struct ClassicBenchResult {
  bool ok = false;
  std::string error;
  int source_width = 0, source_height = 0;
  int video_width = 0, video_height = 0;
  int frames = 0, frames_with_face = 0;
  int mesh_vertices = 0, mesh_triangles = 0;
  double model_load_ms = 0, prepare_ms = 0;
  StageStats decode, tracking, mesh_update, render_cpu;
  double pipeline_mean_ms = 0;  // tracking + mesh update + render (decode excluded)
  double pipeline_fps = 0;
  long detections = 0;          // full face detections during the run
};

ClassicBenchResult run_classic_bench(const ClassicBenchOptions& opts);
void print_classic_bench(const ClassicBenchResult& r, std::ostream& os);

}  // namespace lp
