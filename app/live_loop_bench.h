#pragma once
// `livepuppet --bench SECONDS`: measures the real live loop (capture -> engine
// thread -> GL -> screen, no vsync) and prints one JSON line: display, engine
// and capture rates, capture-to-display latency (p50/p90, measured after the
// buffer swap of the frame that first shows a capture), and mean per-stage
// times. Prints numbers; asserts nothing.
#include "session/engine.h"
#include "session/session.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lp {

class LiveLoopBench {
 public:
  explicit LiveLoopBench(double seconds) : seconds_(seconds) {}
  bool active() const { return seconds_ > 0; }
  // `frames_dropped`: the session's running count (SessionStats); the bench
  // reports the drops inside its own window only.
  void on_engine_frame(const AnimatedFrame& f, double gl_ms, std::uint64_t frames_dropped);
  void on_displayed(std::int64_t capture_ns);  // 0: no new engine frame in this display frame
  // Time the UI thread spent in one step of the main loop this iteration
  // ("wait", "ui", "draw", "swap"); reported as a mean per displayed frame.
  void add_ui_step(const char* step, double ms);
  bool done() const;
  void print(const SessionStats& stats, const DrivingStatus& driving) const;

 private:
  static constexpr size_t kFewSamples = 10;
  double seconds_;
  bool started_ = false;
  std::chrono::steady_clock::time_point start_;
  long display_frames_ = 0, engine_frames_ = 0;
  std::vector<double> latencies_ms_;
  std::map<std::string, double> stages_;  // name -> sum ms over the engine frames
  std::map<std::string, double> ui_steps_;                 // name -> sum ms
  double gl_ms_sum_ = 0;
  std::uint64_t dropped_at_start_ = 0, dropped_now_ = 0;
  int source_w_ = 0, source_h_ = 0, driving_w_ = 0, driving_h_ = 0;
  std::string engine_;
};

}  // namespace lp
