#include "live_loop_bench.h"

#include "media/capture_thread.h"

#include <algorithm>
#include <cstdio>

namespace lp {

namespace {
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}
}  // namespace

void LiveLoopBench::on_engine_frame(const AnimatedFrame& f, double gl_ms, std::uint64_t frames_dropped) {
  if (!active()) return;
  if (!started_) {
    started_ = true;  // measure from the first engine frame on (start-up excluded)
    start_ = std::chrono::steady_clock::now();
    dropped_at_start_ = frames_dropped;
  }
  dropped_now_ = frames_dropped;
  ++engine_frames_;
  gl_ms_sum_ += gl_ms;
  for (const auto& s : f.timings) stages_[s.name] += s.ms;
  stages_["engine thread total"] += f.total_ms;
  if (f.source) {
    source_w_ = f.source->bgr.cols;
    source_h_ = f.source->bgr.rows;
  }
  if (!f.driving_bgr.empty()) {
    driving_w_ = f.driving_bgr.cols;
    driving_h_ = f.driving_bgr.rows;
  }
  engine_ = f.engine_name;
}

void LiveLoopBench::on_displayed(std::int64_t capture_ns) {
  if (!active() || !started_) return;
  ++display_frames_;
  if (capture_ns > 0) latencies_ms_.push_back((steady_now_ns() - capture_ns) / 1e6);
}

void LiveLoopBench::add_ui_step(const char* step, double ms) {
  if (!active() || !started_) return;
  ui_steps_[step] += ms;
}

bool LiveLoopBench::done() const {
  return active() && started_ &&
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= seconds_;
}

void LiveLoopBench::print(const SessionStats& stats, const DrivingStatus& driving) const {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::printf("{\"bench\": \"live-loop\", \"seconds\": %.2f, \"engine\": \"%s\", \"source\": [%d, %d], "
              "\"driving\": \"%s\", \"driving_size\": [%d, %d], \"driving_fps\": %.2f, \"speed\": %.2f,\n",
              secs, engine_.c_str(), source_w_, source_h_, driving.name.c_str(), driving_w_, driving_h_, driving.fps,
              driving.speed);
  std::printf(" \"display_fps\": %.1f, \"engine_fps\": %.1f, \"capture_fps_last_s\": %.1f, "
              "\"driving_frames_dropped\": %llu,\n",
              display_frames_ / secs, engine_frames_ / secs, stats.capture_fps,
              static_cast<unsigned long long>(dropped_now_ - dropped_at_start_));
  std::printf(" \"latency_ms\": {\"p50\": %.1f, \"p90\": %.1f, \"samples\": %zu},\n", percentile(latencies_ms_, 0.5),
              percentile(latencies_ms_, 0.9), latencies_ms_.size());
  // A handful of frames (the neural engine on a CPU: ~12 s each) gives no
  // stable percentile: say so rather than print a p50 of two samples as if
  // it were one.
  if (latencies_ms_.size() < kFewSamples)
    std::printf(" \"note\": \"only %zu frames reached the screen in %.0f s: run --bench longer for stable numbers\",\n",
                latencies_ms_.size(), secs);
  // Means per engine frame over all of them, so the stages add up to no more
  // than the total: a frame without a stage (no driving face yet, paused)
  // counts as 0 for it. Averaged over its own frames only, a stage could
  // read longer than the whole.
  std::printf(" \"engine_frames\": %ld, \"stage_ms_mean\": {", engine_frames_);
  bool first = true;
  for (const auto& [name, sum] : stages_) {
    std::printf("%s\"%s\": %.2f", first ? "" : ", ", name.c_str(), sum / std::max(1L, engine_frames_));
    first = false;
  }
  std::printf(", \"gl upload + pass (UI thread)\": %.2f},\n", gl_ms_sum_ / std::max(1L, engine_frames_));
  // The UI thread's loop, per displayed frame: waiting for the engine, building
  // the ImGui frame, drawing it (GL), presenting (buffer swap).
  std::printf(" \"ui_loop_ms_mean\": {");
  first = true;
  for (const auto& [name, sum] : ui_steps_) {
    std::printf("%s\"%s\": %.2f", first ? "" : ", ", name.c_str(), sum / std::max(1L, display_frames_));
    first = false;
  }
  std::printf("}}\n");
  std::fflush(stdout);
}

}  // namespace lp
