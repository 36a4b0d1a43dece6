#pragma once
// Session: the live pipeline behind the GUI (OBS-style: sources -> processing
// -> outputs). It owns three kinds of threads:
//   capture thread   decodes the driving input (webcam / video file) and
//                    publishes the newest frame into a mailbox (stale frames
//                    are dropped, never queued);
//   engine thread    takes the newest driving frame, reads an immutable
//                    parameter snapshot, tracks the face, runs the active
//                    engine, and publishes the newest AnimatedFrame;
//   source workers   load and prepare a new portrait (detect, crop, per-source
//                    model work) and swap it in atomically when it is ready,
//                    so the old one keeps animating meanwhile.
// The UI thread never waits on any of them: it calls the non-blocking methods
// below once per displayed frame.
#include "default_models_dir.h"
#include "engine.h"
#include "parameters.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lp {

class FaceDetector;

struct SessionConfig {
  std::string models_dir = default_models_dir();  // neural engine folder
  std::string dlib_model;                      // empty = default search
  bool background_redetect = true;             // tracker: false = deterministic (tests)
};

enum class MessageLevel { Info, Warning, Error };
struct SessionMessage {
  MessageLevel level;
  std::string text;
};

// What the driving input is right now, for the Driving panel and status bar.
struct DrivingStatus {
  enum class Kind { None, Camera, Video, Image } kind = Kind::None;
  std::string name;       // file path or "Camera N"
  bool playing = false;   // video: not paused
  bool loop = true;
  std::int64_t position = 0;     // video: next frame index
  std::int64_t frame_count = 0;  // video
  double fps = 0;
  double speed = 1.0;     // video playback speed
  bool failed = false;    // the input stopped with an error (e.g. camera unplugged)
};

// Rates and latency, for the status bar and the benchmark.
struct SessionStats {
  double capture_fps = 0;
  double engine_fps = 0;
  double engine_ms = 0;          // mean time per engine frame over the last second
  double latency_p50_ms = 0;     // capture -> displayed (UI reports display times)
  std::vector<StageTime> stages; // last frame's per-stage times
  std::string engine_name;
  std::string engine_device;
  std::string engine_status;
  bool neural_available = false;
  std::string neural_unavailable_reason;
  // The model folder holds a complete, valid set (neural_models_status() is
  // empty; checked again every 2 s): only then can the neural engine be chosen.
  bool neural_models_present = false;
  std::uint64_t frames_dropped = 0;  // driving frames the engine never saw
};

// "" when `models_dir` looks like a valid exported model folder (manifest and
// files checked, nothing loaded), else why not, naming the folder or file.
std::string neural_models_status(const std::string& models_dir);

class Session {
 public:
  explicit Session(SessionConfig config = {});
  ~Session();  // stops every thread; safe with frames in flight
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // ---- Inputs (all non-blocking; results and errors arrive as messages)
  // Loads a portrait on a worker; on success it replaces the current one.
  // A file that is not a usable image, or has no face, leaves the current
  // source in place and posts an error naming the file.
  void open_source(const std::string& path);
  // Uses an already decoded image (tests, the CLI) as the source.
  void open_source_image(const std::string& name, const cv::Mat& bgr);
  // Driving inputs open on a worker (probing a file or opening a webcam can
  // take a while); the current input runs until the new one is open, an
  // error leaves it running with a message, and the newest request wins.
  void open_driving_video(const std::string& path);
  void open_driving_camera(int index);
  void close_driving();  // no driving input: the classic engine idles
  void reconnect_driving();  // retry the webcam that was lost
  // What the GLFW drop callback calls: images become the source, videos the
  // driving input, anything else an error message naming the file.
  void open_dropped_file(const std::string& path);

  // ---- Video playback control (ignored for cameras)
  void set_playing(bool playing);
  void set_loop(bool loop);
  void seek(std::int64_t frame);
  void set_speed(double speed);  // 1 = the video's own rate (CaptureThread::set_speed)

  // ---- Processing
  void set_parameters(const Parameters& params);  // publishes a snapshot
  Parameters parameters() const;
  void rezero();                                  // current driving frame = neutral
  void set_paused(bool paused);                   // freeze the output
  bool paused() const { return paused_.load(); }

  // ---- Outputs for the UI thread (never block)
  std::shared_ptr<const AnimatedFrame> latest_output() const;  // null until the first frame
  std::shared_ptr<const SourceImage> current_source() const;
  bool source_loading() const { return loading_.load() > 0; }
  bool driving_opening() const;  // a driving input is being opened
  DrivingStatus driving_status() const;
  int driving_camera_index() const;  // the webcam in use (-1: none)
  SessionStats stats() const;
  std::vector<SessionMessage> take_messages();
  // The UI reports when it displayed a frame, for capture->display latency.
  void report_displayed(std::int64_t capture_ns);

  // Waits (up to timeout) until the engine has published a frame whose seq is
  // greater than `after_seq`; for tests and headless runs, not the UI.
  std::shared_ptr<const AnimatedFrame> wait_for_output(std::uint64_t after_seq, double timeout_s);
  // Waits until no source is loading (tests, headless runs).
  bool wait_source_idle(double timeout_s);
  // Waits until no driving input is being opened (tests, headless runs).
  bool wait_driving_idle(double timeout_s);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<int> loading_{0};
  std::atomic<bool> paused_{false};
};

}  // namespace lp
