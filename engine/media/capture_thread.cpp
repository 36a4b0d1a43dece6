#include "media/capture_thread.h"

#include <algorithm>
#include <chrono>

namespace lp {

using Clock = std::chrono::steady_clock;

const char* to_string(CaptureState state) {
  switch (state) {
    case CaptureState::Idle: return "idle";
    case CaptureState::Playing: return "playing";
    case CaptureState::Paused: return "paused";
    case CaptureState::Ended: return "ended";
    case CaptureState::Error: return "error";
    case CaptureState::CameraLost: return "camera lost";
  }
  return "?";
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

CaptureThread::CaptureThread(std::shared_ptr<CaptureMailbox> mailbox) : mailbox_(std::move(mailbox)) {
  if (!mailbox_) mailbox_ = std::make_shared<CaptureMailbox>();
}

CaptureThread::~CaptureThread() { stop(); }

void CaptureThread::join_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = false;
  seek_to_ = -1;
  reconnect_ = false;
}

void CaptureThread::stop() {
  join_worker();
  video_.reset();
  camera_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = CaptureStatus{};
  status_.speed = speed_;
}

void CaptureThread::start_video(std::unique_ptr<VideoSource> video, bool playing, bool loop) {
  stop();
  if (!video) return;
  video_ = std::move(video);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    playing_ = playing;
    loop_ = loop;
    status_ = CaptureStatus{};
    status_.source = video_->info().path;
    status_.frame_count = video_->info().frame_count;
    status_.nominal_fps = video_->info().fps;
    status_.loop = loop;
    status_.speed = speed_;
    status_.state = CaptureState::Paused;
    // A paused start still shows the first frame.
    if (!playing) seek_to_ = 0;
  }
  worker_ = std::thread([this] { run_video(); });
}

void CaptureThread::start_camera(std::unique_ptr<CameraSource> camera) {
  stop();
  if (!camera) return;
  camera_ = std::move(camera);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    playing_ = true;
    status_ = CaptureStatus{};
    status_.source = camera_->device_path();
    status_.is_camera = true;
    status_.nominal_fps = camera_->fps();
    if (camera_->state() == CameraState::Streaming) {
      status_.state = CaptureState::Playing;
    } else {
      status_.state = CaptureState::CameraLost;
      status_.message = camera_->error();
    }
  }
  worker_ = std::thread([this] { run_camera(); });
}

void CaptureThread::play() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    playing_ = true;
    // Play at the end restarts; so does play after a decoding error (a
    // truncated file: the part before the damage plays again).
    if (status_.state == CaptureState::Ended || status_.state == CaptureState::Error) seek_to_ = 0;
  }
  wake_.notify_all();
}

void CaptureThread::pause() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    playing_ = false;
  }
  wake_.notify_all();
}

void CaptureThread::set_loop(bool loop) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_ = loop;
    status_.loop = loop;
  }
  wake_.notify_all();
}

void CaptureThread::set_speed(double speed) {
  if (!(speed > 0)) speed = 1.0;  // NaN or nonsense: normal speed
  {
    std::lock_guard<std::mutex> lock(mutex_);
    speed_ = std::clamp(speed, kMinSpeed, kMaxSpeed);
    status_.speed = speed_;
    speed_changed_ = true;  // the playing video re-anchors its clock
  }
  wake_.notify_all();
}

void CaptureThread::seek(std::int64_t frame_index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seek_to_ = std::max<std::int64_t>(0, frame_index);
  }
  wake_.notify_all();
}

void CaptureThread::reconnect() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reconnect_ = true;
  }
  wake_.notify_all();
}

CaptureStatus CaptureThread::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void CaptureThread::set_state(CaptureState s, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  status_.state = s;
  status_.message = message;
}

void CaptureThread::publish(cv::Mat image, std::int64_t index, double time_s) {
  CapturedFrame f;
  f.image = std::move(image);
  f.capture_ns = steady_now_ns();
  f.source_index = index;
  f.source_time_s = time_s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    f.sequence = ++sequence_;
    ++status_.frames_published;
    if (index >= 0) status_.position = index;
  }
  mailbox_->publish(std::move(f));
}

