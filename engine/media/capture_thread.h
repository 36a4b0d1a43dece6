#pragma once
// CaptureThread: decodes the driving input (a video file or a webcam) on its
// own thread and publishes every frame into a newest-wins FrameMailbox, so
// neither the UI nor the engine ever waits on decoding and stale frames are
// dropped instead of queued.
//
// Pacing: a video file plays at its own frame rate times the playback speed
// against the steady clock (play / pause / loop / seek / speed); when decoding
// falls behind, the clock is
// re-anchored rather than bursting to catch up. A webcam publishes as fast as
// it delivers. A webcam that disappears sets state CameraLost with a message
// and waits for reconnect(); a video that ends or fails waits for seek/play.
#include "common/frame_mailbox.h"
#include "media/camera_source.h"
#include "media/video_source.h"

#include <opencv2/core.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace lp {

struct CapturedFrame {
  cv::Mat image;                  // BGR; a fresh buffer the producer never touches again
  std::int64_t capture_ns = 0;    // steady_clock time the frame was captured/decoded
  std::uint64_t sequence = 0;     // 1, 2, 3, ... per CaptureThread, across sources
  std::int64_t source_index = -1; // frame number in the video file; -1 for webcams
  double source_time_s = 0.0;     // timestamp in the file; seconds since opening for webcams
};
using CaptureMailbox = FrameMailbox<CapturedFrame>;

enum class CaptureState { Idle, Playing, Paused, Ended, Error, CameraLost };
const char* to_string(CaptureState state);

struct CaptureStatus {
  CaptureState state = CaptureState::Idle;
  std::string message;          // the error / lost message, empty otherwise
  std::string source;           // file path or device path
  bool is_camera = false;
  bool loop = false;
  std::int64_t position = 0;    // index of the last published file frame
  std::int64_t frame_count = 0; // file frames (0 for webcams)
  double nominal_fps = 0.0;     // file frame rate or what the camera reports
  double speed = 1.0;           // playback speed of a video file (1 = its own rate)
  std::uint64_t frames_published = 0;
};

// Steady-clock nanoseconds, the clock of CapturedFrame::capture_ns.
std::int64_t steady_now_ns();

class CaptureThread {
 public:
  explicit CaptureThread(std::shared_ptr<CaptureMailbox> mailbox);
  ~CaptureThread();  // stops and joins; never blocks on the mailbox
  CaptureThread(const CaptureThread&) = delete;
  CaptureThread& operator=(const CaptureThread&) = delete;

  // Replace the current input (the previous one is stopped first). Open the
  // source yourself (VideoSource::open / CameraSource::open) so the error
  // message for a bad input reaches you at once.
  void start_video(std::unique_ptr<VideoSource> video, bool playing = true, bool loop = true);
  void start_camera(std::unique_ptr<CameraSource> camera);
  void stop();  // back to Idle, the source is closed

  void play();
  void pause();
  void set_loop(bool loop);
  void seek(std::int64_t frame_index);  // a paused video shows the sought frame
  // Playback speed of a video file, clamped to [kMinSpeed, kMaxSpeed]: 0.5
  // plays at half its frame rate, 2 at twice (every frame is still decoded
  // and published; the consumer's mailbox drops what it cannot take). Webcams
  // ignore it. Kept across inputs.
  static constexpr double kMinSpeed = 0.1, kMaxSpeed = 8.0;
  void set_speed(double speed);
  void reconnect();                     // retry a lost webcam

  CaptureStatus status() const;
  // Sequence number of the last frame published (0 before the first). Frames
  // of an input started after this call all have a greater sequence, which is
  // how a consumer tells a new input's frames from stale ones.
  std::uint64_t last_sequence() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sequence_;
  }
  const std::shared_ptr<CaptureMailbox>& mailbox() const { return mailbox_; }

 private:
  void run_video();
  void run_camera();
  void join_worker();
  void publish(cv::Mat image, std::int64_t index, double time_s);
  void set_state(CaptureState s, const std::string& message = {});

  std::shared_ptr<CaptureMailbox> mailbox_;
  std::unique_ptr<VideoSource> video_;
  std::unique_ptr<CameraSource> camera_;
  std::thread worker_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool playing_ = true;
  bool loop_ = true;
  double speed_ = 1.0;
  bool speed_changed_ = false;
  std::int64_t seek_to_ = -1;
  bool reconnect_ = false;
  CaptureStatus status_;
  std::uint64_t sequence_ = 0;
};

}  // namespace lp
