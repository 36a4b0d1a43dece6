#include "vision/tracking_bench.h"
#include "common/stopwatch.h"

#include <opencv2/videoio.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <memory>
#include <numeric>
#include <ostream>

namespace lp {

namespace {
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::clamp(q, 0.0, 1.0) * (v.size() - 1) + 0.5);
  return v[i];
}
}  // namespace

TrackingBenchResult run_tracking_bench(const std::string& video_path, int max_frames) {
  TrackingBenchOptions o;
  o.max_frames = max_frames;
  return run_tracking_bench(video_path, o);
}

TrackingBenchResult run_tracking_bench(const std::string& video_path, const TrackingBenchOptions& opts) {
  TrackingBenchResult r;
  r.video = video_path;
  try {
    const auto tl = std::chrono::steady_clock::now();
    std::shared_ptr<const FaceDetector> det =
        opts.detector ? opts.detector : std::make_shared<const FaceDetector>(opts.predictor_path);
    r.model_load_ms = opts.detector ? 0.0 : ms_since(tl);
    if (!det->ready()) {
      r.error = det->load_error();
      return r;
    }
    cv::VideoCapture cap(video_path);
    if (!cap.isOpened()) {
      r.error = "cannot open video '" + video_path + "'";
      return r;
    }
    const double fps = cap.get(cv::CAP_PROP_FPS) > 0 ? cap.get(cv::CAP_PROP_FPS) : 30.0;
    FaceTracker tracker(det, opts.tracker);
    cv::Mat frame;
    double decode_total = 0, track_total = 0, tracking_total = 0, cpu_total = 0, tracking_cpu_total = 0;
    int tracking_frames = 0;
    while (opts.max_frames <= 0 || r.frames < opts.max_frames) {
      const auto td = std::chrono::steady_clock::now();
      if (!cap.read(frame) || frame.empty()) break;
      decode_total += ms_since(td);
      if (r.frames == 0) {
        r.width = frame.cols;
        r.height = frame.rows;
      }
      const double c0 = thread_cpu_ms();
      const TrackResult tr = tracker.track(frame, r.frames / fps);
      const double cpu = thread_cpu_ms() - c0;
      r.frame_ms.push_back(tr.ms);
      r.frame_cpu_ms.push_back(cpu);
      cpu_total += cpu;
      track_total += tr.ms;
      if (tr.has_face()) ++r.frames_with_face;
      if (tr.status == TrackStatus::Tracking && !tr.redetected) {
        tracking_total += tr.ms;
        tracking_cpu_total += cpu;
        ++tracking_frames;
      }
      ++r.frames;
    }
    if (r.frames == 0) {
      r.error = "no frames could be decoded from '" + video_path + "'";
      return r;
    }
    tracker.reset();  // waits for a background detection still in flight
    const TrackerStats st = tracker.stats();
    r.detections = st.detections;
    r.second_passes = st.second_passes;
    r.detect_mean_ms = st.detections ? st.detect_ms_total / st.detections : 0;
    r.detect_cpu_mean_ms = st.detections ? st.detect_cpu_ms_total / st.detections : 0;
    r.mean_ms = track_total / r.frames;
    r.p50_ms = percentile(r.frame_ms, 0.5);
    r.p95_ms = percentile(r.frame_ms, 0.95);
    r.max_ms = *std::max_element(r.frame_ms.begin(), r.frame_ms.end());
    r.tracking_mean_ms = tracking_frames ? tracking_total / tracking_frames : 0;
    r.cpu_mean_ms = cpu_total / r.frames;
    r.tracking_cpu_mean_ms = tracking_frames ? tracking_cpu_total / tracking_frames : 0;
    // Background detections cost CPU outside track(): add them, amortised.
    double background_ms = 0;
    if (st.background_detections > 0 && st.detections > 0)
      background_ms = st.detect_ms_total * st.background_detections / st.detections;
    r.amortised_ms = (track_total + background_ms) / r.frames;
    r.amortised_cpu_ms = (cpu_total + st.background_detect_cpu_ms) / r.frames;
    r.decode_mean_ms = decode_total / r.frames;
    r.ok = true;
  } catch (const std::exception& e) {
    r.error = std::string("tracking benchmark failed: ") + e.what();
  }
  return r;
}

void print_tracking_bench(const TrackingBenchResult& r, std::ostream& os, bool per_frame) {
  if (!r.ok) {
    os << "bench-tracking: " << r.error << "\n";
    return;
  }
  os << std::fixed << std::setprecision(2);
  os << "bench-tracking " << r.video << " (" << r.width << "x" << r.height << ", " << r.frames
     << " frames, face in " << r.frames_with_face << ")\n"
     << "  model load        " << r.model_load_ms << " ms\n"
     << "  track() per frame mean " << r.mean_ms << "  p50 " << r.p50_ms << "  p95 " << r.p95_ms
     << "  max " << r.max_ms << " ms\n"
     << "  while tracking    " << r.tracking_mean_ms << " ms/frame wall, " << r.tracking_cpu_mean_ms
     << " ms/frame CPU (frames without a detection on this thread)\n"
     << "  all frames CPU    " << r.cpu_mean_ms << " ms/frame (calling thread)\n"
     << "  second passes     " << r.second_passes << " frames (fast motion)\n"
     << "  full detections   " << r.detections << " x " << r.detect_mean_ms << " ms wall, "
     << r.detect_cpu_mean_ms << " ms CPU\n"
     << "  amortised total   " << r.amortised_ms << " ms/frame wall, " << r.amortised_cpu_ms
     << " ms/frame CPU (incl. background detections)\n"
     << "  video decode      " << r.decode_mean_ms << " ms/frame (not included)\n";
  if (per_frame) {
    for (size_t i = 0; i < r.frame_ms.size(); ++i) os << "  frame " << i << " " << r.frame_ms[i] << " ms\n";
  }
}

}  // namespace lp