void CaptureThread::run_video() {
  bool anchored = false;
  Clock::time_point anchor_wall;
  double anchor_media = 0.0;
  bool halted = false;  // at the end or after an error: wait for seek / play
  // The frame published last: when the loop wraps, the first frame follows it
  // a frame interval later, so the last frame is shown for its time too (and
  // a one-frame video plays at its frame rate instead of spinning).
  bool have_last = false;
  Clock::time_point last_due;
  double last_media = 0.0;
  while (true) {
    std::int64_t seek = -1;
    bool playing = false;
    double speed = 1.0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!playing_ || halted) anchored = false;  // resume re-anchors the clock
      wake_.wait(lock, [&] { return stop_ || seek_to_ >= 0 || (playing_ && !halted); });
      if (stop_) return;
      seek = seek_to_;
      seek_to_ = -1;
      playing = playing_;
      speed = speed_;
      if (speed_changed_) anchored = false;  // the new speed counts from this frame on
      speed_changed_ = false;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      video_->set_loop(loop_);
    }
    if (seek >= 0) {
      video_->seek(seek);
      halted = false;
      anchored = false;
    }
    VideoFrame frame;
    const ReadStatus rs = video_->read(frame);
    if (rs == ReadStatus::End) {
      set_state(CaptureState::Ended);
      halted = true;
      continue;
    }
    if (rs == ReadStatus::Error) {
      set_state(CaptureState::Error, video_->error());
      halted = true;
      continue;
    }
    if (!playing) {  // a seek while paused: show that frame, stay paused
      publish(std::move(frame.image), frame.index, frame.time_s);
      set_state(CaptureState::Paused);
      continue;
    }
    const auto now = Clock::now();
    // Wall time at which a media timestamp is due, at the playback speed.
    const auto due_of = [&](double media_s) {
      return anchor_wall +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((media_s - anchor_media) / speed));
    };
    // (Re-)anchor at the start, after a loop wrap (time goes back or stands
    // still), after a speed change and when decoding fell far behind (no
    // burst to catch up).
    const bool wrapped = anchored && have_last && frame.time_s <= last_media;
    if (!anchored || wrapped || now - due_of(frame.time_s) > std::chrono::milliseconds(250)) {
      anchor_wall = now;
      if (wrapped) {
        const double fps = video_->info().fps > 0 ? video_->info().fps : 30.0;
        const auto after_last =
            last_due + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps / speed));
        anchor_wall = std::max(now, after_last);
      }
      anchor_media = frame.time_s;
      anchored = true;
    }
    const auto due = due_of(frame.time_s);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // A speed change publishes this frame now; the next one is timed at the new speed.
      wake_.wait_until(lock, due, [&] { return stop_ || seek_to_ >= 0 || speed_changed_; });
      if (stop_) return;
      if (seek_to_ >= 0) continue;  // the frame is stale now
    }
    publish(std::move(frame.image), frame.index, frame.time_s);
    have_last = true;
    last_due = due;
    last_media = frame.time_s;
    std::lock_guard<std::mutex> lock(mutex_);
    status_.state = playing_ ? CaptureState::Playing : CaptureState::Paused;
    status_.message.clear();
  }
}

void CaptureThread::run_camera() {
  const std::int64_t opened_ns = steady_now_ns();
  while (true) {
    bool do_reconnect = false;
    bool publishing = true;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (camera_->state() != CameraState::Streaming && !reconnect_)
        wake_.wait(lock, [&] { return stop_ || reconnect_; });
      if (stop_) return;
      do_reconnect = reconnect_;
      reconnect_ = false;
      publishing = playing_;
    }
    if (do_reconnect) {
      if (camera_->reconnect()) {
        set_state(publishing ? CaptureState::Playing : CaptureState::Paused);
      } else {
        set_state(CaptureState::CameraLost, camera_->error());
      }
      continue;
    }
    cv::Mat image;
    if (camera_->read(image)) {
      // Paused webcams keep reading so the stream stays fresh, but publish nothing.
      if (publishing) {
        publish(std::move(image), -1, double(steady_now_ns() - opened_ns) * 1e-9);
        set_state(CaptureState::Playing);
      } else {
        set_state(CaptureState::Paused);
      }
    } else if (camera_->state() == CameraState::Lost) {
      set_state(CaptureState::CameraLost, camera_->error());
    }
  }
}

}  // namespace lp
