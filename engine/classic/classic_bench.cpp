#include "classic/classic_bench.h"

#include "classic/classic_animator.h"
#include "classic/warp_render_cpu.h"
#include "vision/face_detector.h"
#include "vision/face_tracker.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <memory>
#include <ostream>
#include <vector>

namespace lp {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

StageStats stats(std::vector<double> v) {
  StageStats s;
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean_ms = sum / v.size();
  std::sort(v.begin(), v.end());
  s.p50_ms = v[v.size() / 2];
  s.p95_ms = v[std::min(v.size() - 1, static_cast<size_t>(v.size() * 0.95))];
  s.max_ms = v.back();
  return s;
}

}  // namespace

ClassicBenchResult run_classic_bench(const ClassicBenchOptions& opts) {
  ClassicBenchResult r;
  cv::Mat source = cv::imread(opts.source_path, cv::IMREAD_COLOR);
  if (source.empty()) {
    r.error = opts.source_path + ": cannot read the source image";
    return r;
  }
  if (opts.source_side > 0) {
    const double f = static_cast<double>(opts.source_side) / std::max(source.cols, source.rows);
    cv::resize(source, source, cv::Size(), f, f, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  r.source_width = source.cols;
  r.source_height = source.rows;

  auto t0 = Clock::now();
  auto detector = std::make_shared<FaceDetector>(opts.predictor_path);
  if (!detector->ready()) {
    r.error = detector->load_error();
    return r;
  }
  r.model_load_ms = ms_since(t0);

  t0 = Clock::now();
  ClassicPrepareResult prep = ClassicAnimator::prepare(source, *detector, 0, opts.source_path);
  r.prepare_ms = ms_since(t0);
  if (!prep.ok()) {
    r.error = prep.error;
    return r;
  }
  r.mesh_vertices = prep.source->mesh.num_vertices();
  r.mesh_triangles = static_cast<int>(prep.source->mesh.eye_triangles.size() + prep.source->mesh.triangles.size() +
                                      prep.source->mesh.mouth_triangles.size());

  cv::VideoCapture cap(opts.driving_path);
  if (!cap.isOpened()) {
    r.error = opts.driving_path + ": cannot open the driving video";
    return r;
  }
  const double fps = cap.get(cv::CAP_PROP_FPS) > 0 ? cap.get(cv::CAP_PROP_FPS) : 30.0;
  FaceTracker tracker(detector);
  ClassicAnimator animator;
  AnimationParams params;
  std::vector<double> dec, trk, upd, ren;
  cv::Mat frame;
  for (int i = 0; opts.max_frames <= 0 || i < opts.max_frames; ++i) {
    t0 = Clock::now();
    if (!cap.read(frame) || frame.empty()) break;
    dec.push_back(ms_since(t0));
    if (i == 0) {
      r.video_width = frame.cols;
      r.video_height = frame.rows;
    }
    const double t = i / fps;
    t0 = Clock::now();
    const TrackResult tr = tracker.track(frame, t);
    trk.push_back(ms_since(t0));
    std::optional<Landmarks68> lm;
    if (tr.has_face()) {
      lm = tr.face.landmarks;
      ++r.frames_with_face;
    }
    t0 = Clock::now();
    const WarpMesh mesh = animator.animate(*prep.source, lm, params, t);
    upd.push_back(ms_since(t0));
    t0 = Clock::now();
    const cv::Mat out = render_cpu(source, mesh);
    ren.push_back(ms_since(t0));
    ++r.frames;
  }
  if (r.frames == 0) {
    r.error = opts.driving_path + ": no frames decoded";
    return r;
  }
  r.decode = stats(dec);
  r.tracking = stats(trk);
  r.mesh_update = stats(upd);
  r.render_cpu = stats(ren);
  r.pipeline_mean_ms = r.tracking.mean_ms + r.mesh_update.mean_ms + r.render_cpu.mean_ms;
  r.pipeline_fps = r.pipeline_mean_ms > 0 ? 1000.0 / r.pipeline_mean_ms : 0;
  r.detections = tracker.stats().detections;
  r.ok = true;
  return r;
}

void print_classic_bench(const ClassicBenchResult& r, std::ostream& os) {
  if (!r.ok) {
    os << "bench-classic: " << r.error << "\n";
    return;
  }
  auto line = [&](const char* name, const StageStats& s) {
    os << "  " << std::left << std::setw(22) << name << std::right << std::fixed << std::setprecision(2)
       << std::setw(8) << s.mean_ms << std::setw(8) << s.p50_ms << std::setw(8) << s.p95_ms << std::setw(8)
       << s.max_ms << "\n";
  };
  os << "classic engine benchmark\n"
     << "  source " << r.source_width << "x" << r.source_height << ", mesh " << r.mesh_vertices << " vertices, "
     << r.mesh_triangles << " triangles\n"
     << "  driving " << r.video_width << "x" << r.video_height << ", " << r.frames << " frames ("
     << r.frames_with_face << " with a face, " << r.detections << " full detections)\n"
     << std::fixed << std::setprecision(1) << "  model load " << r.model_load_ms << " ms, prepare (detect + mesh) "
     << r.prepare_ms << " ms\n"
     << "  stage (ms per frame)      mean     p50     p95     max\n";
  line("decode (not counted)", r.decode);
  line("tracking", r.tracking);
  line("mesh update", r.mesh_update);
  line("CPU render", r.render_cpu);
  os << std::setprecision(2) << "  tracking + mesh + CPU render: " << r.pipeline_mean_ms << " ms/frame = "
     << std::setprecision(1) << r.pipeline_fps << " fps (CPU fallback path; the GL pass replaces the CPU render)\n";
}

}  // namespace lp
