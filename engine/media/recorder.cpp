#include "media/recorder.h"

#include "media/output_path.h"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace lp {

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

const char* to_string(RecorderState state) {
  switch (state) {
    case RecorderState::Recording: return "recording";
    case RecorderState::Stopped: return "stopped";
    case RecorderState::Failed: return "failed";
  }
  return "?";
}

Recorder::Recorder(std::unique_ptr<FrameSink> sink, const RecorderOptions& options)
    : sink_(std::move(sink)), opt_(options) {
  if (opt_.queue_capacity == 0) opt_.queue_capacity = 1;
  if (!(opt_.fps > 0)) opt_.fps = 30.0;
  start_ns_ = now_ns();
  stats_.path = sink_ ? sink_->path() : std::string();
  worker_ = std::thread([this] { run(); });
}

Recorder::~Recorder() { stop(); }

std::unique_ptr<Recorder> Recorder::to_file(const RecordingSettings& rs, std::string* error, std::string* note) {
  const std::string path = unique_output_path(rs.folder, rs.stem, "mp4", error);
  if (path.empty()) return nullptr;
  VideoWriterOptions wo;
  wo.width = rs.width;
  wo.height = rs.height;
  const double fps = rs.fps > 0 ? rs.fps : 30.0;
  // Common rates as exact fractions (29.97 = 30000/1001), others in 1/1000 units.
  if (std::abs(fps - std::round(fps)) < 1e-6) {
    wo.fps_num = int(std::lround(fps));
    wo.fps_den = 1;
  } else {
    wo.fps_num = int(std::lround(fps * 1001));
    wo.fps_den = 1001;
    if (std::abs(double(wo.fps_num) / 1001 - fps) > 1e-3) {
      wo.fps_num = int(std::lround(fps * 1000));
      wo.fps_den = 1000;
    }
  }
  wo.crf = rs.crf;
  wo.preset = rs.preset;
  wo.low_latency = true;      // a packet per frame: nothing waits in the encoder
  wo.fragment_seconds = 0.0;  // a fragment per frame: a crash loses at most the frame being written
  auto writer = VideoWriter::open(path, wo, error);
  if (!writer) {
    std::remove(path.c_str());  // the name reserved above
    return nullptr;
  }
  if (note) *note = writer->size_note();
  RecorderOptions ro;
  ro.queue_capacity = rs.queue_capacity;
  ro.fps = double(wo.fps_num) / wo.fps_den;
  return std::make_unique<Recorder>(std::move(writer), ro);
}

bool Recorder::push(const cv::Mat& bgr, std::int64_t capture_ns) {
  if (bgr.empty()) return false;
  if (capture_ns == 0) capture_ns = now_ns();
  std::int64_t pts = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || stats_.state != RecorderState::Recording) return false;
    ++stats_.frames_pushed;
    if (opt_.use_timestamps) {
      if (last_pts_ < 0) start_ns_ = capture_ns;  // the first frame is t = 0
      pts = std::llround(double(capture_ns - start_ns_) * 1e-9 * opt_.fps);
      if (pts <= last_pts_) {
        ++stats_.frames_skipped;
        return false;
      }
    } else {
      pts = last_pts_ + 1;
    }
    if (queue_.size() >= opt_.queue_capacity) {
      ++stats_.frames_dropped;
      return false;
    }
    last_pts_ = pts;
  }
  // Copy outside the lock; the caller keeps its buffer.
  Item item{bgr.clone(), pts};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(item));
    stats_.queue_depth = queue_.size();
    stats_.max_queue_depth = std::max(stats_.max_queue_depth, queue_.size());
  }
  cv_.notify_one();
  return true;
}

void Recorder::run() {
  while (true) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping and drained
      item = std::move(queue_.front());
      queue_.pop_front();
      stats_.queue_depth = queue_.size();
    }
    const bool ok = sink_->write(item.image, item.pts);
    std::lock_guard<std::mutex> lock(mutex_);
    if (ok) {
      ++stats_.frames_encoded;
    } else {
      stats_.state = RecorderState::Failed;
      stats_.error = sink_->error();
      stop_ns_ = now_ns();
      queue_.clear();
      stats_.queue_depth = 0;
      break;
    }
  }
  // Finish the file (also after a failure: it closes what can be closed).
  const bool ok = sink_->finish();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!ok && stats_.state == RecorderState::Recording) {
    stats_.state = RecorderState::Failed;
    stats_.error = sink_->error();
  }
}

RecorderStats Recorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (stop_ns_ == 0) stop_ns_ = now_ns();
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopped_) {
      stopped_ = true;
      if (stats_.state == RecorderState::Recording) stats_.state = RecorderState::Stopped;
    }
  }
  return stats();
}

RecorderStats Recorder::stats() const {
  RecorderStats s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = stats_;
    s.elapsed_s = double((stop_ns_ ? stop_ns_ : now_ns()) - start_ns_) * 1e-9;
  }
  s.frames_written = sink_->frames_written();
  s.file_bytes = sink_->bytes_written();
  if (s.error.empty() && sink_->failed()) s.error = sink_->error();
  return s;
}

RecorderState Recorder::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_.state;
}

}  // namespace lp
